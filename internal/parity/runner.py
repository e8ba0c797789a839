#!/usr/bin/env python3
"""Parity runner: runs scenario steps through the original Python s1crets
(0.0.12) and prints one normalised JSON result per step.

The Go parity test (parity_test.go) writes the steps as JSON on stdin and
runs the same steps through the Go library; both sides' results are compared
after normalisation. Point boto3 at moto with the environment
(AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, dummy credentials).

Input (stdin):  {"steps": [STEP, ...]}
STEP:
  {"id": "...", "op": OP, "api": "module"|"provider"|"cli", "provider": "aws.ps"|"aws.sm",
   "path": "...", "keypath": [...], "value": "...", "opts": {...}, "ctor": {...},
   "args": [...]}
OP:
  get, get_by_path, update, path_exists      through s1crets
      api "module":   s1crets.get(provider, path, keypath=, retry=, timeout=) ...
      api "provider": ParameterStore/SecretsManager(**ctor).get(path, **opts)
  cli                                        runs bin/s1crets with args
  put_parameter {path, value}                out-of-band write with boto3
  put_secret {path, value}                   out-of-band write with boto3
  describe_parameter {path}                  the parameter's metadata and value
  raw_secret {path}                          the secret's AWSCURRENT value and kind

Output (stdout): {"results": [RESULT, ...]}, in step order.
RESULT:
  {"ok": VALUE}     VALUE: dicts, lists, numbers, bools, None as JSON; str as a
                    JSON string; bytes as {"base64": "..."}; anything else
                    (the DefaultValue sentinel class) as {"repr": "..."}
  {"error": CLASS, "detail": "..."}
                    CLASS: "not_found" (KeyError), "ClientError:<code>",
                    "invalid" (botocore parameter validation, bad retry),
                    "unknown_provider" (ModuleNotFoundError), else the
                    exception's type name (TypeError, AttributeError, ...)
  cli: {"ok": {"rc": N, "stdout": "..."}}
"""
import base64
import json
import os
import subprocess
import sys

import boto3
import botocore.exceptions
from botocore.exceptions import ClientError

import s1crets
import s1crets.providers.aws.ps as ps_mod
import s1crets.providers.aws.sm as sm_mod

PROVIDERS = {"aws.ps": ps_mod.SecretProvider, "aws.sm": sm_mod.SecretProvider}
CLI = os.path.join(os.path.dirname(sys.executable), "s1crets")

_clients = {}


def client(name):
    if name not in _clients:
        _clients[name] = boto3.client(name)
    return _clients[name]


def enc(v):
    if isinstance(v, (bytes, bytearray)):
        return {"base64": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, dict):
        return {str(k): enc(x) for k, x in v.items()}
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return {"repr": repr(v)}


def enc_error(e):
    if isinstance(e, ClientError):
        cls = "ClientError:" + str(e.response.get("Error", {}).get("Code", "?"))
    elif isinstance(e, KeyError):
        cls = "not_found"
    elif isinstance(e, (botocore.exceptions.ParamValidationError,
                        botocore.exceptions.InvalidMaxRetryAttemptsError)):
        cls = "invalid"
    elif isinstance(e, ModuleNotFoundError):
        cls = "unknown_provider"
    else:
        cls = type(e).__name__
    return {"error": cls, "detail": "%s: %s" % (type(e).__name__, e)}


def run_module(step):
    op, o = step["op"], dict(step.get("opts") or {})
    prov, path = step.get("provider", "aws.sm"), step["path"]
    kw = {k: o[k] for k in ("retry", "timeout") if k in o}
    if op == "get":
        return s1crets.get(prov, path, keypath=step.get("keypath"), **kw)
    if op == "path_exists":
        return s1crets.path_exists(prov, path, keypath=step.get("keypath"), **kw)
    if op == "get_by_path":
        if "fail_on_error" in o:
            kw["fail_on_error"] = o["fail_on_error"]
        return s1crets.get_by_path(prov, path, **kw)
    if op == "update":
        s1crets.update(prov, path, step["value"], **kw)
        return None  # PS returns the value, SM None: both mean success
    raise ValueError("unknown op %r" % op)


def run_provider(step):
    op, o = step["op"], dict(step.get("opts") or {})
    p = PROVIDERS[step["provider"]](**(step.get("ctor") or {}))
    path = step["path"]
    if op == "get":
        if step.get("keypath") is not None:
            o["keypath"] = step["keypath"]
        return p.get(path, **o)
    if op == "path_exists":
        if step.get("keypath") is not None:
            o["keypath"] = step["keypath"]
        return p.path_exists(path, **o)
    if op == "get_by_path":
        return p.get_by_path(path, **o)
    if op == "update":
        p.update(path, step["value"])
        return None
    raise ValueError("unknown op %r" % op)


def run_cli(step):
    # timeout: a guard against a hang, generous for a busy machine
    r = subprocess.run([CLI] + step["args"], capture_output=True, timeout=600,
                       stdin=subprocess.DEVNULL)
    return {"rc": r.returncode, "stdout": r.stdout.decode("utf-8", "backslashreplace")}


def run_raw(step):
    op, path = step["op"], step["path"]
    if op == "put_parameter":
        client("ssm").put_parameter(Name=path, Value=step["value"], Overwrite=True)
        return None
    if op == "put_secret":
        client("secretsmanager").put_secret_value(SecretId=path, SecretString=step["value"])
        return None
    if op == "describe_parameter":
        r = client("ssm").describe_parameters(
            ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [path]}])
        if len(r["Parameters"]) != 1:
            raise KeyError(path)
        m = r["Parameters"][0]
        out = {k: m.get(k, "") for k in ("Type", "KeyId", "Description", "Tier", "DataType", "AllowedPattern")}
        out["Value"] = client("ssm").get_parameter(Name=path, WithDecryption=True)["Parameter"]["Value"]
        return out
    if op == "raw_secret":
        r = client("secretsmanager").get_secret_value(SecretId=path)
        if "SecretBinary" in r:
            return {"binary": base64.b64encode(r["SecretBinary"]).decode()}
        return {"string": r["SecretString"]}
    raise ValueError("unknown op %r" % op)


def run_step(step):
    try:
        api = step.get("api")
        if step["op"] == "cli":
            return {"ok": run_cli(step)}
        if api == "module":
            return {"ok": enc(run_module(step))}
        if api == "provider":
            return {"ok": enc(run_provider(step))}
        return {"ok": enc(run_raw(step))}
    except Exception as e:  # noqa: BLE001 - whatever escapes is the result
        return enc_error(e)


def main():
    steps = json.load(sys.stdin)["steps"]
    results = [run_step(s) for s in steps]
    json.dump({"results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
