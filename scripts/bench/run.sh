#!/usr/bin/env bash
# tcpstack against the kernel, on this machine, in one run: builds, makes its own network
# namespaces (tcpstack-bench-PID-*), measures the stack over TUN and the kernel over a veth pair
# with the same client, and prints one table with each figure beside the kernel's and their ratio.
# The stack runs twice: in the daemon's default configuration (what scripts/run.sh starts: two
# TUN queues, affinity none, no offloads) and tuned (one queue, affinity flow, and offloads where a
# row says so). Bulk rows with a kernel sender give its retransmitted bytes (ss -ti), with its
# default congestion control (bbr) and with reno.
#
#   sudo scripts/bench/run.sh [--quick] [--out DIR]
#
#   --quick   2 s per measurement (the whole run stays under 5 minutes on 2 cores); default 8 s.
#             Latency measurements (short connections, ping-pong) run 3 times; the table shows
#             the median of each figure and the host's steal time during them
#   --out     where results.jsonl (raw), results.json and table.txt go (default: a new /tmp dir)
#
# Addresses (RFC 2544 space): tun0 198.18.0.1 (kernel) / 198.18.0.2 (stack); veth 198.18.1.1 /
# 198.18.1.2. Every load loop is bounded in time and count; the trap removes the namespaces and
# stops (by PID) every process this script started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_PER=8
OUT=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --quick) SECONDS_PER=2; shift ;;
        --out) OUT=${2:?--out needs a directory}; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [[ $EUID -ne 0 ]]; then
    echo "run.sh: needs root for network namespaces and TUN (sudo scripts/bench/run.sh)" >&2
    exit 1
fi

