"""The common cardinality mistake and its cousin: MONITORING| count lines tagged with a
unique user id (`signups`, tag `user:u<invoke>-<i>`, value 1 + i % 7), and lines with a
new metric name each (`user.<invoke>-<i>.clicks`, value 1). The event says how many of
each (`tagged`, `named`, default 0) and which invoke this is; the test computes from the
same rule what the backend must receive.

The lines are written with one write call, so a large invoke is quick even at 128 MB's
share of a CPU.
"""
import sys
import time


def handler(event, context):
    invoke = event["invoke"]
    now = int(time.time())
    lines = []
    for i in range(event.get("tagged", 0)):
        lines.append("MONITORING|%d|%d|count|signups|#user:u%d-%d\n" % (now, 1 + i % 7, invoke, i))
    for i in range(event.get("named", 0)):
        lines.append("MONITORING|%d|1|count|user.%d-%d.clicks\n" % (now, invoke, i))
    sys.stdout.write("".join(lines))
    sys.stdout.flush()
    return {"ok": True}
