#!/usr/bin/env bash
# A spoofed SYN flood against the default daemon (what `sudo scripts/run.sh` starts), with a serial
# kernel client beside it, then the same against a kernel listener over veth.
#
#   sudo scripts/bench/synflood.sh [--rate SYNS_PER_S] [--seconds N] [--no-kernel] [--no-settle]
#
# Each run has namespaces of its own (tcpstack-synflood-PID-*), removed on exit. The flood comes
# from the kernel side (scripts/bench/spoof.c, a raw socket, bounded in rate and time): SYNs to
# port 80 from random hosts of 198.18.0.0/24 that never answer (their SYN-ACKs reach a kernel that
# does not forward, and die there). The client (scripts/bench/serial_connect.py) connects every
# 50 ms for the whole flood, sends a GET and reads the answer. Printed: what the generator sent,
# the client's connections and connect times, the listener's counters, the daemon's heap after a
# full GC before the flood, right after it, and once its request queue has expired (63 s of
# SYN-ACK retransmissions; --no-settle skips that wait).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RATE=60000
DURATION=10
KERNEL=1
SETTLE=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --rate) RATE=${2:?}; shift 2 ;;
        --seconds) DURATION=${2:?}; shift 2 ;;
        --no-kernel) KERNEL=0; shift ;;
        --no-settle) SETTLE=0; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "synflood.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if (( DURATION < 1 || DURATION > 600 )); then
    echo "synflood.sh: --seconds must be 1..600" >&2
    exit 2
fi
source "$ROOT/scripts/bench/default-daemon.sh"
bench_start synflood "gcc openjdk-17-jdk-headless python3 iproute2" gcc jcmd python3 ip nstat ss
cleanup() {
    cleanup_daemon
    for ns in "$TAG-k" "$TAG-c"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

gcc -O2 -o "$WORK/spoof" "$ROOT/scripts/bench/spoof.c"
CLIENT="$ROOT/scripts/bench/serial_connect.py"
CLIENT_SECONDS=$((DURATION + 2))
echo "synflood: $RATE SYNs/s for $DURATION s from 198.18.0.0/24 to port 80; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"

# the listed counters from `ctl stats -z` (or nstat -asz), NAME=VALUE, in the order asked
counters() {
    local file=$1
    shift
    for name in "$@"; do
        printf '%s=%s ' "$name" "$(awk -v n="$name" '$1 == n {print $2}' "$file" | head -1)"
    done
    echo
}
COUNTERS=(TcpExtSyncookiesSent TcpExtSyncookiesRecv TcpExtSyncookiesFailed TcpExtTCPReqQFullDoCookies
    TcpExtTCPReqQFullDrop TcpExtListenOverflows TcpExtListenDrops TcpPassiveOpens)

# ---- the daemon, as scripts/run.sh starts it
start_daemon "$TAG"
NS=$TAG
echo "daemon: $(grep -o 'tcpstack ready:.*' "$WORK/daemon.out")"

ip netns exec "$NS" python3 "$CLIENT" --connect 198.18.0.2 --seconds 2 >/dev/null # warm-up
HEAP_BEFORE=$(heap_kib)
ip netns exec "$NS" python3 "$CLIENT" --connect 198.18.0.2 --seconds "$CLIENT_SECONDS" >"$WORK/client.out" &
CLIENT_PID=$!
PIDS+=("$CLIENT_PID")
sleep 1
FLOOD_START=$(date +%s)
ip netns exec "$NS" "$WORK/spoof" syn --dst 198.18.0.2 --dport 80 --src-net 198.18.0.0/24 --rate "$RATE" \
    --seconds "$DURATION" | tee "$WORK/spoof.out"
wait "$CLIENT_PID"
ctl stats -z >"$WORK/stats"
HEAP_AFTER=$(heap_kib)
TUN_DROPS=$(ip netns exec "$NS" cat /sys/class/net/tun0/statistics/tx_dropped)
echo "stack client: $(cat "$WORK/client.out")"
echo "stack counters: $(counters "$WORK/stats" "${COUNTERS[@]}")"
echo "stack: SYN-RECV left $(ctl conns :80 | grep -c SYN-RECV || true); packets the kernel dropped at tun0 (queue full): $TUN_DROPS"
HEAP_SETTLED=""
if (( SETTLE )); then
    # the requests made at the flood's start expire after 63 s of SYN-ACK retransmissions
    for _ in $(seq 120); do
        (( $(date +%s) - FLOOD_START >= 65 )) && ! ctl conns :80 | grep -q SYN-RECV && break
        sleep 1
    done
    HEAP_SETTLED=$(heap_kib)
fi
echo "stack heap after GC: before ${HEAP_BEFORE} KiB, right after the flood ${HEAP_AFTER} KiB${HEAP_SETTLED:+, after the request queue expired ${HEAP_SETTLED} KiB}"
stop_daemon

# ---- the kernel: a listener over veth, same backlog (128) as the daemon's services
if (( KERNEL )); then
    K=$TAG-k
    C=$TAG-c
    ip netns add "$K"
    ip netns add "$C"
    ip link add "sfc$$" netns "$C" type veth peer name "sfk$$" netns "$K"
    ip -n "$C" addr add 198.18.1.1/24 dev "sfc$$"
    ip -n "$K" addr add 198.18.1.2/24 dev "sfk$$"
    for ns in "$K" "$C"; do
        ip -n "$ns" link set lo up
    done
    ip -n "$C" link set "sfc$$" up
    ip -n "$K" link set "sfk$$" up
    ip -n "$K" route add 198.18.0.0/24 via 198.18.1.1 # the spoofed sources are behind the client's side
    ip netns exec "$K" python3 - >"$WORK/server.out" 2>&1 <<'EOF' &
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.1.2", 80))
s.listen(128)
print("listening", flush=True)
s.settimeout(600)
while True:
    c, _ = s.accept()
    c.settimeout(3)
    try:
        c.recv(4096)
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n")
    except OSError:
        pass
    c.close()
EOF
    PIDS+=($!)
    for _ in $(seq 50); do
        grep -q listening "$WORK/server.out" 2>/dev/null && break
        sleep 0.1
    done
    ip netns exec "$C" python3 "$CLIENT" --connect 198.18.1.2 --seconds "$CLIENT_SECONDS" >"$WORK/kclient.out" &
    CLIENT_PID=$!
    PIDS+=("$CLIENT_PID")
    sleep 1
    ip netns exec "$C" "$WORK/spoof" syn --dst 198.18.1.2 --dport 80 --src-net 198.18.0.0/24 --rate "$RATE" \
        --seconds "$DURATION" | tee "$WORK/kspoof.out"
    wait "$CLIENT_PID"
    ip netns exec "$K" nstat -asz >"$WORK/kstats"
    echo "kernel client: $(cat "$WORK/kclient.out")"
    echo "kernel counters: $(counters "$WORK/kstats" "${COUNTERS[@]}")"
    echo "kernel: SYN-RECV left $(ip netns exec "$K" ss -Htan state syn-recv | wc -l); congestion control $(ip netns exec "$K" sysctl -n net.ipv4.tcp_congestion_control)"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
