"""Prints `streams` MONITORING count lines of value 1, each a stream of its own (tag
`n:<invoke>-<i>`), so every stream is exactly one data point at the backend."""
import time


def handler(event, context):
    invoke, streams = event["invoke"], event["streams"]
    now = int(time.time())
    for i in range(streams):
        print("MONITORING|%d|1|count|buffer.points|#n:%d-%d" % (now, invoke, i))
    return {"ok": True}
