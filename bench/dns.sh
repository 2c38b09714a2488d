#!/usr/bin/env bash
# DNS queries per second: lanctl against dnsmasq on the same machine, in one run (issue 7).
#
#   sudo bench/dns.sh               # DURATION=10 seconds per dnsperf run by default
#
# Namespaces (documentation addresses only): cli 192.0.2.250 -- srv 192.0.2.1 / 198.51.100.1
# -- up 198.51.100.53 (a dnsmasq with address= data, TTL 300, as the upstream).  In srv, with
# the same configuration: lanctl on :53 and dnsmasq on :5300 (cache on), lanctl on :54 and
# dnsmasq on :5400 (cache-size=0, so every query is forwarded).  dnsperf (-c 20 -q 200,
# -l DURATION, each run bounded by `timeout`) runs from cli for three lines:
#   local     host-record names answered from local data
#   cached    forwarded names, after one warm-up pass has filled the cache
#   uncached  forwarded names with the cache off (upstream round trip every query)
# qps = completed / min(run time, DURATION) (TESTING.md §8); ratio = lanctl / dnsmasq.
# cpu us/q = the server process's CPU time (user + system, /proc/PID/stat) during the run
# divided by the queries completed: the per-query cost, which a busy machine does not skew
# as much as qps; "sys us/q" is its kernel part.  LINES="local cached" runs only those
# lines; LANCTL_PY replaces "python3 -m lanctl" (e.g. a wrapper that profiles the server).
# A benchmark reports; it is not a test and is not run in CI (ARCHITECTURE §5).
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
DURATION=${DURATION:-10}
bench_need_root "network namespaces"
bench_need_tools dnsperf dnsmasq ip

tag="lcdb$$"
cli="$tag-cli"
srv="$tag-srv"
up="$tag-up"
tmp=$(mktemp -d)
chmod 755 "$tmp"
BENCH_TMP=$tmp
declare -A server_pid
trap bench_cleanup EXIT

netns_add "$cli" "$srv" "$up"
veth_link "$cli" "${tag}a" 192.0.2.250/24 "$srv" "${tag}b" 192.0.2.1/24
veth_link "$srv" "${tag}c" 198.51.100.1/24 "$up" "${tag}d" 198.51.100.53/24

ip netns exec "$up" dnsmasq -k --no-resolv --no-hosts --listen-address=198.51.100.53 \
    --bind-interfaces --address=/fwd.example/203.0.113.10 --local-ttl=300 \
    --dns-forward-max=1000 --pid-file= --user=root --group=root \
    --log-facility="$tmp/up.log" --conf-file=/dev/null &
BENCH_PIDS+=($!)
wait_port "$up" "$!" 53

common() {  # port [extra line]
    cat <<EOF
no-resolv
no-hosts
port=$1
listen-address=192.0.2.1
bind-interfaces
server=198.51.100.53
host-record=host1.lan.example,192.0.2.11
host-record=host2.lan.example,192.0.2.12,2001:db8::12
host-record=host3.lan.example,192.0.2.13
${2:-}
EOF
}

start_lanctl() {  # port [extra line]
    common "$1" "${2:-}" >"$tmp/lanctl-$1.conf"
    printf 'user=\npid-file=\ncontrol-socket=%s/ctl-%s.sock\nlog-facility=%s/lanctl-%s.log\n' \
        "$tmp" "$1" "$tmp" "$1" >>"$tmp/lanctl-$1.conf"
    # shellcheck disable=SC2086  # LANCTL_PY may be "python3 wrapper.py" (profiling)
    PYTHONPATH=$PWD ip netns exec "$srv" ${LANCTL_PY:-python3 -m lanctl} dns serve \
        -C "$tmp/lanctl-$1.conf" &
    BENCH_PIDS+=($!)
    server_pid[$1]=$!
    wait_port "$srv" "$!" "$1"
}

