#!/usr/bin/env bash
# The FIN/ACK race and both SYN-resend behaviours, live against the kernel, in a namespace of
# its own (tcpstack-demo-PID, removed on exit). Prints one table and a ladder diagram.
#
#   sudo scripts/demo-finack.sh [--count N] [--race-count M] [--ipv6]
#
#   --count N        connections per run of A (default 200)
#   --race-count M   connections per run of B and C (default 20000): without flow affinity the
#                    race is rare, as on Linux, and these rounds take well under a millisecond
#   --ipv6           the same runs over IPv6: kernel 2001:2::1, stack 2001:2::2 (C: 2001:2:1::1, ::2)
#
# A. stack as client, kernel as server (scripts/fin_ack_lat.py). The stack's fault injector
#    loses every 10th RST/ACK of the client's abortive close, so the kernel server is left in
#    FIN_WAIT_2; the next connect from the same port meets it, gets an ACK of the old flow,
#    answers RST and resends its SYN: after 1 s (rto-init, Linux <= 5.5) or at once
#    (timeout-min, Linux >= 5.6).
# B. kernel as client, stack as server, no fault injected: with affinity none the kernel's ACK of
#    the server's FIN (sent in softirq on one CPU) and the client's RST (sent by the application,
#    often on the other CPU) land on two TUN queues and can be processed at once, and a lost race
#    (a stale lookup) leaves the stack's FIN_WAIT_2 record behind; with affinity flow it cannot.
# C. the same experiment with the kernel on both sides, over veth (Linux without RSS): how often
#    Linux itself hits the race (the kernel's congestion control here is bbr, its default).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COUNT=200
RACE_COUNT=20000
KERNEL=198.18.0.1 STACK=198.18.0.2 VETH_NET=198.18.1 VETH_PREFIX=24 SEP=. DAD=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --count) COUNT=${2:?}; shift 2 ;;
        --race-count) RACE_COUNT=${2:?}; shift 2 ;;
        --ipv6) KERNEL=2001:2::1 STACK=2001:2::2 VETH_NET=2001:2:1: VETH_PREFIX=64 SEP=: DAD=(nodad); shift ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo-finack.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [[ $EUID -ne 0 ]]; then
    echo "demo-finack.sh: needs root for its network namespace (sudo scripts/demo-finack.sh)" >&2
    exit 1
fi
"$ROOT/scripts/tcpstack" --version >/dev/null
JAR="$ROOT/tun-driver/target/tcpstack.jar"
PY="$ROOT/scripts/fin_ack_lat.py"
NS="tcpstack-demo-$$"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    ip netns del "$NS-k" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
# starts a command in the namespace in the background; $! is then its own PID (not a subshell's)
bg_ns() { ip netns exec "$NS" "$@" & }
in_ns ip link set lo up
in_ns ip tuntap add dev tun0 mode tun multi_queue
in_ns ip addr add 198.18.0.1/24 dev tun0
in_ns ip -6 addr add 2001:2::1/64 dev tun0 nodad
in_ns ip link set tun0 mtu 1500 up
DEADLINE=100

# the largest number of kernel sockets in FIN-WAIT-2 (in namespace $2, default ours) seen while process $1 runs
watch_fin_wait_2() {
    local max=0 n
    while kill -0 "$1" 2>/dev/null; do
        n=$(ip netns exec "${2:-$NS}" ss -Htan state fin-wait-2 | wc -l)
        (( n > max )) && max=$n
        sleep 0.1
    done
    echo "$max"
}

wait_for() { # file text
    for _ in $(seq 150); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "demo-finack.sh: '$2' did not appear in $1:" >&2; cat "$1" >&2; exit 1
}

# RSTs the kernel in our namespace has sent (TcpOutRsts): a kernel client sends one per round
# (SO_LINGER 0), and one more each time its new SYN meets the server's old connection
out_rsts() {
    in_ns nstat -asz --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["kernel"]["TcpOutRsts"])'
}

