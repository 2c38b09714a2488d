#!/usr/bin/env bash
# DHCPv4 DORA throughput: lanctl vs dnsmasq in the same run (ARCHITECTURE §5, issue 6).
#
#   sudo bench/dhcp.sh [RATES...]        default rates: 250 500 1000 2000 4000 8000
#   SERVERS=lanctl PERIOD=5 sudo bench/dhcp.sh 1000      (one server, shorter runs)
#   PROFILE=/tmp/x.prof SERVERS=lanctl bench/dhcp.sh 3000  (lanctl under cProfile; pstats file)
#   THREADS=multi bench/dhcp.sh 10000                       (perfdhcp's own thread mode)
#
# Two network namespaces joined by a veth pair; the server under test on 198.18.0.1/15
# (RFC 2544 benchmarking range, never routed) with one range of 130k addresses; perfdhcp
# (Debian package kea-admin) in the other namespace acts as a relay (giaddr 198.18.0.2).
# For each server and rate: a 10 s perfdhcp run with 100000 simulated clients, then the
# DORA exchanges completed per second, the drops (NAKs count as drops) and the leases in
# the lease file, and the server's CPU time (user + system, all threads) per completed DORA
# (steadier than drops on a busy machine: compare it at a rate both versions sustain).
# perfdhcp takes each of its clients once before any client twice: a run of more than
# CLIENTS exchanges (12000/s for 10 s) ends with clients that renew their lease, which is
# cheaper; PERIOD=7 keeps every exchange a new lease up to 14000/s.
# Reported: the highest rate with zero drops, per server, and the ratio.
# Not a test: it asserts nothing.  Needs root, perfdhcp, dnsmasq.  Cleans up on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
# shellcheck source=bench/lib.sh
. bench/lib.sh
RATES=("$@")
((${#RATES[@]})) || RATES=(250 500 1000 2000 4000 8000)
PERIOD=${PERIOD:-10}
CLIENTS=${CLIENTS:-100000}
# perfdhcp -g: "multi" (its default with 2+ CPUs) adds a receiving thread that polls
# without pause: on a 2-CPU machine perfdhcp then takes 1.2 CPUs and starves the server
# under test (measured: lanctl's capacity 9900 DORA/s with multi, 13000 with single).
# "single" keeps the load generator to one CPU, as if it ran on its own machine.
THREADS=${THREADS:-single}
TAG="lctb$$"
SRV="$TAG-srv" CLI="$TAG-cli"
WORK=$(mktemp -d /tmp/lanctl-dhcp-bench.XXXXXX)
chmod 0755 "$WORK"
PID=""

command -v perfdhcp >/dev/null || { echo "perfdhcp missing: apt-get install -y kea-admin" >&2; exit 1; }

cleanup() {
    [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    netns_del_all
    [[ ${KEEP:-0} == 1 ]] && echo "logs and lease files kept in $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

netns_add "$SRV" "$CLI"
veth_link "$SRV" "${TAG}s" 198.18.0.1/15 "$CLI" "${TAG}c" 198.18.0.2/15

write_conf() { # $1 = server kind, $2 = lease file
    cat <<CONF
port=0
no-ping
user=
pid-file=
log-facility=$WORK/$1.log
quiet-dhcp
dhcp-lease-max=1000000
dhcp-authoritative
dhcp-range=198.18.1.0,198.19.255.254,255.254.0.0,1h
dhcp-leasefile=$2
CONF
}

start_server() { # $1 = kind
    local leases="$WORK/$1.leases"
    rm -f "$leases" "$leases.sqlite"*
    write_conf "$1" "$leases" > "$WORK/$1.conf"
    [[ $1 == lanctl ]] && echo "control-socket=$WORK/ctl.sock" >> "$WORK/$1.conf"
    if [[ $1 == lanctl ]]; then
        local prof=()
        [[ -n ${PROFILE:-} ]] && prof=(-m cProfile -o "$PROFILE")
        ip netns exec "$SRV" env PYTHONPATH="$REPO" python3 "${prof[@]}" -m lanctl dhcp serve \
            -C "$WORK/$1.conf" &
    else
        ip netns exec "$SRV" dnsmasq -k -C "$WORK/$1.conf" &
    fi
    PID=$!
    wait_port "$SRV" "$PID" 67
}

stop_server() {
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=""
}

cpu_ticks() { # $1 = pid -> user + system clock ticks of it and its threads so far
    local user sys
    read -r user sys <<<"$(proc_cpu_ticks "$1")"
    echo $((${user:-0} + ${sys:-0}))
}

rcvbuf_errors() { # $1 = namespace -> UDP datagrams dropped there for a full receive buffer
    ip netns exec "$1" awk '/^Udp:/ { if (n++) print $6 }' /proc/net/snmp
}

declare -A BEST
run_rate() { # $1 = kind, $2 = rate -> prints a result line, sets LAST_DROPS
    local out sent recv drops done_s leases cpu0 cpu1 cpu_us srv0 cli0 full
    cpu0=$(cpu_ticks "$PID")
    srv0=$(rcvbuf_errors "$SRV") cli0=$(rcvbuf_errors "$CLI")
    out=$(timeout $((PERIOD + 30)) ip netns exec "$CLI" perfdhcp -4 -l "${TAG}c" -r "$2" \
        -R "$CLIENTS" -p "$PERIOD" -W 2000000 -g "$THREADS" 198.18.0.1 2>&1 || true)
    sent=$(awk '/REQUEST-ACK/{f=1} f&&/sent packets:/{print $3; exit}' <<<"$out")
    recv=$(awk '/REQUEST-ACK/{f=1} f&&/received packets:/{print $3; exit}' <<<"$out")
    drops=$(awk '/DISCOVER-OFFER/{f=1} f&&/drops:/{print $2; exit}' <<<"$out")
    drops=$((${drops:-0} + $(awk '/REQUEST-ACK/{f=1} f&&/drops:/{print $2; exit}' <<<"$out")))
    cpu1=$(cpu_ticks "$PID")
    full="server $(($(rcvbuf_errors "$SRV") - srv0)), perfdhcp $(($(rcvbuf_errors "$CLI") - cli0))"
    sleep 1.5
    leases=$(grep -c . "$WORK/$1.leases" 2>/dev/null || echo 0)
    done_s=$(awk -v r="${recv:-0}" -v p="$PERIOD" 'BEGIN{printf "%.0f", r/p}')
    cpu_us=$(awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v r="${recv:-0}" \
        'BEGIN{ if (r > 0) printf "%.0f", t / hz * 1e6 / r; else print "-" }')
    printf '%-8s rate %5s/s  DORA completed %6s (%5s/s)  drops %6s  leases in file %6s  CPU %4s us/DORA\n' \
        "$1" "$2" "${recv:-0}" "$done_s" "$drops" "$leases" "$cpu_us"
    ((drops == 0)) || echo "         datagrams lost to a full receive buffer: $full"
    LAST_DROPS=$drops
    LAST_DONE=$done_s
}

for kind in ${SERVERS:-dnsmasq lanctl}; do
    BEST[$kind]=0
    for rate in "${RATES[@]}"; do
        start_server "$kind"
        run_rate "$kind" "$rate"
        stop_server
        if ((LAST_DROPS == 0)); then BEST[$kind]=$LAST_DONE; fi
    done
done

echo
echo "highest DORA/s with zero drops: dnsmasq ${BEST[dnsmasq]:-n/a}, lanctl ${BEST[lanctl]:-n/a}"
awk -v a="${BEST[lanctl]:-0}" -v b="${BEST[dnsmasq]:-0}" \
    'BEGIN{ if (b > 0) printf "ratio lanctl/dnsmasq: %.2fx\n", a/b; else print "ratio: dnsmasq had drops at every rate" }'
