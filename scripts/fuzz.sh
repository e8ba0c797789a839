#!/usr/bin/env bash
# Runs every fuzz target of the module for a fixed number of executions, one
# target at a time (go test -fuzz takes one target of one package per run).
#
#   scripts/fuzz.sh                # each target's count from the table below
#   scripts/fuzz.sh 1000000x       # one million executions per target
#   scripts/fuzz.sh 2m             # 2 minutes per target (see the note below)
#   scripts/fuzz.sh "" ./internal/diskcache   # only the targets under a directory
#
# A failing input is written to the package's testdata/fuzz/<target>/ by go
# test; commit it with the fix, so that plain `go test` replays it. Exits
# non-zero when a target fails, after running all of them.
#
# Why counts, not durations: with a duration (-fuzztime 15s) Go's fuzz
# coordinator races its own deadline. When the machine is busy, a run can end
# in "--- FAIL: FuzzX (16.03s) context deadline exceeded" with no failing
# input written (golang/go#75804, fixed in Go 1.27; this module builds with
# 1.26). A count (-fuzztime Nx) sets no deadline at all: the coordinator
# stops when the workers have made N calls, however long that takes, so a
# busy machine makes this step slower, never red. The remaining clocks in
# go's fuzzing cannot fail a run that finds nothing: -fuzzminimizetime (60s)
# only bounds the shrinking of an input that already failed or added
# coverage, and a single call of the fuzz function that takes over 10s is
# reported as a hang (ours take microseconds). -timeout 0: the test binary's
# alarm does not cover fuzzing anyway (testing stops it before fuzzing
# starts); 0 makes sure that no future default can fire on a slow machine.
#
# A duration is still accepted for local exploration, with the race above.
set -uo pipefail
cd "$(dirname "$0")/.."

budget="${1:-}"
under="${2:-.}"

# Executions per target: about 15s each on the 2-core CI machine (go
# 1.26.8), from the rates measured there (median of three runs, baseline
# coverage and the shrinking of new inputs included; the rate of a run
# varies with how many new inputs it finds):
#   FuzzLookup 6,500/s, FuzzMemoryPaths 7,400/s, FuzzNewValue 5,800/s,
#   FuzzValueDecode 4,300/s, diskcache FuzzDecode 25,000/s.
# A target missing here (a new one) gets default_execs; add it.
declare -A execs=(
  [". FuzzLookup"]=100000
  [". FuzzMemoryPaths"]=110000
  [". FuzzNewValue"]=90000
  [". FuzzValueDecode"]=65000
  [". FuzzTierValue"]=75000
  ["./internal/diskcache FuzzDecode"]=380000
)
default_execs=50000

if [ -n "$budget" ] && ! [[ $budget =~ ^[0-9]+x$ ]]; then
  echo "fuzz.sh: -fuzztime $budget is a duration: on a busy machine Go $(go env GOVERSION | sed 's/^go//') may fail a" \
    "run that found nothing with \"context deadline exceeded\" (golang/go#75804); use a count (Nx) in CI" >&2
fi

# Targets: "dir target" pairs from the _test.go files that declare
# func FuzzXxx(f *testing.F).
mapfile -t targets < <(
  grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' "$under" |
    sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' |
    sort -u
)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "fuzz.sh: no fuzz targets under $under" >&2
  exit 1
fi

failed=()
for t in "${targets[@]}"; do
  dir="${t% *}"
  name="${t#* }"
  case "$dir" in .|./*|/*) ;; *) dir="./$dir" ;; esac
  dir="${dir%/}"
  [ "$dir" = "./." ] && dir=.
  fuzztime="$budget"
  if [ -z "$fuzztime" ]; then
    n="${execs["$dir $name"]:-}"
    if [ -z "$n" ]; then
      n=$default_execs
      echo "fuzz.sh: $dir $name has no count in scripts/fuzz.sh; using $n" >&2
    fi
    fuzztime="${n}x"
  fi
  echo "== $dir $name (-fuzztime $fuzztime)"
  start=$(date +%s.%N)
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -timeout 0 "$dir"; then
    failed+=("$dir $name")
  fi
  awk -v s="$start" -v e="$(date +%s.%N)" -v n="$dir $name" 'BEGIN { printf "== %s: %.1fs\n", n, e - s }'
done

echo
if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzz.sh: ${#failed[@]} of ${#targets[@]} targets failed:"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets passed"
