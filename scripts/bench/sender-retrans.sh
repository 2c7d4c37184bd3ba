#!/usr/bin/env bash
# The kernel sender's own view of a bulk flow, as ss -ti shows it: samples the connection from the
# namespace NS to DEST:PORT every 100 ms while process PID runs, and prints its last sample as JSON
# ({"bytes_sent":N,"bytes_retrans":N,"retrans_pct":X,"reord_seen":N,"cc":"bbr"}), or {} if none.
#
#   scripts/bench/sender-retrans.sh NS DEST PORT PID
#
# The last sample misses at most the last 100 ms of the flow (once closed, the socket keeps no
# counters); the ratio is what matters.
set -euo pipefail
NS=$1 DEST=$2 PORT=$3 PID=$4
last=""
while kill -0 "$PID" 2>/dev/null; do
    sample=$(ip netns exec "$NS" ss -tinH state established dst "$DEST" dport = ":$PORT" 2>/dev/null || true)
    [[ $sample == *bytes_sent:* ]] && last=$sample
    sleep 0.1
done
python3 - "$last" <<'PY'
import json, re, sys
text = sys.argv[1]
def field(name):
    m = re.search(r"\b%s:(\d+)" % name, text)
    return int(m.group(1)) if m else 0
sent, retrans = field("bytes_sent"), field("bytes_retrans")
cc = re.search(r"\b(bbr|reno|cubic)\b", text)
out = {} if not sent else {"bytes_sent": sent, "bytes_retrans": retrans,
                           "retrans_pct": round(100.0 * retrans / sent, 3), "reord_seen": field("reord_seen"),
                           "cc": cc.group(1) if cc else "?"}
print(json.dumps(out))
PY
