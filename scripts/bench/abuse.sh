#!/usr/bin/env bash
# Memory under abuse, against the default daemon (what `sudo scripts/run.sh` starts): kernel
# clients open --conns connections to http:80, ask each for /bytes/1000000000 and never read
# (their windows close, the daemon's send queues fill), while --half-open spoofed SYNs from
# 198.18.0.0/24 that never answer leave idle half-open requests, and a serial kernel client beside
# them connects every 50 ms and fetches a page.
#
#   sudo scripts/bench/abuse.sh [--conns N] [--half-open N] [--seconds N] [--tcp-mem "LOW PRESSURE HIGH"]
#
# Defaults: 10,000 connections, 5,000 half-open, held 60 s, the daemon's own tcp-mem (scaled from
# its heap; --tcp-mem sets another through `ctl set` first, for a short run that reaches it).
# Everything runs in a namespace of its own (tcpstack-abuse-PID), removed on exit; every load
# stops by itself. Printed: the daemon's -Xmx and tcp-mem, its heap after a full GC before, under
# the abuse and after it, the serial client's success rate and connect times, and the counters of
# the limits that acted.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONNS=10000
HALF_OPEN=5000
HOLD=60
TCP_MEM=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --conns) CONNS=${2:?}; shift 2 ;;
        --half-open) HALF_OPEN=${2:?}; shift 2 ;;
        --seconds) HOLD=${2:?}; shift 2 ;;
        --tcp-mem) TCP_MEM=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "abuse.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if (( CONNS < 1 || CONNS > 30000 || HALF_OPEN < 0 || HALF_OPEN > 100000 || HOLD < 10 || HOLD > 600 )); then
    echo "abuse.sh: --conns 1..30000, --half-open 0..100000, --seconds 10..600" >&2
    exit 2
fi
source "$ROOT/scripts/bench/default-daemon.sh"
bench_start abuse "gcc openjdk-17-jdk-headless python3 iproute2" gcc jcmd python3 ip
cleanup() {
    cleanup_daemon
    rm -rf "$WORK"
}
trap cleanup EXIT

gcc -O2 -o "$WORK/spoof" "$ROOT/scripts/bench/spoof.c"
echo "abuse: $CONNS never-read connections + $HALF_OPEN half-open, held $HOLD s; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"

start_daemon "$TAG"
NS=$TAG
echo "daemon: $(grep -o 'tcpstack ready:.*' "$WORK/daemon.out")"
if [[ -n $TCP_MEM ]]; then
    ctl set tcp-mem $TCP_MEM >/dev/null
fi
XMX_KIB=$(( $(jcmd "$DAEMON" VM.flags -all | awk '$2 == "MaxHeapSize" {print $4}') / 1024 ))
echo "daemon: -Xmx $XMX_KIB KiB (the JVM's default: a quarter of memory); $(ctl get tcp-mem) (pages of 4 KiB)"
HEAP_BEFORE=$(heap_kib)

COUNTERS=(TcpExtTCPMemoryPressures TcpExtTCPMemoryPressuresChrono TcpExtTCPSndMemDrop TcpExtTCPRcvQDrop
    TcpExtPruneCalled TcpExtOfoPruned TcpExtRcvPruned TcpExtTCPZeroWindowDrop TcpExtTCPWinProbe
    TcpExtSyncookiesSent TcpExtSyncookiesRecv TcpExtTCPReqQFullDoCookies TcpExtTCPReqQFullDrop
    TcpExtListenOverflows TcpExtListenDrops TcpExtTCPMaxConnectionsDrop TcpExtTCPAbortOnMemory
    TcpExtTCPAbortOnTimeout TcpExtTCPAbortOnData TcpPassiveOpens)
counters() {
    for name in "${COUNTERS[@]}"; do
        printf '%s=%s ' "$name" "$(awk -v n="$name" '$1 == n {print $2}' "$1" | head -1)"
    done
    echo
}

# the legitimate client: serial, for the whole run
CLIENT_SECONDS=$((HOLD + CONNS / 1000 + 5)) # as long as the clients connect and hold
ip netns exec "$NS" python3 "$ROOT/scripts/bench/serial_connect.py" --connect 198.18.0.2 \
    --seconds "$CLIENT_SECONDS" >"$WORK/client.out" &
CLIENT_PID=$!
PIDS+=("$CLIENT_PID")

ip netns exec "$NS" python3 "$ROOT/scripts/bench/never_read.py" --connect 198.18.0.2 --port 80 \
    --count "$CONNS" --rate 1000 --seconds "$HOLD" >"$WORK/never.out" &
NEVER_PID=$!
PIDS+=("$NEVER_PID")
if (( HALF_OPEN > 0 )); then
    # spread over the first 5 s: the request queue and then SYN cookies take them
    ip netns exec "$NS" "$WORK/spoof" syn --dst 198.18.0.2 --dport 80 --src-net 198.18.0.0/24 \
        --rate "$(( (HALF_OPEN + 4) / 5 ))" --count "$HALF_OPEN" --seconds 10 | tee "$WORK/spoof.out"
fi
# under the abuse: once the clients are all in (they stay --seconds more), while the queues fill
while ! grep -q "opened=" "$WORK/never.out" 2>/dev/null; do
    kill -0 "$NEVER_PID" 2>/dev/null || break
    sleep 1
done
sleep 3
cat "$WORK/never.out"
HEAP_UNDER=$(heap_kib)
ctl conns state established >"$WORK/conns.under"
OPEN=$(grep -c ESTAB "$WORK/conns.under" || true)
SENDQ=$(awk '$1 == "ESTAB" {q += $3} END {print q + 0}' "$WORK/conns.under")
echo "under the abuse: heap after GC $HEAP_UNDER KiB of $XMX_KIB; then $OPEN established, $((SENDQ / 1024)) KiB in send queues; $(ctl status | grep '^tcp memory')"
wait "$NEVER_PID" || true
tail -1 "$WORK/never.out"
wait "$CLIENT_PID" || true
ctl stats -z >"$WORK/stats"
# after the abuse: the clients closed their sockets (with unread data: RSTs); requests expire
sleep 5
HEAP_AFTER=$(heap_kib)
echo "legitimate client: $(cat "$WORK/client.out")"
echo "counters: $(counters "$WORK/stats")"
echo "heap after GC: before ${HEAP_BEFORE} KiB, under the abuse ${HEAP_UNDER} KiB, 5 s after ${HEAP_AFTER} KiB; -Xmx ${XMX_KIB} KiB"
echo "daemon alive: $(kill -0 "$DAEMON" 2>/dev/null && echo yes || echo NO)"
stop_daemon
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
