#!/bin/sh
# Regenerates benches/layout/symbols.txt, the functions to lay out first in the binary (see
# build.rs here): every function callgrind sees run in the load bench's scenarios (check-now
# twice on 20 pages, the daemon's start, round of checks, idle and stop), for the release
# build and for the bench build, whose dependency features (and so some symbol names) differ.
# Needs valgrind; takes a few minutes. Run it after dependency updates and large changes.
set -eu
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cg="valgrind --tool=callgrind --demangle=no --compress-strings=no --dump-instr=no --callgrind-out-file=$work/cg.%p"

cargo build --release --locked
cp target/release/policywatch "$work/release"
POLICYWATCH_BENCH_N=20 WRAP="$cg" POLICYWATCH_BENCH_BIN="$work/release" cargo bench --locked --bench load
POLICYWATCH_BENCH_N=20 WRAP="$cg" cargo bench --locked --bench load
cp target/release/policywatch "$work/bench"

grep -h '^c\{0,1\}fn=' "$work"/cg.* | sed 's/^c\{0,1\}fn=//' | sort -u > "$work/ran"
for b in release bench; do nm --defined-only "$work/$b"; done |
    awk '$2 ~ /^[tTwW]$/ { print $3 }' | sort -u > "$work/defined"
comm -12 "$work/ran" "$work/defined" > benches/layout/symbols.txt
echo "benches/layout/symbols.txt: $(wc -l < benches/layout/symbols.txt) functions"
