"""Prints `streams` MONITORING count lines of value 1, each a stream of its own (tag
`n:<invoke>-<i>`), so every stream is exactly one data point at the backend. `age`
(seconds, default 0) back-dates the lines, so they are older than the extension's own
points of the same moment."""
import time


def handler(event, context):
    invoke, streams = event["invoke"], event["streams"]
    now = int(time.time()) - event.get("age", 0)
    for i in range(streams):
        print("MONITORING|%d|1|count|buffer.points|#n:%d-%d" % (now, invoke, i))
    return {"ok": True}
