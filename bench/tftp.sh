#!/usr/bin/env bash
# TFTP throughput: lanctl against dnsmasq on the same machine, in one run (issue 5).
#
#   sudo bench/tftp.sh              # SIZE_MB=100 RUNS=3 by default
#
# Creates throw-away network namespaces (lanctl 192.0.2.1, dnsmasq 198.51.100.1, one client
# linked to both; documentation addresses), a SIZE_MB random file, and fetches it from
# `lanctl tftp serve` and from `dnsmasq` with: tftp-hpa (blksize 512, it has no
# blksize option), curl --tftp-blksize 512 and 1468, atftp blksize 1468, and, for lanctl
# only (dnsmasq ignores RFC 7440), atftp blksize 1468 with windowsize 8 and 16.  Every
# fetch is checked with cmp.  Every fetch is printed (MB/s, the server's CPU time per MB from
# /proc/PID/stat, the client's CPU time per MB), then, per client, the best and the median
# MB/s of both servers, their ratio (lanctl / dnsmasq) and the median server CPU ms/MB,
# which a busy machine skews less than MB/s.  For the windowed rows the ratio is against
# dnsmasq's lock-step atftp blksize 1468 row.  Both servers run at once in two namespaces
# and the fetches alternate between them.  CLIENTS="curl-512 atftp-1468-w16" runs only
# those rows (windowed ones against lanctl only); LANCTL_PY replaces "python3 -m lanctl"
# (e.g. a wrapper that profiles the server).  PIN=same runs both servers and the client on
# CPU 0 (taskset), so a lock-step fetch measures the CPU cost per block of both ends rather
# than wake-up latency across CPUs; PIN=split puts the servers on CPU 0 and the client on 1.
# A benchmark reports; it is not a test and is not run in CI (ARCHITECTURE §5).
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
SIZE_MB=${SIZE_MB:-100}
RUNS=${RUNS:-3}
PIN=${PIN:-}
srv_pin=()
cli_pin=()
case "$PIN" in
    same) srv_pin=(taskset -c 0) cli_pin=(taskset -c 0) ;;
    split) srv_pin=(taskset -c 0) cli_pin=(taskset -c 1) ;;
    "") ;;
    *) echo "bench: PIN is same or split" >&2; exit 2 ;;
esac
bench_need_root "network namespaces, port 69"
bench_need_tools tftp curl atftp dnsmasq ip

tag="lctb$$"
lsrv="$tag-l"   # lanctl, 192.0.2.1
dsrv="$tag-d"   # dnsmasq, 198.51.100.1
cli="$tag-cli"  # the client: 192.0.2.2 and 198.51.100.2
tmp=$(mktemp -d)
chmod 755 "$tmp"
BENCH_TMP=$tmp
trap bench_cleanup EXIT

netns_add "$lsrv" "$dsrv" "$cli"
veth_link "$lsrv" "${tag}la" 192.0.2.1/24 "$cli" "${tag}lb" 192.0.2.2/24
veth_link "$dsrv" "${tag}da" 198.51.100.1/24 "$cli" "${tag}db" 198.51.100.2/24

mkdir -m 755 "$tmp/root"
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom >"$tmp/root/image"
chmod 644 "$tmp/root/image"
bytes=$(stat -c %s "$tmp/root/image")

cat >"$tmp/lanctl.conf" <<EOF
enable-tftp
tftp-root=$tmp/root
port=0
user=
pid-file=
control-socket=$tmp/ctl.sock
log-facility=$tmp/lanctl.log
quiet-tftp
EOF

read -r -a lanctl_py <<<"${LANCTL_PY:-python3 -m lanctl}"
PYTHONPATH=$PWD ip netns exec "$lsrv" "${srv_pin[@]}" "${lanctl_py[@]}" tftp serve -C "$tmp/lanctl.conf" &
BENCH_PIDS+=($!)
lanctl_pid=$!
wait_port "$lsrv" "$!" 69
ip netns exec "$dsrv" "${srv_pin[@]}" dnsmasq -k --port=0 --enable-tftp --tftp-root="$tmp/root" \
    --pid-file= --user=root --group=root --log-facility="$tmp/dnsmasq.log" \
    --conf-file=/dev/null --quiet-tftp &
BENCH_PIDS+=($!)
dnsmasq_pid=$!
wait_port "$dsrv" "$!" 69
hz=$(getconf CLK_TCK)

client_cmd() {  # client host -> command line fetching into $tmp/out
    local out="$tmp/out" host=$2
    case "$1" in
        tftp-hpa-512) echo "tftp $host -m binary -c get image $out" ;;
        curl-512) echo "curl -sS --max-time 600 --tftp-blksize 512 -o $out tftp://$host/image" ;;
        curl-1468) echo "curl -sS --max-time 600 --tftp-blksize 1468 -o $out tftp://$host/image" ;;
        atftp-1468) echo "atftp -g -r image -l $out --option 'blksize 1468' $host" ;;
        atftp-1468-w8) echo "atftp -g -r image -l $out --option 'blksize 1468' --option 'windowsize 8' $host" ;;
        atftp-1468-w16) echo "atftp -g -r image -l $out --option 'blksize 1468' --option 'windowsize 16' $host" ;;
    esac
}