# the bench's own tools: ip, ethtool (veth offloads), python3 (the report), java and maven
declare -A NEEDS=([ip]=iproute2 [ethtool]=ethtool [python3]=python3 [mvn]=maven [java]=openjdk-17-jdk-headless)
missing=()
for cmd in "${!NEEDS[@]}"; do
    command -v "$cmd" >/dev/null || missing+=("${NEEDS[$cmd]}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "run.sh: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"$ROOT/scripts/tcpstack" --version >/dev/null   # builds the jar when the sources changed
# the figures are only comparable on an idle machine: say so when it is not
LOAD=$(cut -d' ' -f1 /proc/loadavg)
if python3 -c "import sys; sys.exit(0 if float('$LOAD') > 0.5 else 1)"; then
    echo "run.sh: warning: load average $LOAD before the run; other work on these 2 cores skews every figure" >&2
fi
P="tcpstack-bench-$$"
# shellcheck source=lib.sh
source "$ROOT/scripts/bench/lib.sh"   # NS_S (tun0 and the stack), NS_A (kernel client), NS_B (kernel server)
bench_out bench
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
# the client-closes runs leave ~15,000 kernel TIME-WAIT sockets each: past half the port range
# connect() searches ports for milliseconds, unless it may reuse them (as it does on loopback by
# default, tcp_tw_reuse=2)
bench_namespaces net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1

cpu_ticks() {   # busy jiffies of the machine (steal apart), or of one process
    if [[ $# -eq 0 ]]; then
        awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat
    else
        awk '{print $14+$15}' "/proc/$1/stat"
    fi
}
steal_ticks() {   # jiffies the hypervisor ran something else on our vCPUs
    awk '/^cpu /{print $9}' /proc/stat
}

# record SIDE TEST MTU OFFLOAD PROCESS_PID NS CLIENT_ARGS...: runs the client, appends one JSON line;
# a kernel bulk sender (bulk-send) is sampled with ss -ti for its retransmissions
record() {
    local side=$1 test=$2 mtu=$3 offload=$4 pid=$5 ns=$6
    shift 6
    local m0 p0 s0 m1 p1 s1 json client sender='{}'
    m0=$(cpu_ticks)
    s0=$(steal_ticks)
    p0=$([[ $pid != - ]] && cpu_ticks "$pid" || echo 0)
    timeout $((SECONDS_PER * 3 + 30)) ip netns exec "$ns" "${JAVA[@]}" io.tcpstack.bench.BenchClient "$@" \
        >"$OUT/client.out" &
    client=$!
    if [[ $1 == bulk-send ]]; then
        sender=$("$ROOT/scripts/bench/sender-retrans.sh" "$ns" "$2" "$3" "$client")
    fi
    if wait "$client"; then
        json=$(cat "$OUT/client.out")
    else
        log "  $side $test mtu=$mtu offload=$offload: client failed"
        json='{"failed":true}'
    fi
    m1=$(cpu_ticks)
    s1=$(steal_ticks)
    p1=$([[ $pid != - ]] && cpu_ticks "$pid" || echo 0)
    printf '{"side":"%s","test":"%s","mtu":%s,"offload":"%s","machine_cpu_ticks":%s,"steal_ticks":%s,"process_cpu_ticks":%s,"hz":%s,"result":%s,"sender":%s}\n' \
        "$side" "$test" "$mtu" "$offload" $((m1 - m0)) $((s1 - s0)) $((p1 - p0)) "$(getconf CLK_TCK)" "$json" "$sender" >>"$RESULTS"
    log "  $side $test mtu=$mtu offload=$offload: $json $sender"
}

# bulk_in SIDE MTU OFFLOAD PID NS HOST: a kernel client's bulk to discard:9, with bbr (the
# kernel's default) and with reno (test bulk-in-reno) as the sender's congestion control
bulk_in() {
    local side=$1 mtu=$2 offload=$3 pid=$4 ns=$5 host=$6
    record "$side" bulk-in "$mtu" "$offload" "$pid" "$ns" bulk-send "$host" 9 "$S" "$BULK_MAX"
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_congestion_control=reno
    record "$side" bulk-in-reno "$mtu" "$offload" "$pid" "$ns" bulk-send "$host" 9 "$S" "$BULK_MAX"
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_congestion_control=bbr
}

# append SIDE TEST MTU OFFLOAD JSON: a figure measured outside the client (counters, a server's own report)
append() {
    printf '{"side":"%s","test":"%s","mtu":%s,"offload":"%s","result":%s}\n' "$1" "$2" "$3" "$4" "$5" >>"$RESULTS"
    log "  $1 $2 mtu=$3 offload=$4: $5"
}

# warmup NS HOST: a second of each kind of traffic, not recorded, so that the JIT has compiled
# the server's paths before the first measurement
warmup() {
    local ns=$1 host=$2 args
    for args in "bulk-send $host 9" "bulk-recv $host 19" "conns $host 80" "pingpong $host 7"; do
        # shellcheck disable=SC2086
        timeout 30 ip netns exec "$ns" "${JAVA[@]}" io.tcpstack.bench.BenchClient $args 1 20000 >/dev/null || true
    done
}


S=$SECONDS_PER
BULK_MAX=0        # bulk runs are bounded by time only
CONN_MAX=200000   # short connections and round trips: by time and by count
REPEAT=3          # latency runs per measurement (their tails move with the host's steal time)

BUSY_POLL_US=50   # the second set of the stack's latency runs: its TUN reader busy-polls this long

# latency SIDE NS HOST MTU OFFLOAD PID [SUFFIX]: short connections (both closers) and ping-pong,
# REPEAT times; SUFFIX names a variant of the setup in the test names (-busy-poll)
latency() {
    local side=$1 ns=$2 host=$3 mtu=$4 offload=$5 pid=$6 suffix=${7:-} i
    for i in $(seq 1 "$REPEAT"); do
        record "$side" "conns-server-close$suffix" "$mtu" "$offload" "$pid" "$ns" conns "$host" 80 "$S" "$CONN_MAX" server
        record "$side" "conns-client-close$suffix" "$mtu" "$offload" "$pid" "$ns" conns "$host" 80 "$S" "$CONN_MAX" client
        record "$side" "pingpong$suffix" "$mtu" "$offload" "$pid" "$ns" pingpong "$host" 7 "$S" "$CONN_MAX"
    done
}

# ---- the kernel: veth between two namespaces
start_bg "$OUT/bench-server.log" "ready" "$NS_B" "${JAVA[@]}" io.tcpstack.bench.BenchServer 198.18.1.2 3600
KSERVER=$BG
warmup "$NS_A" 198.18.1.2
log "kernel <-> kernel over veth:"
for offload in off on; do
    for mtu in 1500 9000; do
        veth "$mtu" "$offload"
        if [[ $mtu == 1500 && $offload == off ]]; then
            bulk_in kernel "$mtu" "$offload" "$KSERVER" "$NS_A" 198.18.1.2
        else
            record kernel bulk-in "$mtu" "$offload" "$KSERVER" "$NS_A" bulk-send 198.18.1.2 9 "$S" "$BULK_MAX"
        fi
        record kernel bulk-out "$mtu" "$offload" "$KSERVER" "$NS_A" bulk-recv 198.18.1.2 19 "$S" "$BULK_MAX"
    done
done
veth 1500 on
latency kernel "$NS_A" 198.18.1.2 1500 on "$KSERVER"
# packets/s the receiving kernel handled up to its UDP sockets, for the generator the TUN reflector gets
udp_in() { ip netns exec "$NS_B" awk '/^Udp: [0-9]/{print $2 + $3 + $4}' /proc/net/snmp; }
u0=$(udp_in)
record kernel udp-blast 1500 on "$KSERVER" "$NS_A" udp 198.18.1.2 7 "$S"
u1=$(udp_in)
blast=$(tail -1 "$RESULTS" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"].get("total_seconds", 0))')
append kernel udp-pps 1500 on "$(python3 -c "print('{\"udp_in\":%d,\"pps\":%.0f}' % ($u1 - $u0, ($u1 - $u0) / max($blast, 1e-9)))")"
stop_bg "$KSERVER"

# ---- the stack on tun0
TUNED=(--queues 1 --affinity flow)
DEFAULT=(--queues 2 --affinity none)   # the daemon's defaults (tcpstack daemon, scripts/run.sh)
# daemon SIDE MTU on|off BUSY_POLL_US CONFIG...: (re)starts the stack with that MTU, TUN offloads,
# busy polling and queue/affinity options; sets DAEMON and DAEMON_LOG
daemon() {
    local side=$1 mtu=$2 offload=$3 busy=$4
    shift 4
    ip netns exec "$NS_S" ip link set dev tun0 mtu "$mtu" up
    local extra=(--busy-poll "$busy")
    [[ $offload == on ]] && extra+=(--offload)
    DAEMON_LOG="$OUT/daemon-$side-$mtu-$offload-$busy.log"
    start_bg "$DAEMON_LOG" "ready" "$NS_S" "${JAVA[@]}" io.tcpstack.bench.BenchDaemon \
        --dev tun0 --max-seconds 600 "$@" "${extra[@]}"
    DAEMON=$BG
    warmup "$NS_S" 198.18.0.2
}
stack_runs() {   # stack_runs SIDE MTU OFFLOAD: bulk both ways, and latency at MTU 1500 without offloads
    local side=$1 mtu=$2 offload=$3
    if [[ $mtu == 1500 && $offload == off ]]; then
        bulk_in "$side" "$mtu" "$offload" "$DAEMON" "$NS_S" 198.18.0.2
    else
        record "$side" bulk-in "$mtu" "$offload" "$DAEMON" "$NS_S" bulk-send 198.18.0.2 9 "$S" "$BULK_MAX"
    fi
    record "$side" bulk-out "$mtu" "$offload" "$DAEMON" "$NS_S" bulk-recv 198.18.0.2 19 "$S" "$BULK_MAX"
    if [[ $mtu == 1500 && $offload == off ]]; then
        latency "$side" "$NS_S" 198.18.0.2 1500 off "$DAEMON"
    fi
    stop_bg "$DAEMON"
    log "  daemon counters: $(tail -1 "$DAEMON_LOG")"
}
log "kernel <-> tcpstack over tun0, the daemon's default configuration (${DEFAULT[*]}):"
daemon stack-default 1500 off 0 "${DEFAULT[@]}"
stack_runs stack-default 1500 off
log "kernel <-> tcpstack over tun0, tuned (${TUNED[*]}):"
for config in "1500 off" "9000 off" "1500 on"; do
    set -- $config
    daemon stack "$1" "$2" 0 "${TUNED[@]}"
    stack_runs stack "$1" "$2"
done
# the same latency runs with the TUN reader busy-polling (the kernel's net.core.busy_poll is
# global, not per namespace, and veth has no busy-poll hook: the kernel figures stay as they are)
daemon stack 1500 off "$BUSY_POLL_US" "${TUNED[@]}"
latency stack "$NS_S" 198.18.0.2 1500 off "$DAEMON" -busy-poll
stop_bg "$DAEMON"

# ---- the TUN path alone: a reflector in place of the stack
ip netns exec "$NS_S" ip link set dev tun0 mtu 1500 up
start_bg "$OUT/reflector.log" "ready" "$NS_S" "${JAVA[@]}" io.tcpstack.bench.TunReflector tun0 600
REFLECTOR=$BG
record stack udp-blast 1500 off "$REFLECTOR" "$NS_S" udp 198.18.0.2 7 "$S"
stop_bg "$REFLECTOR"
append stack udp-pps 1500 off "$(tail -1 "$OUT/reflector.log")"

echo "load average before the run: $LOAD; $(nproc) cores; $(uname -r)" | tee "$OUT/table.txt"
python3 "$ROOT/scripts/bench/report.py" "$RESULTS" "$OUT/results.json" | tee -a "$OUT/table.txt"
log "raw results: $RESULTS; summary: $OUT/results.json"
