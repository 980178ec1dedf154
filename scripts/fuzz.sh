#!/usr/bin/env bash
# Runs every Go fuzz target of the repository (func FuzzXxx in a _test.go
# file) for the given number of seconds each (default 15), one after the
# other, and fails if any of them finds a failing input. New failing
# inputs are written by Go under the package's testdata/fuzz/FuzzXxx/;
# commit them as regression seeds once fixed.
#
#   scripts/fuzz.sh        # 15 s per target
#   scripts/fuzz.sh 60     # 60 s per target
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-15}"
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -eq 0 ]; then
  echo "usage: $0 [seconds per fuzz target, default 15]" >&2
  exit 2
fi

targets=()
while IFS= read -r file; do
  dir="./$(dirname "$file")"
  while IFS= read -r name; do
    targets+=("$dir $name")
  done < <(grep -oE '^func Fuzz[A-Za-z0-9_]+\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/')
done < <(git ls-files --cached --others --exclude-standard '*_test.go' | sort -u)

if ((${#targets[@]} == 0)); then
  echo "no fuzz targets found" >&2
  exit 1
fi

failed=()
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  printf '\n== %s %s (%ss)\n' "$pkg" "$name" "$secs"
  if ! go test -run='^$' -fuzz="^${name}\$" -fuzztime="${secs}s" "$pkg"; then
    failed+=("$pkg $name")
  fi
done

echo
if ((${#failed[@]})); then
  echo "fuzz failures:"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "all ${#targets[@]} fuzz targets passed (${secs}s each)"
