#!/usr/bin/env bash
# Installs the tcpstack daemon as a systemd service (run as root):
#   /usr/local/lib/tcpstack/tcpstack.jar     the shaded jar (built with Maven if needed)
#   /etc/tcpstack/tcpstack.conf              the config (scripts/tcpstack.conf; kept if present)
#   /etc/systemd/system/tcpstack.service     the unit (scripts/tcpstack.service)
#   group tcpstack                           members may use tcpstack ctl and tcpstack nc
# Then: systemctl enable --now tcpstack; usermod -aG tcpstack USER for an operator.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $EUID -ne 0 ]]; then
    echo "install-service.sh: needs root (try: sudo scripts/install-service.sh)" >&2
    exit 1
fi
"$ROOT/scripts/tcpstack" --version >/dev/null   # builds the jar when it is missing or stale
install -D -m 0644 "$ROOT/tun-driver/target/tcpstack.jar" /usr/local/lib/tcpstack/tcpstack.jar
if [[ ! -e /etc/tcpstack/tcpstack.conf ]]; then
    install -D -m 0644 "$ROOT/scripts/tcpstack.conf" /etc/tcpstack/tcpstack.conf
fi
install -D -m 0644 "$ROOT/scripts/tcpstack.service" /etc/systemd/system/tcpstack.service
getent group tcpstack >/dev/null || groupadd --system tcpstack
systemctl daemon-reload
echo "installed; start with: systemctl enable --now tcpstack"
echo "operators: usermod -aG tcpstack USER, then: java -jar /usr/local/lib/tcpstack/tcpstack.jar ctl conns"
