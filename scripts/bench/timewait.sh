#!/usr/bin/env bash
# TIME_WAIT at scale: 1.4 million compact records inserted at a busy server's rate, expired on
# simulated time. Prints bytes per record (heap measured), insert/lookup cost and sweep times.
#   scripts/bench/timewait.sh [--ipv6] [RECORDS]   (--ipv6: IPv6 connections' records)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CP_FILE=$(mktemp)
trap 'rm -f "$CP_FILE"' EXIT
(cd "$ROOT" && mvn -q -B -ntp -pl stack test-compile dependency:build-classpath -Dmdep.outputFile="$CP_FILE")
java -Xms1g -Xmx1g -cp "$ROOT/stack/target/classes:$ROOT/stack/target/test-classes:$(cat "$CP_FILE")" \
    io.tcpstack.tcp.TimeWaitBench "$@"
