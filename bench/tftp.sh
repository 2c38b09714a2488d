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
# fetch is checked with cmp.  Prints MB/s (best of RUNS) and the lanctl/dnsmasq ratio; for
# the windowed rows the ratio is against dnsmasq's atftp blksize 1468 row.  Both servers
# run at once in two namespaces and the fetches alternate between them.
# A benchmark reports; it is not a test and is not run in CI (ARCHITECTURE §5).
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-100}
RUNS=${RUNS:-3}
[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces, port 69)" >&2; exit 2; }
for tool in tftp curl atftp dnsmasq ip; do
    command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 2; }
done

tag="lctb$$"
lsrv="$tag-l"   # lanctl, 192.0.2.1
dsrv="$tag-d"   # dnsmasq, 198.51.100.1
cli="$tag-cli"  # the client: 192.0.2.2 and 198.51.100.2
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    for ns in "$lsrv" "$dsrv" "$cli"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

for ns in "$lsrv" "$dsrv" "$cli"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip link add "${tag}la" netns "$lsrv" type veth peer name "${tag}lb" netns "$cli"
ip link add "${tag}da" netns "$dsrv" type veth peer name "${tag}db" netns "$cli"
ip -n "$lsrv" addr add 192.0.2.1/24 dev "${tag}la"
ip -n "$cli" addr add 192.0.2.2/24 dev "${tag}lb"
ip -n "$dsrv" addr add 198.51.100.1/24 dev "${tag}da"
ip -n "$cli" addr add 198.51.100.2/24 dev "${tag}db"
for pair in "$lsrv ${tag}la" "$cli ${tag}lb" "$dsrv ${tag}da" "$cli ${tag}db"; do
    set -- $pair
    ip -n "$1" link set "$2" up
done

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

wait_port() {  # namespace pid
    for _ in $(seq 75); do
        if ip netns exec "$1" ss -Hlnu | awk '{print $4}' | grep -q ':69$'; then return 0; fi
        kill -0 "$2" 2>/dev/null || { echo "bench: server in $1 died" >&2; exit 1; }
        sleep 0.2
    done
    echo "bench: port 69 never bound in $1" >&2
    exit 1
}

PYTHONPATH=$PWD ip netns exec "$lsrv" python3 -m lanctl tftp serve -C "$tmp/lanctl.conf" &
pids+=($!)
wait_port "$lsrv" "$!"
ip netns exec "$dsrv" dnsmasq -k --port=0 --enable-tftp --tftp-root="$tmp/root" \
    --pid-file= --user=root --group=root --log-facility="$tmp/dnsmasq.log" \
    --conf-file=/dev/null --quiet-tftp &
pids+=($!)
wait_port "$dsrv" "$!"

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

declare -A best
once() {  # server client: one timed fetch, keeps the best rate
    local host=192.0.2.1 cmd t0 t1 rate
    [ "$1" = dnsmasq ] && host=198.51.100.1
    cmd=$(client_cmd "$2" "$host")
    rm -f "$tmp/out"
    t0=$(date +%s.%N)
    ip netns exec "$cli" sh -c "$cmd" >/dev/null 2>&1 || true
    t1=$(date +%s.%N)
    if cmp -s "$tmp/out" "$tmp/root/image"; then
        rate=$(echo "$bytes / 1000000 / ($t1 - $t0)" | bc -l)
    else
        echo "bench: $1 $2: file differs (failed transfer)" >&2
        rate=0
    fi
    best["$1 $2"]=$(echo "r=${best["$1 $2"]:-0}; if ($rate > r) $rate else r" | bc -l)
}

common=(tftp-hpa-512 curl-512 curl-1468 atftp-1468)
windowed=(atftp-1468-w8 atftp-1468-w16)

# Interleaved (lanctl, dnsmasq, lanctl, ...) so that load from elsewhere on the machine
# hits both servers alike; the best of RUNS is kept for each.
for _ in $(seq "$RUNS"); do
    for c in "${common[@]}"; do
        once lanctl "$c"
        once dnsmasq "$c"
    done
    for c in "${windowed[@]}"; do once lanctl "$c"; done
done

printf '%s MB file, best of %s runs (MB = 10^6 bytes)\n' "$SIZE_MB" "$RUNS"
printf '%-16s %12s %12s %8s\n' client "lanctl MB/s" "dnsmasq MB/s" ratio
for c in "${common[@]}"; do
    l=${best["lanctl $c"]}
    d=${best["dnsmasq $c"]}
    printf '%-16s %12.1f %12.1f %8.2f\n' "$c" "$l" "$d" "$(echo "if ($d > 0) $l / $d else 0" | bc -l)"
done
d=${best["dnsmasq atftp-1468"]}
for c in "${windowed[@]}"; do
    l=${best["lanctl $c"]}
    printf '%-16s %12.1f %12s %8.2f\n' "$c" "$l" "(atftp-1468)" "$(echo "if ($d > 0) $l / $d else 0" | bc -l)"
done
