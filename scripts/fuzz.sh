#!/usr/bin/env bash
# Fuzzes the stack with Jazzer, one target after the other (each runs on one core).
#
#   scripts/fuzz.sh [--minutes N] [TARGET...]     N minutes per target (default 10); all targets by default
#   scripts/fuzz.sh --list
#
# A target is a @FuzzTest method: ipv4, icmp, tcp-header, segments, control, config-file. The
# generated corpus grows in MODULE/.cifuzz-corpus (not committed); a finding (an exception, a broken
# invariant, or a hang) is written to MODULE/src/test/resources/PACKAGE/CLASSInputs/METHOD/, where
# every `mvn test` (and so scripts/test.sh and CI) replays it from then on: fix the bug, keep the
# file. Without fuzzing, the committed inputs are that regression pass.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# name module class#method
TARGETS=(
    "ipv4 stack io.tcpstack.ip.PacketFuzzTest#ipv4"
    "icmp stack io.tcpstack.ip.PacketFuzzTest#icmp"
    "tcp-header stack io.tcpstack.wire.TcpHeaderFuzzTest#tcpHeaderAndOptions"
    "segments stack io.tcpstack.tcp.SegmentArrivalFuzzTest#segments"
    "control tun-driver io.tcpstack.control.ControlProtocolFuzzTest#requests"
    "config-file tun-driver io.tcpstack.config.ConfigFileFuzzTest#configFile"
)
MINUTES=10
WANTED=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --minutes) MINUTES=${2:?--minutes needs a number}; shift 2 ;;
        --list) printf '%s\n' "${TARGETS[@]}" | awk '{print $1 "\t" $2 "\t" $3}'; exit 0 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) WANTED+=("$1"); shift ;;
    esac
done
if ! [[ $MINUTES =~ ^[0-9]+$ ]] || (( MINUTES < 1 || MINUTES > 1440 )); then
    echo "fuzz.sh: --minutes must be 1..1440" >&2
    exit 2
fi

LOGS=$(mktemp -d /tmp/tcpstack-fuzz.XXXXXX)
echo "fuzz: $MINUTES min per target; logs in $LOGS; load: $(cut -d' ' -f1-3 /proc/loadavg)"
# the modules and their test classes, built once (tun-driver's tests need stack's test jar)
mvn -B -ntp -q test-compile -pl tun-driver -am >"$LOGS/build.log" 2>&1 || { cat "$LOGS/build.log" >&2; exit 1; }

failed=0
ran=0
for target in "${TARGETS[@]}"; do
    read -r name module test <<<"$target"
    if (( ${#WANTED[@]} > 0 )) && [[ ! " ${WANTED[*]} " == *" $name "* ]]; then
        continue
    fi
    ran=$((ran + 1))
    log="$LOGS/$name.log"
    # Jazzer writes a finding into the target's inputs directory only where that exists
    class=${test%#*}
    mkdir -p "$module/src/test/resources/${class//.//}Inputs/${test#*#}"
    t0=$(date +%s)
    set +e
    JAZZER_FUZZ=1 mvn -B -ntp test -pl "$module" -am -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false \
        -Djazzer.hooks=true -DargLine="-Djazzer.max_duration=${MINUTES}m" >"$log" 2>&1
    rc=$?
    set -e
    took=$(( $(date +%s) - t0 ))
    runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1 || true)
    cov=$(grep -oE '#[0-9]+[[:space:]]+(DONE|pulse)[[:space:]]+cov: [0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+' || true)
    if (( rc == 0 )); then
        echo "fuzz: $name ($test): no finding in ${took} s; ${runs:-runs unknown}; ${cov:-cov unknown}"
    else
        failed=$((failed + 1))
        echo "fuzz: $name ($test): FINDING after ${took} s (log $log):"
        grep -E 'FuzzTestFinding|Caused by|crash-|timeout-|Exception' "$log" | head -8 | sed 's/^/    /'
    fi
done
if (( ran == 0 )); then
    echo "fuzz.sh: no target named ${WANTED[*]} (--list)" >&2
    exit 2
fi
echo "fuzz: $ran target(s), $failed with a finding; load: $(cut -d' ' -f1-3 /proc/loadavg)"
(( failed == 0 ))
