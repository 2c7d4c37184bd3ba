#!/usr/bin/env bash
# Blind in-window attacks (RFC 5961) against a live echo connection of the default daemon (what
# `sudo scripts/run.sh` starts), from the kernel side.
#
#   sudo scripts/bench/blind.sh [--count N] [--rate SEGMENTS_PER_S]
#
# A kernel client (scripts/bench/echo_stream.py, from 198.18.0.1:40007) streams through the echo
# service while scripts/bench/spoof.c sends --count spoofed segments in turn RST, SYN and data
# with ACK, with random sequence and acknowledgment numbers, "from" the client's address: first
# two thirds from its port (the attacker knows the 4-tuple, not the sequence numbers), then a
# third from random ports. The connection must end with the client's own FIN and every byte echoed unchanged
# (sha256 of both streams); challenge ACKs stay within tcp_invalid_ratelimit (one per 500 ms per
# connection). Runs in a namespace of its own (tcpstack-blind-PID), removed on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
COUNT=100000
RATE=10000
while [[ $# -gt 0 ]]; do
    case $1 in
        --count) COUNT=${2:?}; shift 2 ;;
        --rate) RATE=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "blind.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if (( COUNT < 3 || COUNT > 10000000 || RATE < 1 )); then
    echo "blind.sh: --count must be 3..10000000, --rate positive" >&2
    exit 2
fi

source "$ROOT/scripts/bench/default-daemon.sh"
bench_start blind "gcc python3 iproute2" gcc python3 ip
NS=$TAG
trap 'cleanup_daemon; rm -rf "$WORK"' EXIT

gcc -O2 -o "$WORK/spoof" "$ROOT/scripts/bench/spoof.c"
start_daemon "$NS"
counter() {
    awk -v n="$1" '$1 == n {print $2}' "$2" | head -1
}
echo "blind: $COUNT spoofed segments at $RATE/s against 198.18.0.1:40007 -> 198.18.0.2:7; load: $(cut -d' ' -f1-3 /proc/loadavg)"

KNOWN=$((COUNT * 2 / 3))
ATTACK_SECONDS=$(( (COUNT + RATE - 1) / RATE ))
ip netns exec "$NS" python3 "$ROOT/scripts/bench/echo_stream.py" --connect 198.18.0.2 --bind 198.18.0.1:40007 \
    --seconds $((ATTACK_SECONDS + 2)) --ready-file "$WORK/ready" >"$WORK/echo.out" 2>&1 &
ECHO_PID=$!
PIDS+=("$ECHO_PID")
for _ in $(seq 100); do
    [[ -f $WORK/ready ]] && break
    sleep 0.1
done
# first the known 4-tuple alone, so that the challenge ACKs counted meanwhile are the attacked
# connection's; then random ports (requests from their SYNs, resets for their data)
ctl stats -z >"$WORK/before"
ip netns exec "$NS" "$WORK/spoof" blind --dst 198.18.0.2 --dport 7 --src 198.18.0.1 --sport 40007-40007 \
    --count "$KNOWN" --rate "$RATE" --seconds 600 >"$WORK/spoof-known.out"
ctl stats -z >"$WORK/known"
ip netns exec "$NS" "$WORK/spoof" blind --dst 198.18.0.2 --dport 7 --src 198.18.0.1 --sport 1024-65535 \
    --count $((COUNT - KNOWN)) --rate "$RATE" --seconds 600 >"$WORK/spoof-random.out"
ECHO_OK=1
wait "$ECHO_PID" || ECHO_OK=0
ctl stats -z >"$WORK/after"
sed 's/^/known port:  /' "$WORK/spoof-known.out"
sed 's/^/random port: /' "$WORK/spoof-random.out"
cat "$WORK/echo.out"

delta() { # COUNTER FROM TO
    echo $(( $(counter "$1" "$WORK/$3") - $(counter "$1" "$WORK/$2") ))
}
CHALLENGES=$(delta TcpExtTCPChallengeACK before known)
SECONDS_ATTACKED=$(awk '{for (i = 1; i <= NF; i++) if ($i == "in") {print $(i + 1); exit}}' "$WORK/spoof-known.out")
# one at the start, one per 500 ms after, one for segments still queued when the attack ended
LIMIT=$(awk -v s="$SECONDS_ATTACKED" 'BEGIN {printf "%d", s / 0.5 + 2}')
echo "known port, ${SECONDS_ATTACKED} s: TcpExtTCPChallengeACK +$CHALLENGES (at most $LIMIT at one per 500 ms)" \
    "TcpExtTCPACKSkippedChallenge +$(delta TcpExtTCPACKSkippedChallenge before known)" \
    "TcpExtTCPSYNChallenge +$(delta TcpExtTCPSYNChallenge before known) TcpEstabResets +$(delta TcpEstabResets before known)"
echo "random ports: TcpExtTCPChallengeACK +$(delta TcpExtTCPChallengeACK known after) TcpOutRsts +$(delta TcpOutRsts known after)" \
    "TcpAttemptFails +$(delta TcpAttemptFails known after) TcpPassiveOpens +$(delta TcpPassiveOpens known after)" \
    "TcpEstabResets +$(delta TcpEstabResets known after)"
echo "drops: $(grep -E '^TCP_(RESET_CHALLENGE|SYN_CHALLENGE|INVALID_SEQUENCE|INVALID_ACK_SEQUENCE|NO_SOCKET) ' "$WORK/after" | tr -s ' ' | paste -sd ' ')"
VERDICT="echo intact and never reset"
(( ECHO_OK )) || VERDICT="ECHO BROKEN"
(( CHALLENGES <= LIMIT )) || VERDICT="$VERDICT; CHALLENGE ACKS OVER THE LIMIT"
echo "blind: $VERDICT; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[[ $VERDICT == "echo intact and never reset" ]]
