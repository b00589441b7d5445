"""The demo's function: every input metricline takes, from the real client libraries.

One invoke sends, in this order:
- DogStatsD datagrams (pip `datadog`) to 127.0.0.1:$STATSD_PORT: demo.statsd.orders +2
  tagged env:demo,vip; demo.statsd.latency distribution 12.5 and 7.5 ms; demo.statsd.depth
  gauge 42;
- OTLP/HTTP from the OpenTelemetry Python SDK to http://127.0.0.1:$OTLP_HTTP_PORT: one span
  "checkout" and demo.sdk.orders += 3 (shop=main), force-flushed before the lines below;
- then everything the `lines` function prints (tests/functions/lines/handler.py: Powertools
  EMF, datadog_lambda JSON, MONITORING| lines), which also reads the event (repeat,
  malformed, action); its failures therefore come after the StatsD and OTLP sends.
"""
import importlib.util
import os

from datadog.dogstatsd import DogStatsd
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

HERE = os.path.dirname(os.path.abspath(__file__))
STATSD_PORT = int(os.environ.get("STATSD_PORT", "8125"))
# Explicit, because the environment's OTEL_EXPORTER_OTLP_ENDPOINT is metricline's backend.
RECEIVER = "http://127.0.0.1:%s" % os.environ.get("OTLP_HTTP_PORT", "4318")


def load_lines():
    """The `lines` sample function, loaded under its own module name (both files are
    handler.py)."""
    path = os.path.join(HERE, "..", "lines", "handler.py")
    spec = importlib.util.spec_from_file_location("lines_handler", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lines = load_lines()

# The SDK as tests/functions/otel sets it up: service.name from OTEL_SERVICE_NAME, an export
# interval longer than any invoke, so only the force-flush exports.
resource = Resource.create({"deployment.environment": "demo"})
tracer_provider = TracerProvider(resource=resource)
tracer_provider.add_span_processor(
    BatchSpanProcessor(OTLPSpanExporter(endpoint=RECEIVER + "/v1/traces"))
)
tracer = tracer_provider.get_tracer("demo")
reader = PeriodicExportingMetricReader(
    OTLPMetricExporter(endpoint=RECEIVER + "/v1/metrics"), export_interval_millis=3_600_000
)
meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
sdk_orders = meter_provider.get_meter("demo").create_counter("demo.sdk.orders", unit="{order}")


def send_statsd():
    client = DogStatsd(host="127.0.0.1", port=STATSD_PORT, disable_telemetry=True)
    client.increment("demo.statsd.orders", 2, tags=["env:demo", "vip"])
    client.distribution("demo.statsd.latency", 12.5, tags=["env:demo"])
    client.distribution("demo.statsd.latency", 7.5, tags=["env:demo"])
    client.gauge("demo.statsd.depth", 42)
    client.flush()
    client.close_socket()


def handler(event, context):
    send_statsd()
    with tracer.start_as_current_span("checkout", attributes={"request.id": context.aws_request_id}):
        sdk_orders.add(3, {"shop": "main"})
    # What the OpenTelemetry Lambda instrumentation does before the handler returns.
    tracer_provider.force_flush()
    meter_provider.force_flush()
    return lines.handler(event, context)
