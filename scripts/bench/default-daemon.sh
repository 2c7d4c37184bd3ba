# Sourced by the runs against the default daemon (bench/synflood.sh, bench/blind.sh,
# bench/abuse.sh, soak.sh). Needs ROOT (the checkout).
#
#   bench_start NAME "PACKAGES" CMD...
#                      refuses to go on without root or one of the commands CMD (saying to
#                      apt-get install PACKAGES); sets TAG=tcpstack-NAME-PID, the name of the
#                      caller's namespaces, and WORK, a scratch directory the caller removes
#   start_daemon NS    `scripts/run.sh --netns NS` in the background (the daemon as run.sh starts
#                      it, in a fresh namespace NS that run.sh removes when it stops); waits for the
#                      ready line; sets RUN_PID and DAEMON (the daemon's pid)
#   ctl ARGS...        `tcpstack ctl ARGS` on that daemon's control socket
#   heap_kib           the daemon's heap in use after a full GC, in KiB
#   stop_daemon        SIGTERM to run.sh, which stops the daemon and removes NS
#   cleanup_daemon     for the caller's EXIT trap: kills the processes listed in PIDS, then stop_daemon
RUN_PID=""
DAEMON=""
DAEMON_NS=""
PIDS=()

bench_start() {
    local name=$1 packages=$2
    shift 2
    if [[ $EUID -ne 0 ]]; then
        echo "$name.sh: needs root (namespaces, a TUN device, raw sockets)" >&2
        exit 1
    fi
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null || { echo "$name.sh: needs $cmd (apt-get install $packages)" >&2; exit 1; }
    done
    TAG=tcpstack-$name-$$
    WORK=$(mktemp -d "/tmp/$TAG.XXXXXX")
}

start_daemon() {
    DAEMON_NS=$1
    "$ROOT/scripts/tcpstack" --version >/dev/null # builds the jar first if the sources changed
    "$ROOT/scripts/run.sh" --netns "$DAEMON_NS" >"$WORK/daemon.out" 2>"$WORK/daemon.err" &
    RUN_PID=$!
    for _ in $(seq 600); do
        grep -q "tcpstack ready:" "$WORK/daemon.out" 2>/dev/null && break
        kill -0 "$RUN_PID" 2>/dev/null || { cat "$WORK/daemon.err" >&2; exit 1; }
        sleep 0.2
    done
    DAEMON=$(sed -n 's/.*tcpstack ready:.* pid=\([0-9]*\).*/\1/p' "$WORK/daemon.out")
    if [[ -z $DAEMON ]]; then
        echo "$(basename "$0"): the daemon did not get ready" >&2
        cat "$WORK/daemon.err" >&2
        exit 1
    fi
}

ctl() {
    "$ROOT/scripts/tcpstack" ctl "$@" --control "/run/tcpstack/$DAEMON_NS-tun0.sock"
}

heap_kib() {
    jcmd "$DAEMON" GC.run >/dev/null
    jcmd "$DAEMON" GC.heap_info | sed -n 's/.* used \([0-9]*\)K.*/\1/p' | head -1
}

stop_daemon() {
    if [[ -n $RUN_PID ]] && kill -0 "$RUN_PID" 2>/dev/null; then
        kill -TERM "$RUN_PID" 2>/dev/null || true
        wait "$RUN_PID" 2>/dev/null || true
    fi
    RUN_PID=""
}

cleanup_daemon() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    stop_daemon
}
