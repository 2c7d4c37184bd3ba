#!/usr/bin/env bash
# Soak: mixed load against the default daemon (what `sudo scripts/run.sh` starts) from kernel
# clients, then what is left once it ends.
#
#   sudo scripts/soak.sh [--minutes N]            N minutes of load (default 30)
#
# In a namespace of its own (tcpstack-soak-PID, removed on exit), for N minutes: keep-alive HTTP
# (wrk, 4 connections), short connections (ab, one at a time), bulk both ways (32 MiB downloads,
# every byte checked; 32 MiB uploads to discard), echo (1 MiB per connection, compared), a slow
# reader (a 64 MiB download read at 160 KiB/s for 20 s, then dropped). Every 30 s: the daemon's
# heap after a full GC, its threads and file descriptors, its connections and TIME_WAIT records.
# Then 65 s of quiet (TIME_WAIT lasts 60 s) and the same once more. Prints every client's errors;
# exits 1 if there were any, or if connections or TIME_WAIT records are left.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MINUTES=30
SAMPLE=30
while [[ $# -gt 0 ]]; do
    case $1 in
        --minutes) MINUTES=${2:?--minutes needs a number}; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if ! [[ $MINUTES =~ ^[0-9]+$ ]] || (( MINUTES < 1 || MINUTES > 1440 )); then
    echo "soak.sh: --minutes must be 1..1440" >&2
    exit 2
fi
source "$ROOT/scripts/bench/default-daemon.sh"
bench_start soak "wrk apache2-utils openjdk-17-jdk-headless python3" wrk ab jcmd python3
NS=$TAG
trap 'cleanup_daemon; rm -rf "$WORK"' EXIT
start_daemon "$NS"
IN=(ip netns exec "$NS")
SECS=$((MINUTES * 60))
echo "soak: $MINUTES min of mixed load; $(grep -o 'tcpstack ready:.*' "$WORK/daemon.out"); $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"

# one sample: seconds, heap after a full GC (KiB), threads, fds, connections, TIME_WAIT records
sample() {
    local heap threads fds states
    heap=$(heap_kib)
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$DAEMON/status")
    fds=$(find "/proc/$DAEMON/fd" -mindepth 1 -maxdepth 1 | wc -l)
    if ctl conns >"$WORK/conns" 2>"$WORK/conns.err"; then
        states=$(awk 'NR > 1 && $1 != "LISTEN" {n++; if ($1 == "TIME-WAIT") tw++} END {printf "%d %d", n - tw, tw}' \
            "$WORK/conns")
    else
        states="? ?" # ctl failed: $WORK/conns.err says why
        cat "$WORK/conns.err" >&2
    fi
    printf '%6d %10s %8s %5s %12s %10s\n' "$1" "$heap" "$threads" "$fds" ${states}
}

CLIENT="$ROOT/scripts/soak_clients.py"
"${IN[@]}" wrk -t1 -c4 -d"${SECS}s" --timeout 10s http://198.18.0.2/ >"$WORK/wrk.out" 2>&1 &
PIDS+=($!)
"${IN[@]}" ab -q -r -c1 -n 100000000 -t "$SECS" -s 10 http://198.18.0.2/ >"$WORK/ab.out" 2>&1 &
PIDS+=($!)
for mode in bulk-down bulk-up echo slow-reader; do
    "${IN[@]}" python3 "$CLIENT" "$mode" --connect 198.18.0.2 --seconds "$SECS" >"$WORK/$mode.out" 2>&1 &
    PIDS+=($!)
done
LOAD_PIDS=("${PIDS[@]}")

printf '%6s %10s %8s %5s %12s %10s\n' "t (s)" "heap KiB" threads fds connections TIME-WAIT
START=$(date +%s)
sample 0
while true; do
    sleep "$SAMPLE"
    t=$(( $(date +%s) - START ))
    (( t <= SECS + SAMPLE )) || break
    sample "$t"
    alive=0
    for pid in "${LOAD_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && alive=1
    done
    (( alive )) || break
done
for pid in "${LOAD_PIDS[@]}"; do
    wait "$pid" || true
done
END=$(date +%s)
echo "load over after $((END - START)) s; quiet for 65 s (TIME_WAIT is 60 s)"
sleep 65
AFTER=$(sample $(( $(date +%s) - START )))
echo "$AFTER"
if awk 'NR > 1 && $1 != "LISTEN"' "$WORK/conns" | grep -q .; then
    echo "left (ctl conns -i):"
    ctl conns -i | awk 'NR > 1 && $1 != "LISTEN"' | sed 's/^/  /' | head -20
    # a TIME_WAIT restarted by the peer's late FIN, a retransmission still going: when does it end?
    for extra in $(seq 5 5 70); do
        sleep 5
        if ! ctl conns | awk 'NR > 1 && $1 != "LISTEN"' | grep -q .; then
            echo "  (all gone $extra s later)"
            break
        fi
    done
fi

echo "clients:"
awk '/requests in/ || /Socket errors/ || /Non-2xx/ || /Requests\/sec/' "$WORK/wrk.out" | sed 's/^ */  wrk: /'
awk '/Complete requests|Failed requests|Non-2xx|Requests per second/' "$WORK/ab.out" | sed 's/^ */  ab: /'
for mode in bulk-down bulk-up echo slow-reader; do
    sed 's/^/  /' "$WORK/$mode.out"
done
ctl stats >"$WORK/stats"
echo "stack counters: $(grep -E '^(TcpPassiveOpens|TcpEstabResets|TcpRetransSegs|TcpExtTCPTimeWaitOverflow|TcpExtTCPAbortOnMemory|TcpExtListenDrops|TcpExtSyncookiesSent) ' "$WORK/stats" | tr -s ' ' | paste -sd ' ')"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

errors=0
grep -q "Socket errors" "$WORK/wrk.out" && errors=$((errors + 1))
grep -q "Non-2xx" "$WORK/wrk.out" && errors=$((errors + 1))
awk '/^Failed requests:/ {exit $3 != 0}' "$WORK/ab.out" || errors=$((errors + 1))
grep -q "Non-2xx" "$WORK/ab.out" && errors=$((errors + 1))
for mode in bulk-down bulk-up echo slow-reader; do
    grep -q "errors=0 " "$WORK/$mode.out" || errors=$((errors + 1))
done
read -r _ _ _ _ CONNS TW <<<"$AFTER"
echo "soak: $errors client(s) with errors; $CONNS connection(s) and $TW TIME_WAIT record(s) 65 s after the load"
[[ $errors == 0 && $CONNS == 0 && $TW == 0 ]]