declare -A rates srvcpu clicpu
once() {  # server client run: one timed fetch
    local host=192.0.2.1 pid=$lanctl_pid cmd t0 t1 c0 c1 rate scpu ccpu ucpu
    [ "$1" = dnsmasq ] && host=198.51.100.1 pid=$dnsmasq_pid
    cmd=$(client_cmd "$2" "$host")
    rm -f "$tmp/out"
    c0=$(proc_cpu_ticks "$pid")
    t0=$(date +%s.%N)
    # bash's `time` gives the client's own CPU (user + sys) in seconds
    { TIMEFORMAT='%U %S'; time ip netns exec "$cli" "${cli_pin[@]}" sh -c "$cmd" >/dev/null 2>&1 || true; } 2>"$tmp/ctime"
    t1=$(date +%s.%N)
    c1=$(proc_cpu_ticks "$pid")
    if cmp -s "$tmp/out" "$tmp/root/image"; then
        rate=$(echo "$bytes / 1000000 / ($t1 - $t0)" | bc -l)
    else
        echo "bench: $1 $2: file differs (failed transfer)" >&2
        rate=0
    fi
    # shellcheck disable=SC2086
    set -- "$@" $c0 $c1  # $4 $5: utime stime before, $6 $7: after
    scpu=$(echo "($6 + $7 - $4 - $5) * 1000 / $hz / ($bytes / 1000000)" | bc -l)
    ucpu=$(echo "($6 - $4) * 1000 / $hz / ($bytes / 1000000)" | bc -l)
    ccpu=$(awk -v b="$bytes" '{print ($1 + $2) * 1000 / (b / 1000000)}' "$tmp/ctime")
    rates["$1 $2"]+="$rate "
    srvcpu["$1 $2"]+="$scpu "
    clicpu["$1 $2"]+="$ccpu "
    printf 'run %s %-8s %-16s %8.1f MB/s  server %6.2f ms/MB (user %5.2f)  client %6.2f ms/MB\n' \
        "$3" "$1" "$2" "$rate" "$scpu" "$ucpu" "$ccpu"
}

stat_of() {  # best|median values...
    local what=$1
    shift
    printf '%s\n' "$@" | sort -g | awk -v w="$what" '{v[NR] = $1}
        END {if (w == "best") print v[NR]; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}

all_common=(tftp-hpa-512 curl-512 curl-1468 atftp-1468)
all_windowed=(atftp-1468-w8 atftp-1468-w16)
common=()
windowed=()
for c in ${CLIENTS:-${all_common[*]} ${all_windowed[*]}}; do
    case "$c" in
        *-w*) windowed+=("$c") ;;
        *) common+=("$c") ;;
    esac
done
# The windowed ratio needs dnsmasq's lock-step row at the same blksize.
if [ "${#windowed[@]}" -gt 0 ] && [[ " ${common[*]} " != *" atftp-1468 "* ]]; then
    common+=(atftp-1468)
fi

# Interleaved (lanctl, dnsmasq, lanctl, ...) so that load from elsewhere on the machine
# hits both servers alike.
for run in $(seq "$RUNS"); do
    for c in "${common[@]}"; do
        once lanctl "$c" "$run"
        once dnsmasq "$c" "$run"
    done
    for c in "${windowed[@]}"; do once lanctl "$c" "$run"; done
done

printf '\n%s MB file, %s runs (MB = 10^6 bytes); MB/s best / median; CPU = median server ms/MB\n' \
    "$SIZE_MB" "$RUNS"
printf '%-16s %15s %15s %11s %11s %9s %9s\n' client "lanctl MB/s" "dnsmasq MB/s" "ratio best" \
    "ratio med" "lc CPU" "dm CPU"
row() {  # client lanctl-key dnsmasq-key
    local lb lm db dm lc dc
    # shellcheck disable=SC2086
    lb=$(stat_of best ${rates["$2"]}); lm=$(stat_of median ${rates["$2"]})
    # shellcheck disable=SC2086
    db=$(stat_of best ${rates["$3"]}); dm=$(stat_of median ${rates["$3"]})
    # shellcheck disable=SC2086
    lc=$(stat_of median ${srvcpu["$2"]}); dc=$(stat_of median ${srvcpu["$3"]})
    printf '%-16s %7.1f /%6.1f %7.1f /%6.1f %11.2f %11.2f %9.2f %9.2f\n' "$1" "$lb" "$lm" "$db" "$dm" \
        "$(echo "if ($db > 0) $lb / $db else 0" | bc -l)" \
        "$(echo "if ($dm > 0) $lm / $dm else 0" | bc -l)" "$lc" "$dc"
}
for c in "${common[@]}"; do row "$c" "lanctl $c" "dnsmasq $c"; done
for c in "${windowed[@]}"; do row "$c" "lanctl $c" "dnsmasq atftp-1468"; done
