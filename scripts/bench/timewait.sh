#!/usr/bin/env bash
# TIME_WAIT at scale: 1.4 million compact records inserted at a busy server's rate, expired on
# simulated time. Prints bytes per record (heap measured), insert/lookup cost and sweep times.
#   scripts/bench/timewait.sh [RECORDS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
(cd "$ROOT" && mvn -q -B -ntp -pl stack test-compile)
exec java -Xms1g -Xmx1g -cp "$ROOT/stack/target/classes:$ROOT/stack/target/test-classes" \
    io.tcpstack.tcp.TimeWaitBench "$@"
