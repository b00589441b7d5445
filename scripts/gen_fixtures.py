#!/usr/bin/env python3
"""Captures what real metric clients print, as fixtures for proto/tests/client_fixtures.rs.

Each emitter runs in its own Python process (the clients read their configuration from
the environment at import time, and the cold-start flag is process-wide), and every line
it prints to stdout becomes one line of proto/tests/fixtures/<emitter>.jsonl.

Run from the repository root, after scripts/setup-python.sh:

    .venv/bin/python scripts/gen_fixtures.py

Nothing reaches the network: no Datadog API key is set, metrics go to stdout
(DD_FLUSH_TO_LOG), tracing, telemetry and remote configuration are off, and any HTTP
client that still tries is sent to a closed loopback port through the proxy variables.
"""

import os
import subprocess
import sys
import warnings
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "proto" / "tests" / "fixtures"

# A fixed instant (2025-11-26T10:00:00Z) wherever a client lets the caller choose.
FIXED_SECONDS = 1764151200

ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "checkout",
    "AWS_REGION": "eu-west-1",
    "POWERTOOLS_SERVICE_NAME": "booking",
    "POWERTOOLS_METRICS_NAMESPACE": "Shop",
    "DD_FLUSH_TO_LOG": "true",
    "DD_TRACE_ENABLED": "false",
    "DD_ENHANCED_METRICS": "false",
    "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
    "DD_REMOTE_CONFIGURATION_ENABLED": "false",
    "DD_LOGS_INJECTION": "false",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "",
}
SCRUBBED = ("DD_API_KEY", "DD_API_KEY_SECRET_ARN", "DD_KMS_API_KEY", "DATADOG_API_KEY")


class LambdaContext:
    """The attributes of the Lambda context object that the clients read."""

    function_name = "checkout"
    function_version = "$LATEST"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:checkout"
    aws_request_id = "8a1f0c2e-0000-4000-8000-000000000001"

    @staticmethod
    def get_remaining_time_in_millis():
        return 3000


def emit_powertools_emf():
    """Powertools Metrics (CloudWatch EMF) with the separate ColdStart document."""
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics()

    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event, context):
        metrics.add_dimension(name="environment", value="prod")
        metrics.add_metric(name="SuccessfulBooking", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="BookingLatency", unit=MetricUnit.Milliseconds, value=12.5)
        metrics.add_metric(name="BookingLatency", unit=MetricUnit.Milliseconds, value=8)
        metrics.add_metric(name="PayloadSize", unit=MetricUnit.Bytes, value=2048)
        metrics.add_metric(name="CacheHitRatio", unit=MetricUnit.Percent, value=87.5)
        metrics.add_metric(name="Throughput", unit=MetricUnit.KilobytesPerSecond, value=3.25)
        metrics.add_metadata(key="booking_id", value="b-7")
        with warnings.catch_warnings():
            # The fixed instant is older than CloudWatch's 14 days: fine for a fixture.
            warnings.simplefilter("ignore")
            metrics.set_timestamp(FIXED_SECONDS * 1000)

    handler({}, LambdaContext())


def emit_powertools_datadog():
    """Powertools' Datadog provider, printing `{"m","v","e","t"}` lines."""
    from aws_lambda_powertools.metrics.provider.datadog import DatadogMetrics

    metrics = DatadogMetrics(flush_to_log=True)

    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event, context):
        metrics.add_metric(name="coffee_house.order_value", value=12.45, product="latte", order="online")
        metrics.add_metric(name="coffee_house.orders", value=1, timestamp=FIXED_SECONDS)

    handler({}, LambdaContext())


def emit_datadog_lambda():
    """datadog_lambda's log writer, through `lambda_metric` and directly."""
    from datadog_lambda.metric import lambda_metric, write_metric_point_to_stdout

    lambda_metric("coffee_house.order_value", 12.45, tags=["product:latte", "order:online"])
    lambda_metric("coffee_house.orders", 2, timestamp=FIXED_SECONDS, tags=["vip"])
    write_metric_point_to_stdout("checkout.step_duration", 0.125, timestamp=FIXED_SECONDS, tags=[])


EMITTERS = {
    "powertools_emf": emit_powertools_emf,
    "powertools_datadog": emit_powertools_datadog,
    "datadog_lambda": emit_datadog_lambda,
}


def capture(name):
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(ENV)
    done = subprocess.run(
        [sys.executable, __file__, "--emit", name],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{name} failed:\n{done.stderr}")
    lines = done.stdout.splitlines()
    if not lines:
        sys.exit(f"{name} printed nothing:\n{done.stderr}")
    (FIXTURES / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
    print(f"{name}: {len(lines)} lines", file=sys.stderr)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--emit":
        EMITTERS[sys.argv[2]]()
        return
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name in EMITTERS:
        capture(name)


if __name__ == "__main__":
    main()
