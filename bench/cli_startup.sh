#!/usr/bin/env bash
# CLI startup benchmark: lanctl against dnsmasq on the same machine, in one run.
#
#   bench/cli_startup.sh            # RUNS=20 by default; LANCTL=/path/to/lanctl to override
#
# Times `lanctl --help`, `lanctl test-config -C examples/quickstart.conf`, `dnsmasq --help`
# and `dnsmasq --test -C <the same config without lanctl's control-socket line>`, prints a
# table (mean, standard deviation, min in ms) and the lanctl/dnsmasq ratios.  Uses hyperfine
# when installed (Debian: apt-get install hyperfine), else (or with BENCH_NO_HYPERFINE=1) a
# bash loop timed with `date +%s.%N`.
# A benchmark reports; it is not a test and is not run in CI (ARCHITECTURE §5).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
LANCTL=${LANCTL:-lanctl}
command -v "$LANCTL" >/dev/null || { echo "bench: $LANCTL not found (pip install -e .)" >&2; exit 2; }
command -v dnsmasq >/dev/null || { echo "bench: dnsmasq not found (apt-get install dnsmasq-base)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# dnsmasq does not know lanctl's control-socket option; everything else is identical.
grep -v '^control-socket=' examples/quickstart.conf >"$tmp/dnsmasq.conf"

names=("lanctl --help" "lanctl test-config" "dnsmasq --help" "dnsmasq --test")
cmds=(
    "$LANCTL --help"
    "$LANCTL test-config -C examples/quickstart.conf"
    "dnsmasq --help"
    "dnsmasq --test -C $tmp/dnsmasq.conf"
)

# Every command must work before it is timed (a failing command is fast, not good).
for i in "${!cmds[@]}"; do
    if ! ${cmds[$i]} >/dev/null 2>&1; then
        echo "bench: '${cmds[$i]}' failed; fix it before timing it" >&2
        exit 1
    fi
done

: >"$tmp/results.tsv" # name <TAB> mean_s <TAB> stddev_s <TAB> min_s
if command -v hyperfine >/dev/null && [[ "${BENCH_NO_HYPERFINE:-0}" != 1 ]]; then
    args=()
    for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
    # -N: run without an intermediate shell (dnsmasq starts in ~1 ms; a shell would dominate).
    hyperfine -N --runs "$RUNS" --warmup 3 --style none --export-json "$tmp/h.json" \
        "${args[@]}" >/dev/null 2>"$tmp/hyperfine.err" || { cat "$tmp/hyperfine.err" >&2; exit 1; }
    python3 - "$tmp/h.json" >"$tmp/results.tsv" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command']}\t{r['mean']}\t{r['stddev'] or 0}\t{r['min']}")
PY
    tool="hyperfine $(hyperfine --version | awk '{print $2}')"
else
    for i in "${!cmds[@]}"; do
        : >"$tmp/t$i"
        for ((w = 0; w < 3; w++)); do ${cmds[$i]} >/dev/null 2>&1; done # warm-up
        for ((r = 0; r < RUNS; r++)); do
            t0=$(date +%s.%N)
            ${cmds[$i]} >/dev/null 2>&1
            t1=$(date +%s.%N)
            echo "$t0 $t1" | awk '{printf "%.6f\n", $2 - $1}' >>"$tmp/t$i"
        done
        awk -v name="${names[$i]}" '
            { s += $1; ss += $1 * $1; if (NR == 1 || $1 < m) m = $1 }
            END { mean = s / NR; var = ss / NR - mean * mean; if (var < 0) var = 0
                  printf "%s\t%.6f\t%.6f\t%.6f\n", name, mean, sqrt(var), m }' "$tmp/t$i" \
            >>"$tmp/results.tsv"
    done
    tool="bash loop (date +%s.%N)"
fi

echo "CLI startup, $RUNS runs each, measured with $tool"
printf '%-22s %10s %10s %10s\n' "command" "mean ms" "stddev ms" "min ms"
awk -F'\t' '{printf "%-22s %10.1f %10.1f %10.1f\n", $1, $2 * 1000, $3 * 1000, $4 * 1000}' \
    "$tmp/results.tsv"
awk -F'\t' '
    { mean[$1] = $2 }
    END {
        printf "ratio lanctl --help / dnsmasq --help:             %.1fx\n", \
            mean["lanctl --help"] / mean["dnsmasq --help"]
        printf "ratio lanctl test-config / dnsmasq --test:        %.1fx\n", \
            mean["lanctl test-config"] / mean["dnsmasq --test"]
    }' "$tmp/results.tsv"
