#!/usr/bin/env bash
# JMH micro-benchmarks of the protocol engine's hot paths (stack/src/jmh/java, Maven profile
# jmh, never built by 'mvn verify'): checksum, header parse/emit, demux lookup, timer queue,
# reassembly, and a full segment in to ACK out on a simulated link, each with the gc profiler's
# bytes allocated per operation.
#
#   scripts/bench/jmh.sh [--quick] [--out DIR] [JMH options, e.g. a benchmark regex]
#
# Results: a table on stdout, jmh.json (JMH's own JSON) in DIR (default: a new /tmp dir).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN=(-f 1 -wi 3 -i 5 -w 1s -r 1s)
OUT=""
ARGS=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --quick) RUN=(-f 1 -wi 2 -i 3 -w 1s -r 1s); shift ;;
        --out) OUT=${2:?--out needs a directory}; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) ARGS+=("$1"); shift ;;
    esac
done
[[ -n $OUT ]] || OUT=$(mktemp -d /tmp/tcpstack-jmh.XXXXXX)
mkdir -p "$OUT"
cd "$ROOT"
mvn -q -B -ntp -Pjmh -pl stack -DskipTests process-test-classes >&2
CP="stack/target/classes:stack/target/test-classes:$(cat stack/target/jmh.classpath)"
# benchmark threads are netty FastThreadLocalThreads, like the stack's own (see FastThreadLocalExecutor);
# netty's leak detector is off, as in the daemon (its default samples 1 buffer in 128 with a stack trace)
java -cp "$CP" org.openjdk.jmh.Main "${RUN[@]}" -prof gc -rf json -rff "$OUT/jmh.json" \
    -jvmArgsAppend "-Djmh.executor=CUSTOM -Djmh.executor.class=io.tcpstack.jmh.FastThreadLocalExecutor -Dio.netty.leakDetection.level=disabled" \
    "${ARGS[@]}" >"$OUT/jmh.log" 2>&1 || { tail -40 "$OUT/jmh.log" >&2; exit 1; }
python3 - "$OUT/jmh.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
print("%-48s %-18s %12s %14s" % ("benchmark", "params", "ns/op", "alloc B/op"))
print("-" * 95)
for r in rows:
    name = r["benchmark"].replace("io.tcpstack.", "")
    params = ",".join("%s=%s" % kv for kv in (r.get("params") or {}).items())
    score = r["primaryMetric"]["score"]
    alloc = r["secondaryMetrics"].get("gc.alloc.rate.norm", {}).get("score")
    print("%-48s %-18s %12.1f %14s" % (name, params, score, "%.2f" % alloc if alloc is not None else "-"))
PY
echo "JMH log and JSON: $OUT" >&2
