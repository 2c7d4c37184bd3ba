# Shared by scripts/bench/run.sh and scripts/bench/inbound.sh (sourced, not run): the benchmark
# namespaces, their cleanup, background servers, the jar and the output directory. The caller
# sets P (a unique prefix with its PID) and ROOT before sourcing.
#
#   $P-s   tun0 (198.18.0.1; the stack is 198.18.0.2) and the kernel client of the stack
#   $P-a   a kernel client, veth vb-a 198.18.1.1
#   $P-b   a kernel server, veth vb-b 198.18.1.2
NS_S="$P-s"
NS_A="$P-a"
NS_B="$P-b"
PIDS=()
JAR="$ROOT/tun-driver/target/tcpstack-bench.jar"   # tcpstack.jar with the benchmark programs
JAVA=(java -XX:+UseParallelGC -cp "$JAR")

# bench_out NAME: OUT is the --out directory, or a new /tmp/tcpstack-NAME.XXXXXX; CTL the control
# socket a daemon started with --control "$CTL" listens on there
bench_out() {
    [[ -n ${OUT:-} ]] || OUT=$(mktemp -d "/tmp/tcpstack-$1.XXXXXX")
    mkdir -p "$OUT"
    CTL="$OUT/ctl.sock"
}

# ctl ARGS...: `tcpstack ctl ARGS` on the daemon at $CTL
ctl() { java -jar "$JAR" ctl "$@" --control "$CTL"; }

log() { printf '%s\n' "$*" >&2; }

# stops (by PID) every process started with start_bg, removes the namespaces
bench_cleanup() {
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    for ns in "$NS_S" "$NS_A" "$NS_B"; do
        ip netns del "$ns" 2>/dev/null || true
    done
}

# bench_namespaces [SYSCTL=VALUE...]: the three namespaces, each with the sysctls given
bench_namespaces() {
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    local ns setting
    for ns in "$NS_S" "$NS_A" "$NS_B"; do
        ip netns add "$ns"
        ip netns exec "$ns" ip link set lo up
        for setting in "$@"; do
            ip netns exec "$ns" sysctl -qw "$setting"
        done
    done
    ip netns exec "$NS_S" ip tuntap add dev tun0 mode tun multi_queue
    ip netns exec "$NS_S" ip addr add 198.18.0.1/24 dev tun0
    ip link add vb-a netns "$NS_A" type veth peer name vb-b netns "$NS_B"
    ip netns exec "$NS_A" ip addr add 198.18.1.1/24 dev vb-a
    ip netns exec "$NS_B" ip addr add 198.18.1.2/24 dev vb-b
    ip netns exec "$NS_A" ip link set vb-a up
    ip netns exec "$NS_B" ip link set vb-b up
}

# veth MTU on|off: both ends of the veth pair, offloads on or off
veth() {
    local mtu=$1 state=$2 ns dev end
    for end in "$NS_A vb-a" "$NS_B vb-b"; do
        read -r ns dev <<<"$end"
        ip netns exec "$ns" ip link set dev "$dev" mtu "$mtu"
        ip netns exec "$ns" ethtool -K "$dev" tx "$state" rx "$state" sg "$state" tso "$state" gso "$state" \
            gro "$state" >/dev/null 2>&1 || true
    done
}

# start_bg LOGFILE READY_PATTERN NS COMMAND...: starts a server, waits for its ready line, sets BG
start_bg() {
    local logfile=$1 pattern=$2 ns=$3
    shift 3
    ip netns exec "$ns" "$@" >"$logfile" 2>&1 &
    BG=$!
    PIDS+=("$BG")
    for _ in $(seq 1 300); do
        grep -q "$pattern" "$logfile" && return 0
        kill -0 "$BG" 2>/dev/null || break
        sleep 0.1
    done
    log "$(basename "$0"): $* did not start:"
    cat "$logfile" >&2
    exit 1
}

stop_bg() {
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
