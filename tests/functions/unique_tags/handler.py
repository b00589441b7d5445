"""Hostile metric lines for the memory limits (tests/tests/e2e_limits.rs and the memory
benchmark). The event says how many of each kind to print, and which invoke this is:

- `tagged`: MONITORING| count lines of `signups` tagged with a unique user id
  (`user:u<invoke>-<i>`, value 1 + i % 7), the common cardinality mistake;
- `named`: MONITORING| count lines with a new metric name each (`user.<invoke>-<i>.clicks`,
  value 1);
- `mixed`: lines of every format (per 10: 5 MONITORING| count, gauge and histogram lines,
  3 Datadog JSON lines, 2 EMF documents) spread over `streams` attribute sets (tag
  `route:r<j>`) that rotate from invoke to invoke.

`age` (seconds, default 0) back-dates every line, so a benchmark can fill many 10 s buckets
quickly. The lines are written with one write call, so a large invoke is quick even at a
128 MB function's share of a CPU.
"""
import json
import sys
import time


def mixed_line(now, i, j):
    kind = i % 10
    route = "r%d" % j
    if kind < 5:
        metric = ["count|shop.requests", "gauge|shop.queue.depth", "histogram|shop.latency"][kind % 3]
        return "MONITORING|%d|%d|%s|#route:%s" % (now, 1 + i % 5, metric, route)
    if kind < 8:
        return json.dumps({"m": "shop.order.value", "v": 10 + i % 9, "e": now, "t": ["route:" + route]})
    return json.dumps({
        "_aws": {
            "Timestamp": now * 1000,
            "CloudWatchMetrics": [{
                "Namespace": "Shop",
                "Dimensions": [["route"]],
                "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}, {"Name": "Orders", "Unit": "Count"}],
            }],
        },
        "route": route,
        "Latency": [12.5 + i % 7, 8.25],
        "Orders": 1,
    })


def handler(event, context):
    invoke = event["invoke"]
    now = int(time.time()) - event.get("age", 0)
    lines = []
    for i in range(event.get("tagged", 0)):
        lines.append("MONITORING|%d|%d|count|signups|#user:u%d-%d" % (now, 1 + i % 7, invoke, i))
    for i in range(event.get("named", 0)):
        lines.append("MONITORING|%d|1|count|user.%d-%d.clicks" % (now, invoke, i))
    mixed, streams = event.get("mixed", 0), event.get("streams", 1)
    for i in range(mixed):
        lines.append(mixed_line(now, i, (invoke * mixed + i) % streams))
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()
    return {"ok": True}
