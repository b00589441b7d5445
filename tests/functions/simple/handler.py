"""A function that logs, prints and answers according to the event."""
import logging
import os
import time

logger = logging.getLogger()
print("init: module loaded")


def handler(event, context):
    action = (event or {}).get("action", "ok")
    logger.info("handling %s", action)
    print("MONITORING|%d|1|count|sandbox.calls|#action:%s" % (int(time.time()), action))
    if action == "fail":
        raise ValueError("asked to fail")
    if action == "oom":
        raise MemoryError()
    if action == "sleep":
        time.sleep(event.get("seconds", 5))
    return {"ok": True, "request": context.aws_request_id, "pid": os.getpid()}