# kernel_client OUT ADDR: the kernel client's RACE_COUNT rounds from port 40000 to ADDR; prints
# how many reconnects met the server's old connection (its RSTs beyond one per round)
kernel_client() {
    local rsts rounds
    rsts=$(out_rsts)
    in_ns python3 "$PY" client --connect "$2" --port 5001 --local-port 40000 --count "$RACE_COUNT" \
        --deadline "$DEADLINE" --json >"$1" 2>&1 || { echo "demo-finack.sh: kernel client failed:" >&2; cat "$1" >&2; exit 1; }
    rounds=$(grep '^{' "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])')
    echo $(( $(out_rsts) - rsts - rounds ))
}

field() { # "key=value ..." line, key
    sed -n "s/.*[ :]$2=\([^ ]*\).*/\1/p" <<<"$1" | head -1
}

ROWS="$WORK/rows"
for mode in rto-init timeout-min; do
    out="$WORK/client-$mode"
    bg_ns python3 "$PY" server --bind "$KERNEL" --port 5001 --count "$COUNT" --timeout "$DEADLINE" --rcvbuf 2048 \
        >"$out.server" 2>&1
    server=$!; PIDS+=("$server")
    wait_for "$out.server" listening
    bg_ns java -jar "$JAR" finack client --addr "$STACK" --server "$KERNEL" --syn-resend "$mode" --fault "out flags=R. drop every=10" --count "$COUNT" \
        --deadline "$DEADLINE" --json --log-level warn --ladder >"$out" 2>&1
    client=$!; PIDS+=("$client")
    fw2=$(watch_fin_wait_2 "$client")
    wait "$client" || { echo "demo-finack.sh: client ($mode) failed:" >&2; cat "$out" >&2; exit 1; }
    wait "$server" || true
    stats=$(grep '^stack:' "$out")
    echo "A stack client -> kernel server|syn-resend $mode|$(grep '^{' "$out")|$(field "$stats" stale-lookup-drops)|$(field "$stats" invalid-ack-drops)|$fw2" >>"$ROWS"
done

for affinity in none flow; do
    out="$WORK/server-$affinity"
    bg_ns java -jar "$JAR" finack server --addr "$STACK" --affinity "$affinity" --count "$RACE_COUNT" --lifetime "$DEADLINE" \
        --log-level warn --ladder >"$out" 2>&1
    server=$!; PIDS+=("$server")
    wait_for "$out" "server ready"
    old_acks=$(kernel_client "$out.client" "$STACK")
    wait "$server" || true
    stats=$(grep 'stale-lookup-drops=' "$out")
    echo "B kernel client -> stack server|affinity $affinity|$(grep '^{' "$out.client")|$(field "$stats" stale-lookup-drops)|$old_acks|-" >>"$ROWS"
done

# C: the kernel against itself, over a veth pair from our namespace to a second one
ip netns add "$NS-k"
ip link add fa-c netns "$NS" type veth peer name fa-s netns "$NS-k"
in_ns ip addr add "$VETH_NET${SEP}1/$VETH_PREFIX" dev fa-c "${DAD[@]}"
in_ns ip link set fa-c up
ip netns exec "$NS-k" ip addr add "$VETH_NET${SEP}2/$VETH_PREFIX" dev fa-s "${DAD[@]}"
ip netns exec "$NS-k" ip link set fa-s up
out="$WORK/kernel-kernel"
ip netns exec "$NS-k" python3 "$PY" server --bind "$VETH_NET${SEP}2" --port 5001 --count "$RACE_COUNT" --timeout "$DEADLINE" \
    >"$out.server" 2>&1 &
server=$!; PIDS+=("$server")
wait_for "$out.server" listening
kernel_client "$out" "$VETH_NET${SEP}2" >"$out.acks" &
client=$!
fw2=$(watch_fin_wait_2 "$client" "$NS-k")
wait "$client"
wait "$server" || true
echo "C kernel client -> kernel server|Linux over veth, $(in_ns sysctl -n net.ipv4.tcp_congestion_control)|$(grep '^{' "$out")|-|$(cat "$out.acks")|$fw2" >>"$ROWS"

python3 - "$ROWS" <<'PY'
import json, sys
rows = [line.rstrip("\n").split("|") for line in open(sys.argv[1])]
head = ("scenario", "mode", "conns", "slow>500ms", "slow>5ms", "p50 ms", "p99 ms", "max ms", "stale drops",
        "old-conn ACKs", "kernel FW2")
table = [head]
for scenario, mode, figures, stale, old_acks, fw2 in rows:
    f = json.loads(figures)
    ms = lambda us: "%.1f" % (us / 1000)
    table.append((scenario, mode, str(f["count"]), str(f["slow"]), str(f["over_5ms"]), ms(f["p50_us"]), ms(f["p99_us"]),
                  ms(f["max_us"]), stale, old_acks, fw2))
widths = [max(len(r[i]) for r in table) for i in range(len(head))]
for n, r in enumerate(table):
    print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    if n == 0:
        print("  ".join("-" * w for w in widths))
PY
cat <<'LEGEND'

How to read the table (README.md, "The FIN/ACK race", has the story):
  conns          fin_ack_lat rounds: connect from port 40000, 4 bytes each way, the server closes first,
                 the client closes with SO_LINGER 0 (an RST). B and C run more (--race-count): without
                 flow affinity the race is rare, as on Linux
  C              the same experiment with the kernel on both sides, over veth (Linux without RSS; its
                 congestion control is bbr, the default): how often Linux itself loses the race
  slow>500ms     connects that took over 500 ms: a SYN that waited for a retransmission timeout (1 s)
  slow>5ms       connects that took over 5 ms (slow>500ms among them): a SYN resent early after it met
                 an old connection, 8 ms later for the kernel client (TCP_TIMEOUT_MIN, 2 jiffies at
                 HZ=250: B's and C's slow reconnects), or a connect the scheduler delayed; the flow row,
                 where the race cannot happen, shows how many of the latter. A timeout-min stack client
                 resends after 2 ms, under this line
  p50/p99/max    connect time, first SYN to ESTABLISHED, in ms
  stale drops    segments the stack dropped because their connection turned into a record (or closed)
                 between lookup and lock: TcpExtStaleLookupDrop, traced as a DROP with reason TCP_CLOSE.
                 In A too: the stack client also runs with affinity none, so its own segments race
  old-conn ACKs  A: the stack's new SYN was answered by an ACK of the kernel's old connection, still
                 in FIN-WAIT-2 (the unacceptable ACK in SYN-SENT: the stack's TCP_INVALID_ACK_SEQUENCE
                 drops). Each costs a slow connect only with rto-init, and only when it is the first of
                 that connect; a connect can meet more than one (the record answers each SYN, rate-limited),
                 so the count can exceed slow>500ms.
                 B and C: the kernel client's RSTs beyond one per round, from its new socket in SYN-SENT:
                 a SYN that met the server's old connection in FIN-WAIT-2 (a race the server lost), or a
                 late segment of the old connection (a retransmitted FIN) that came after the client's RST
  kernel FW2     most kernel sockets ss -tan saw in FIN-WAIT-2 at once, sampled every 100 ms: the stack's
                 RST ends one within a millisecond, so it is seldom caught
  fault rule 1   the fault rule of A (out flags=R. drop every=10): the stack drops every 10th segment it
                 sends whose flags are exactly RST and ACK (its abortive close)
  timeout-min    the SYN goes again 2 ms after the unacceptable ACK (tcpstack's TCP_TIMEOUT_MIN; Linux's is
                 2 jiffies, 8 ms at HZ=250); rto-init waits for the retransmission timer, 1 s
LEGEND
ladder() { # file, title
    echo
    echo "== $2"
    sed -n '/^ladder of the slowest/,$p' "$1"
}
ladder "$WORK/client-rto-init" "A stack client -> kernel server, syn-resend rto-init"
ladder "$WORK/client-timeout-min" "A stack client -> kernel server, syn-resend timeout-min"
ladder "$WORK/server-none" "B kernel client -> stack server, affinity none (look for the segment dropped with TCP_CLOSE)"
ladder "$WORK/server-flow" "B kernel client -> stack server, affinity flow"
