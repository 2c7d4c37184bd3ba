#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks, then runs every test: unit and scenario tests
# (surefire) and the root/netns integration tests against kernel peers (failsafe, *IT).
# As root (CI) the integration tests fail rather than skip when they cannot run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SUDO=()
if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null && SUDO=(sudo)
fi

# command -> Debian package
declare -A NEEDS=(
    [ip]=iproute2 [ss]=iproute2 [ping]=iputils-ping [tcpdump]=tcpdump [curl]=curl
    [nc]=netcat-openbsd [python3]=python3 [pgrep]=procps [mvn]=maven [sha256sum]=coreutils
    [ab]=apache2-utils [nft]=nftables [nstat]=iproute2 [setpriv]=util-linux
    [tc]=iproute2 [sysctl]=procps    # tcpstack drill --kernel (DrillKernelIT): TUN qdisc, script sysctls
    [gcc]=gcc [jcmd]=openjdk-17-jdk-headless # scripts/bench/spoof.c, heap figures (AttackIT)
    [taskset]=util-linux             # SteeringIT: pings pinned to a CPU
    [tshark]=tshark [chromium]=chromium    # LadderCaptureIT (tshark's numbers), LessonPageIT (a lesson page in a browser)
)
missing=()
for cmd in "${!NEEDS[@]}"; do
    command -v "$cmd" >/dev/null || missing+=("${NEEDS[$cmd]}")
done
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1 || true)
if [[ -z $java_major || $java_major -lt 17 ]]; then
    missing+=(openjdk-17-jdk-headless)
fi
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "test.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi

REQUIRED=false
if [[ $EUID -eq 0 ]]; then
    REQUIRED=true
    # namespaces left by an interrupted run (ours only: fixed prefix)
    for ns in $(ip netns list | awk '{print $1}' | grep -E '^tcpstack-(test|drill)-' || true); do
        ip netns del "$ns" || true
    done
else
    echo "test.sh: not root: the netns integration tests will be skipped (run as root to include them)" >&2
fi

exec mvn -B -ntp verify -Dnetns.required="$REQUIRED" "$@"
