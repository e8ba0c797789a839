#!/usr/bin/env bash
# Runs every fuzz target of the module for a while, one target at a time
# (go test -fuzz takes one target of one package per run).
#
#   scripts/fuzz.sh            # 15s per target
#   scripts/fuzz.sh 2m         # 2 minutes per target
#   scripts/fuzz.sh 30s ./internal/diskcache   # only the targets under a directory
#
# A failing input is written to the package's testdata/fuzz/<target>/ by go
# test; commit it with the fix, so that plain `go test` replays it. Exits
# non-zero when a target fails, after running all of them.
set -uo pipefail
cd "$(dirname "$0")/.."

fuzztime="${1:-15s}"
under="${2:-.}"

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
  echo "== $dir $name ($fuzztime)"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$dir"; then
    failed+=("$dir $name")
  fi
done

echo
if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzz.sh: ${#failed[@]} of ${#targets[@]} targets failed:"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets passed ($fuzztime each)"
