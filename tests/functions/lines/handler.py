"""Prints every metric line format metricline reads, from the real client libraries:
aws_lambda_powertools.Metrics (EMF, with the cold start metric and a multi-value metric),
datadog_lambda's JSON writer (DD_FLUSH_TO_LOG=true) and printed MONITORING| lines.

Per repetition: OrderLatency 12.5 and 7.5 ms, OrdersPlaced 2 (EMF); shop.orders.value 12.5
(Datadog JSON); shop.orders.placed 3, shop.queue.depth 42.5, shop.step.duration 0.25 and,
through Python logging, shop.logged 1 (MONITORING|). The event may ask for malformed lines,
a failure, MemoryError or a sleep.
"""
import logging
import time

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from datadog_lambda.metric import lambda_metric

metrics = Metrics(namespace="Shop", service="orders")
logger = logging.getLogger()

MALFORMED = [
    "MONITORING|not-a-time|1|count|shop.bad",
    "MONITORING|0|-4|count|shop.negative",
    "MONITORING|0|1|bogus|shop.badtype",
    '{"m":"","v":1,"e":0}',
    '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Shop","Dimensions":[["missing"]],"Metrics":[{"Name":"X"}]}]},"X":1}',
]


def emit(now):
    metrics.add_metric(name="OrderLatency", unit=MetricUnit.Milliseconds, value=12.5)
    metrics.add_metric(name="OrderLatency", unit=MetricUnit.Milliseconds, value=7.5)
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=2)
    lambda_metric("shop.orders.value", 12.5, tags=["env:test", "tier:gold"])
    print("MONITORING|%d|3|count|shop.orders.placed|#env:test,vip" % now)
    print("MONITORING|%d|42.5|gauge|shop.queue.depth|#env:test" % now)
    print("MONITORING|%d|0.25|histogram|shop.step.duration|#step:pay" % now)
    logger.info("MONITORING|%d|1|count|shop.logged|#via:logging", now)


@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event, context):
    event = event or {}
    now = int(time.time())
    for _ in range(event.get("repeat", 1)):
        emit(now)
    if event.get("malformed"):
        for line in MALFORMED:
            print(line)
    action = event.get("action", "ok")
    if action == "fail":
        raise RuntimeError("asked to fail")
    if action == "oom":
        raise MemoryError()
    if action == "sleep":
        time.sleep(event.get("seconds", 30))
    return {"ok": True}
