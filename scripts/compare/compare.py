"""The Python s1crets side of scripts/compare.sh.

Runs the workloads through the original library against the moto server that
the SDK environment points at, counting the AWS calls with a botocore hook, and
prints one JSON object: {workload: {"calls": N, "ms": T}}.
"""
import json
import sys
import time

import boto3.session

CALLS = [0]
_client = boto3.session.Session.client


def counting_client(self, *args, **kwargs):
    c = _client(self, *args, **kwargs)
    if c.meta.service_model.service_name in ("ssm", "secretsmanager"):
        c.meta.events.register("before-call", lambda **_: CALLS.__setitem__(0, CALLS[0] + 1))
    return c


boto3.session.Session.client = counting_client

import s1crets  # noqa: E402  (after the hook)
import s1crets.providers.aws  # noqa: E402


def measure(fn):
    CALLS[0] = 0
    t = time.perf_counter()
    fn()
    return {"calls": CALLS[0], "ms": (time.perf_counter() - t) * 1000}


def main():
    ps_prefix, sm_prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = {}
    ps = s1crets.providers.aws.ParameterStore(cache_args={"cache_size": 5000})
    out["cached_gets"] = measure(lambda: [ps.get(f"{ps_prefix}/p000") for _ in range(1000)])
    ps2 = s1crets.providers.aws.ParameterStore(cache_args={"cache_size": 5001})
    out["uncached_gets"] = measure(lambda: [ps2.get(f"{ps_prefix}/p{i:03d}") for i in range(n)])
    ps3 = s1crets.providers.aws.ParameterStore(cache_args={"cache_size": 5002})
    out["ps_get_by_path"] = measure(lambda: ps3.get_by_path(ps_prefix))
    sm = s1crets.providers.aws.SecretsManager(cache_args={"cache_size": 5003})
    out["sm_get_by_path"] = measure(lambda: sm.get_by_path(sm_prefix))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
