#!/usr/bin/env bash
# TIME_WAIT at scale and the tw_recycle/NAT story, live against the kernel, in namespaces of its
# own (tcpstack-demo-tw-PID*, removed on exit).
#
#   sudo scripts/demo-timewait.sh [--seconds N]     (load phase length, default 20)
#
# 1. HTTP/1.0 load: ab (the kernel) against the stack's HTTP server, which closes first, so the
#    stack holds the TIME_WAIT records and the kernel client none. Prints connections/s, both
#    sides' TIME_WAIT counts over time, the kernel's nstat beside the stack's counters, and the
#    bytes a record costs (scripts/bench/timewait.sh measures it; Linux: 248).
# 2. NAT: two client namespaces behind a router namespace that masquerades them to one address
#    (nft), both with timestamps and Linux's random per-address timestamp offsets, make HTTP/1.0
#    requests to the stack with tw_recycle on (profile linux-4.9), then off. With recycle on, the
#    stack remembers the NAT address's last TSval; the client whose clock is behind has its SYNs
#    dropped silently: connect timeouts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_LOAD=20
while [[ $# -gt 0 ]]; do
    case $1 in
        --seconds) SECONDS_LOAD=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo-timewait.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [[ $EUID -ne 0 ]]; then
    echo "demo-timewait.sh: needs root for its network namespaces (sudo scripts/demo-timewait.sh)" >&2
    exit 1
fi
for tool in ab nft nstat; do
    command -v "$tool" >/dev/null || { echo "demo-timewait.sh: needs $tool (apt-get install apache2-utils nftables iproute2)" >&2; exit 1; }
done
"$ROOT/scripts/tcpstack" --version >/dev/null
JAR="$ROOT/tun-driver/target/tcpstack.jar"
NS="tcpstack-demo-tw-$$"
NS_A="$NS-a"
NS_B="$NS-b"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for ns in "$NS_A" "$NS_B" "$NS"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
in_ns() { ip netns exec "$NS" "$@"; }
# starts a command in the namespace in the background; $! is then its own PID (not a subshell's)
bg_ns() { ip netns exec "$NS" "$@" & }

ip netns add "$NS"
in_ns ip link set lo up
in_ns ip tuntap add dev tun0 mode tun multi_queue
in_ns ip addr add 198.18.0.1/24 dev tun0
in_ns ip link set tun0 mtu 1500 up

start_daemon() { # out-file, extra daemon options...
    local out=$1; shift
    bg_ns java -jar "$JAR" daemon --report-every 1 --log-level warn "$@" >"$out" 2>&1
    DAEMON=$!; PIDS+=("$DAEMON")
    for _ in $(seq 150); do grep -q "tcpstack ready" "$out" && return 0; sleep 0.1; done
    echo "demo-timewait.sh: the daemon did not start:" >&2; cat "$out" >&2; exit 1
}
stop_daemon() {
    kill -TERM "$DAEMON"; wait "$DAEMON" || true
}
report_field() { # report line, key
    sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$1"
}

echo "== 1. HTTP/1.0 load for ${SECONDS_LOAD} s: ab (kernel client) -> stack HTTP server, which closes first"
start_daemon "$WORK/load.out" --services http:80
in_ns nstat -n >/dev/null
bg_ns ab -q -t "$SECONDS_LOAD" -n 2000000 -c 4 -s 5 http://198.18.0.2/ >"$WORK/ab.out" 2>&1
AB=$!; PIDS+=("$AB")
printf '%6s  %22s  %22s\n' "t (s)" "stack TIME_WAIT records" "kernel TIME-WAIT (ss)"
t=0
while kill -0 "$AB" 2>/dev/null; do
    sleep 2; t=$((t + 2))
    ours=$(report_field "$(grep '^report:' "$WORK/load.out" | tail -1)" tw-records)
    kernel=$(in_ns ss -Htan state time-wait | wc -l)
    printf '%6d  %22s  %22s\n' "$t" "${ours:-0}" "$kernel"
done
wait "$AB" || true
rate=$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$WORK/ab.out")
done_n=$(sed -n 's/^Complete requests: *\([0-9]*\).*/\1/p' "$WORK/ab.out")
failed_n=$(sed -n 's/^Failed requests: *\([0-9]*\).*/\1/p' "$WORK/ab.out")
sleep 1.2
last=$(grep '^report:' "$WORK/load.out" | tail -1)
echo
echo "connections: ${done_n:-0} complete, ${failed_n:-?} failed, ${rate:-?} per second"
echo
printf '%-24s  %12s  %12s\n' "counter" "kernel" "stack"
kernel_stats=$(in_ns nstat -az TcpActiveOpens TcpPassiveOpens TcpExtTW TcpExtTCPTimeWaitOverflow 2>/dev/null)
kstat() { awk -v k="$1" '$1 == k {print $2}' <<<"$kernel_stats"; }
printf '%-24s  %12s  %12s\n' "TIME_WAIT now" "$(in_ns ss -Htan state time-wait | wc -l)" "$(report_field "$last" tw-records)"
for c in TcpActiveOpens TcpPassiveOpens TcpExtTW TcpExtTCPTimeWaitOverflow; do
    printf '%-24s  %12s  %12s\n' "$c" "$(kstat "$c")" "$(report_field "$last" "$c")"
done
stop_daemon
bytes=$("$ROOT/scripts/bench/timewait.sh" 2>/dev/null | sed -n 's/.*heap bytes per record=\([0-9]*\).*/\1/p')
echo
echo "bytes per TIME_WAIT record: ${bytes:-?} in the stack (heap measured by scripts/bench/timewait.sh); 248 in Linux (tw_sock_TCP)"

echo
echo "== 2. two clients behind one NAT address -> stack HTTP server, tw_recycle on (linux-4.9), then off"
for side in a b; do
    ns="$NS-$side"; net=$([[ $side == a ]] && echo 1 || echo 2)
    ip netns add "$ns"
    ip link add "tw$side$$" type veth peer name "twr$side$$"
    ip link set "tw$side$$" netns "$ns"
    ip link set "twr$side$$" netns "$NS"
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" ip addr add "198.18.$net.2/24" dev "tw$side$$"
    ip netns exec "$ns" ip link set "tw$side$$" up
    ip netns exec "$ns" ip route add default via "198.18.$net.1"
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_timestamps=1
    in_ns ip addr add "198.18.$net.1/24" dev "twr$side$$"
    in_ns ip link set "twr$side$$" up
done
in_ns sysctl -qw net.ipv4.ip_forward=1
in_ns nft -f - <<'NFT'
table ip tcpstack_demo_nat {
    chain post {
        type nat hook postrouting priority 100;
        oifname "tun0" masquerade
    }
}
NFT

# the kernel's counters of client $1 (absolute: nstat's history file is shared by namespaces)
syns() {
    ip netns exec "$NS-$1" nstat -az TcpActiveOpens TcpExtTCPSynRetrans 2>/dev/null \
        | awk '$1 == "TcpActiveOpens" {o = $2} $1 == "TcpExtTCPSynRetrans" {r = $2} END {print o + 0, r + 0}'
}

ROWS="$WORK/nat-rows"
port=80
for recycle in on off; do
    # a port of its own per run, so that the router's conntrack entries of one run do not meet the other's
    port=$((port + 1))
    profile=linux-4.9; [[ $recycle == off ]] && profile=linux-5.6
    start_daemon "$WORK/nat-$recycle.out" --profile "$profile" --services "http:$port"
    for side in a b; do
        read -r opens retrans < <(syns "$side")
        eval "BEFORE_$side='$opens $retrans'"
        ip netns exec "$NS-$side" python3 "$ROOT/scripts/interop/nat_client.py" --connect 198.18.0.2 --port "$port" \
            --count 40 --interval 0.1 --timeout 1.5 --deadline 60 >"$WORK/nat-$recycle-$side" 2>&1 &
        PIDS+=("$!")
        eval "CLIENT_$side=$!"
    done
    wait "$CLIENT_a" "$CLIENT_b" || true
    sleep 1.2
    dropped=$(report_field "$(grep '^report:' "$WORK/nat-$recycle.out" | tail -1)" TcpExtPAWSPassive)
    for side in a b; do
        read -r opens retrans < <(syns "$side")
        read -r opens0 retrans0 <<<"$(eval echo "\$BEFORE_$side")"
        opens=$((opens - opens0)); retrans=$((retrans - retrans0))
        echo "tw_recycle $recycle|client $side (198.18.$([[ $side == a ]] && echo 1 || echo 2).2)|$((opens + retrans))|$retrans|$(grep "^{" "$WORK/nat-$recycle-$side")|$dropped" >>"$ROWS"
    done
    stop_daemon
done
python3 - "$ROWS" <<'PY'
import json, sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
head = ("mode", "client", "SYNs sent", "SYNs resent", "connects ok", "connect failures", "stack PAWSPassive drops")
table = [head] + [(m, c, sent, resent, str(json.loads(r)["ok"]), str(json.loads(r)["failed"]), d)
                  for m, c, sent, resent, r, d in rows]
w = [max(len(r[i]) for r in table) for i in range(len(head))]
for n, r in enumerate(table):
    print("  ".join(x.ljust(w[i]) if i < 2 else x.rjust(w[i]) for i, x in enumerate(r)))
    if n == 0:
        print("  ".join("-" * x for x in w))
PY
echo
echo "SYNs resent: each is a SYN the client got no answer to (the stack drops it silently; TcpExtPAWSPassive counts"
echo "them for both clients together, as Linux did). Both clients share the NAT address but not a timestamp clock."
