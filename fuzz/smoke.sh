#!/usr/bin/env bash
# Smoke-runs every fuzz target: builds them all once, then runs each for SECONDS seconds
# (first argument, default 20) on a temporary copy of its seed corpus, so the repository stays
# clean. Exits non-zero if any target crashes, fails a property, or does not run.
#
#   fuzz/smoke.sh [SECONDS]      (from anywhere; needs rustup with a nightly toolchain)
#
# Crash reproducers land in fuzz/artifacts/<target>/ (git-ignored); replay one with
# `cargo +nightly fuzz run <target> <file>`, and commit it under fuzz/regressions/<target>/
# once fixed (tests/fuzz_regressions.rs replays that directory).
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-20}"
case "$secs" in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

start=$(date +%s)
cargo +nightly fuzz build

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

targets=$(cargo +nightly fuzz list)
[ -n "$targets" ] || { echo "no fuzz targets found" >&2; exit 1; }

failed=()
printf '%-24s %10s %8s %6s\n' target runs cov status
for t in $targets; do
    mkdir -p "$work/corpus/$t"
    if [ -d "fuzz/corpus/$t" ]; then
        cp -R "fuzz/corpus/$t/." "$work/corpus/$t/"
    fi
    log="$work/$t.log"
    status=ok
    if ! cargo +nightly fuzz run "$t" "$work/corpus/$t" -- \
        -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1; then
        status=FAILED
        failed+=("$t")
    fi
    # A crash while loading the seeds leaves no statistics: these may find nothing.
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n1)
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' "$log" | tail -n1)
    if [ "$status" = ok ] && [ -z "$runs" ]; then
        status=FAILED
        failed+=("$t")
    fi
    printf '%-24s %10s %8s %6s\n' "$t" "${runs:--}" "${cov:--}" "$status"
    if [ "$status" != ok ]; then
        echo "---- $t: the failure, and the end of its log" >&2
        grep -m 3 -A 4 -E 'panicked|ERROR: (libFuzzer|AddressSanitizer)' "$log" >&2 || true
        tail -n 25 "$log" >&2
    fi
done

echo "total: $(($(date +%s) - start)) s for $(echo "$targets" | wc -w) targets at ${secs} s each"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
