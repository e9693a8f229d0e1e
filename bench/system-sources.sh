#!/bin/sh
# Builds the binary (as `npm run build` does, into a temp file so a parallel build of dist/ is not
# disturbed) and runs bench/system-sources.ts with it.
# Usage: bench/system-sources.sh [seconds measured] [in-process ticks] [warm-up seconds]
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp -d "${TMPDIR:-/tmp}/pollect-bench-bin-XXXXXX")
trap 'rm -rf "$out"' EXIT
./node_modules/.bin/bun scripts/build.ts --outfile "$out/pollect" >/dev/null
./node_modules/.bin/bun bench/system-sources.ts --binary "$out/pollect" --seconds "${1:-120}" --ticks "${2:-300}" --warmup "${3:-30}"
