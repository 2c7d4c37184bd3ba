#!/usr/bin/env bash
# The main job: the tcpstack daemon on tun0 with the demo services (echo:7, discard:9, http:80).
#
#   sudo scripts/run.sh                  on tun0 in this namespace (created unless it exists)
#   sudo scripts/run.sh --netns NAME     inside a fresh network namespace NAME (removed on exit)
#   sudo scripts/run.sh [--netns NAME] [daemon options]   e.g. --queues 4 --pcap /tmp/t.pcap
#
# The control socket is /run/tcpstack/DEV.sock (/run/tcpstack/NAME-DEV.sock with --netns);
# scripts/tcpstack ctl and scripts/tcpstack nc talk to the daemon through it.
# Address plan: the kernel side of tun0 is 198.18.0.1/24 and 2001:2::1/64, the stack is
# 198.18.0.2 and 2001:2::2 (a dual-stack host; --addr ADDR, once or twice, picks others).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KERNEL_ADDR=198.18.0.1
STACK_ADDR=198.18.0.2
KERNEL_ADDR6=2001:2::1
STACK_ADDR6=2001:2::2
DEV=tun0
NETNS=""
CONTROL=""
ARGS=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --netns) NETNS=${2:?--netns needs a name}; shift 2 ;;
        --dev) DEV=${2:?--dev needs a name}; shift 2 ;;
        --control) CONTROL=${2:?--control needs a path}; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) ARGS+=("$1"); shift ;;
    esac
done
if [[ $EUID -ne 0 ]]; then
    echo "run.sh: needs root to create $DEV (try: sudo scripts/run.sh)" >&2
    exit 1
fi

"$ROOT/scripts/tcpstack" --version >/dev/null

ADDRS=(--addr "$STACK_ADDR" --addr "$STACK_ADDR6")
for arg in "${ARGS[@]}"; do
    [[ $arg == --addr || $arg == --addr=* ]] && ADDRS=()
done

NSEXEC=()
CREATED_NS=""
CREATED_DEV=""
DAEMON=""
cleanup() {
    if [[ -n $DAEMON ]] && kill -0 "$DAEMON" 2>/dev/null; then
        kill -TERM "$DAEMON" 2>/dev/null || true
        wait "$DAEMON" 2>/dev/null || true
    fi
    if [[ -n $CREATED_DEV ]]; then
        "${NSEXEC[@]}" ip link del "$DEV" 2>/dev/null || true
    fi
    if [[ -n $CREATED_NS ]]; then
        ip netns del "$NETNS" 2>/dev/null || true
    fi
}
trap cleanup EXIT

if [[ -n $NETNS ]]; then
    if ip netns list | awk '{print $1}' | grep -qx "$NETNS"; then
        echo "run.sh: network namespace $NETNS already exists; --netns makes a fresh one" >&2
        exit 1
    fi
    ip netns add "$NETNS"
    CREATED_NS=1
    NSEXEC=(ip netns exec "$NETNS")
    "${NSEXEC[@]}" ip link set lo up
fi
if ! "${NSEXEC[@]}" ip link show "$DEV" >/dev/null 2>&1; then
    "${NSEXEC[@]}" ip tuntap add dev "$DEV" mode tun multi_queue
    CREATED_DEV=1
    "${NSEXEC[@]}" ip addr add "$KERNEL_ADDR/24" dev "$DEV"
    # no duplicate address detection on a point-to-point TUN link: the address is usable at once
    "${NSEXEC[@]}" ip -6 addr add "$KERNEL_ADDR6/64" dev "$DEV" nodad
    "${NSEXEC[@]}" ip link set "$DEV" mtu 1500 up
fi

IN=""
[[ -n $NETNS ]] && IN="ip netns exec $NETNS "
# one control socket per daemon: in a namespace, its name says which
[[ -z $CONTROL ]] && CONTROL="/run/tcpstack/${NETNS:+$NETNS-}$DEV.sock"
CTL="sudo scripts/tcpstack ctl"
NC="sudo scripts/tcpstack nc"
[[ $CONTROL != "/run/tcpstack/$DEV.sock" || $DEV != tun0 ]] && CTL_OPT=" --control $CONTROL" || CTL_OPT=""
cat <<TRY
tcpstack on $DEV${NETNS:+ in netns $NETNS}: kernel $KERNEL_ADDR and $KERNEL_ADDR6, stack $STACK_ADDR and $STACK_ADDR6.
Try, from another terminal:
  ${IN}ping -c 3 $STACK_ADDR
  ${IN}ping -6 -c 3 $STACK_ADDR6
  ${IN}curl http://$STACK_ADDR/
  ${IN}curl -6 -s http://[$STACK_ADDR6]/bytes/1000000 | sha256sum
  echo hello | ${IN}nc -N $STACK_ADDR 7
  echo hello | ${IN}nc -6 -N $STACK_ADDR6 7
Observe and steer it (tcpstack ctl --help, tcpstack nc --help):
  $CTL conns$CTL_OPT
  $CTL stats$CTL_OPT
  $CTL trace start --filter :80$CTL_OPT
  $CTL set syn-resend rto-init$CTL_OPT
  echo hi | $NC 198.18.0.1 8080$CTL_OPT   (to a kernel server: ${IN}nc -l 198.18.0.1 8080)
  echo hi | $NC $KERNEL_ADDR6 8080$CTL_OPT   (over IPv6: ${IN}nc -6 -l $KERNEL_ADDR6 8080)
Stop with Ctrl-C (open connections get a FIN, then the daemon exits).
TRY

"${NSEXEC[@]}" "$ROOT/scripts/tcpstack" daemon --dev "$DEV" "${ADDRS[@]}" --control "$CONTROL" "${ARGS[@]}" &
DAEMON=$!
trap 'kill -TERM "$DAEMON" 2>/dev/null || true' INT TERM
status=0
while true; do
    wait "$DAEMON" && status=0 || status=$?
    kill -0 "$DAEMON" 2>/dev/null || break
done
DAEMON=""
exit "$status"
