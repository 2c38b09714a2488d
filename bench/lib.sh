# shellcheck shell=bash
# Helpers shared by the network-namespace benchmarks (dns.sh, tftp.sh, dhcp.sh); sourced,
# not run.  A script names its namespaces with netns_add (deleted on exit, with anything
# still running in them), links them with veth_link, records the servers it starts in the
# background in BENCH_PIDS and a scratch directory in BENCH_TMP, and sets
# `trap bench_cleanup EXIT` (or calls netns_del_all from its own cleanup).  wait_port waits
# for a server's UDP port; proc_cpu_ticks reads a process's CPU time from /proc/PID/stat.
# Only documentation/benchmark addresses are used inside the namespaces (TESTING.md).

BENCH_PIDS=()   # background servers: killed and reaped by bench_cleanup
BENCH_NETNS=()  # namespaces made by netns_add: deleted by netns_del_all
BENCH_TMP=""    # scratch directory: removed by bench_cleanup when set

bench_need_root() {  # why -> exit 2 unless running as root
    [ "$(id -u)" = 0 ] || { echo "bench: needs root ($1)" >&2; exit 2; }
}

bench_need_tools() {  # tool... -> exit 2 naming the first one not on PATH
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 2; }
    done
}

netns_add() {  # name... -> fresh namespaces with loopback up
    local ns
    for ns in "$@"; do
        ip netns add "$ns"
        BENCH_NETNS+=("$ns")
        ip -n "$ns" link set lo up
    done
}

veth_link() {  # ns_a if_a addr_a/len ns_b if_b addr_b/len -> a veth pair, addressed and up
    ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
    ip -n "$1" addr add "$3" dev "$2"
    ip -n "$4" addr add "$6" dev "$5"
    ip -n "$1" link set "$2" up
    ip -n "$4" link set "$5" up
}

netns_del_all() {  # kill whatever still runs in our namespaces, then delete them
    local ns pid
    for ns in "${BENCH_NETNS[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
}

bench_cleanup() {  # the EXIT trap: servers, namespaces, scratch directory
    local pid
    for pid in "${BENCH_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    netns_del_all
    if [ -n "$BENCH_TMP" ]; then rm -rf "$BENCH_TMP"; fi
}

wait_port() {  # namespace pid port -> return once UDP port is bound there (15 s), else exit 1
    local _
    for _ in $(seq 75); do
        if ip netns exec "$1" ss -Hlnu | awk '{print $4}' | grep -q ":$3\$"; then return 0; fi
        kill -0 "$2" 2>/dev/null || { echo "bench: server on :$3 in $1 died" >&2; exit 1; }
        sleep 0.2
    done
    echo "bench: port $3 never bound in $1" >&2
    exit 1
}

proc_cpu_ticks() {  # pid -> "utime stime" of the whole process (all threads), in clock ticks
    sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12, $13}'
}