start_dnsmasq() {  # port [extra line]
    common "$1" "${2:-}" >"$tmp/dnsmasq-$1.conf"
    ip netns exec "$srv" dnsmasq -k -C "$tmp/dnsmasq-$1.conf" --pid-file= --user=root \
        --group=root --log-facility="$tmp/dnsmasq-$1.log" &
    BENCH_PIDS+=($!)
    server_pid[$1]=$!
    wait_port "$srv" "$!" "$1"
}

start_lanctl 53
start_dnsmasq 5300
start_lanctl 54 "cache-size=0"
start_dnsmasq 5400 "cache-size=0"

for i in 1 2 3; do echo "host$i.lan.example A"; done >"$tmp/local.txt"
echo "host2.lan.example AAAA" >>"$tmp/local.txt"
for i in $(seq 100); do echo "n$i.fwd.example A"; done >"$tmp/fwd.txt"

run() {  # port file [passes] -> "qps latency_ms lost cpu_us_per_query sys_us_per_query"
    local out user_before sys_before user_after sys_after
    read -r user_before sys_before <<<"$(proc_cpu_ticks "${server_pid[$1]}")"
    if [ -n "${3:-}" ]; then
        out=$(timeout 60 ip netns exec "$cli" dnsperf -s 192.0.2.1 -p "$1" -d "$2" -n "$3" \
            -c 20 -q 200 -t 2 2>&1) || true
    else
        out=$(timeout $((DURATION + 30)) ip netns exec "$cli" dnsperf -s 192.0.2.1 -p "$1" \
            -d "$2" -l "$DURATION" -c 20 -q 200 -t 2 2>&1) || true
    fi
    read -r user_after sys_after <<<"$(proc_cpu_ticks "${server_pid[$1]}")"
    echo "$out" | awk -v dur="$DURATION" \
        -v ticks=$((user_after + sys_after - user_before - sys_before)) \
        -v sticks=$((sys_after - sys_before)) -v hz="$(getconf CLK_TCK)" '
        /Queries completed:/ {done=$3}
        /Queries lost:/ {lost=$3}
        /Run time \(s\):/ {t=$4}
        /Average Latency \(s\):/ {lat=$4}
        END {cpu = done > 0 ? ticks / hz * 1e6 / done : 0
             sys = done > 0 ? sticks / hz * 1e6 / done : 0
             if (t > dur) t = dur; if (t <= 0) t = 1
             printf "%.0f %.3f %s %.1f %.1f\n", done / t, lat * 1000, lost, cpu, sys}'
}

# Warm the caches (also the upstream's): one pass over the forwarded names on every server.
for port in 53 5300 54 5400; do run "$port" "$tmp/fwd.txt" 1 >/dev/null; done

declare -A res
LINES=${LINES:-local cached uncached}
for line in "local 53 5300 local.txt" "cached 53 5300 fwd.txt" "uncached 54 5400 fwd.txt"; do
    set -- $line
    case " $LINES " in *" $1 "*) ;; *) continue ;; esac
    res["$1 lanctl"]=$(run "$2" "$tmp/$4")
    res["$1 dnsmasq"]=$(run "$3" "$tmp/$4")
done

printf 'dnsperf -c 20 -q 200, %s s per run, %s CPUs\n' "$DURATION" "$(nproc)"
printf '%-9s %11s %7s %8s %12s %7s %8s %6s\n' line "lanctl qps" "lat ms" "cpu us/q" \
    "dnsmasq qps" "lat ms" "cpu us/q" ratio
for l in $LINES; do
    set -- ${res["$l lanctl"]}
    lq=$1 ll=$2 llost=$3 lc=$4 ls=$5
    set -- ${res["$l dnsmasq"]}
    dq=$1 dl=$2 dlost=$3 dc=$4 ds=$5
    printf '%-9s %11s %7s %8s %12s %7s %8s %6.2f   (lost %s / %s; sys us/q %s / %s)\n' \
        "$l" "$lq" "$ll" "$lc" "$dq" "$dl" "$dc" \
        "$(echo "if ($dq > 0) $lq / $dq else 0" | bc -l)" "$llost" "$dlost" "$ls" "$ds"
done
