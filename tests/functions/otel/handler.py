"""A function instrumented with the real OpenTelemetry Python SDK, exporting metrics, spans
and logs over OTLP/HTTP (or gRPC: `OTEL_RECEIVER_PROTOCOL=grpc`) to metricline's local receiver, force-flushing before it returns
as the OpenTelemetry Lambda instrumentation does.

Per invoke: one span "handle" with `event.spans - 1` children, all carrying the request id;
`orders.placed` += `event.orders` (a cumulative counter, the SDK's default), on
`event.points - 1` more attribute sets too (one data point each); one log record
"order paid <request id>"; with `event.line` one metric line on stdout (orders.logged 1),
and with `event.fail` it raises once everything is flushed. `event.malformed` also posts a body that is not OTLP to the
receiver and returns the HTTP status it got; `event.flood` posts that many large traces
requests (`event.kib` KiB each) instead of force-flushing; with `event.shape` "tiny" the
spans are empty (two bytes each on the wire), with "tiny-json" they are empty OTLP/JSON
objects.
"""
import logging
import os
import time
import urllib.error
import urllib.request

from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

# The SDK's default endpoint; the tests move it (and metricline's receiver) off port 4318
# (4317 for gRPC) so that parallel sandboxes do not share it. Passed explicitly, because the
# environment's OTEL_EXPORTER_OTLP_ENDPOINT is metricline's backend.
RECEIVER = os.environ.get("OTEL_RECEIVER_URL", "http://localhost:4318")
GRPC = os.environ.get("OTEL_RECEIVER_PROTOCOL") == "grpc"

if GRPC:
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    def endpoint(path):
        return RECEIVER
else:
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    def endpoint(path):
        return RECEIVER + path

resource = Resource.create({"service.name": "otel-orders", "deployment.environment": "test"})

tracer_provider = TracerProvider(resource=resource)
tracer_provider.add_span_processor(
    BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint("/v1/traces")))
)
tracer = tracer_provider.get_tracer("orders")

# An interval longer than any test: only the force-flush exports.
reader = PeriodicExportingMetricReader(
    OTLPMetricExporter(endpoint=endpoint("/v1/metrics")), export_interval_millis=3_600_000
)
meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
orders = meter_provider.get_meter("orders").create_counter("orders.placed", unit="{order}")

logger_provider = LoggerProvider(resource=resource)
logger_provider.add_log_record_processor(
    BatchLogRecordProcessor(OTLPLogExporter(endpoint=endpoint("/v1/logs")))
)
otel_log = logging.getLogger("orders.otel")
otel_log.addHandler(LoggingHandler(logger_provider=logger_provider))
otel_log.propagate = False


def post_malformed():
    request = urllib.request.Request(
        RECEIVER + "/v1/traces",
        data=b"\x0a\xff\xff\xff\x0f not OTLP",
        headers={"Content-Type": "application/x-protobuf"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def field(number, payload):
    return bytes([number << 3 | 2]) + varint(len(payload)) + payload


def flood_body(kib, shape):
    """A traces request of about `kib` KiB and its content type."""
    if shape == "tiny":
        # ExportTraceServiceRequest{ResourceSpans{ScopeSpans{empty spans}}}, by hand.
        spans = b"\x12\x00" * (kib * 1024 // 2 - 8)
        return field(1, field(2, spans)), "application/x-protobuf"
    if shape == "tiny-json":
        spans = ",".join(["{}"] * (kib * 1024 // 3 - 20))
        body = '{"resourceSpans":[{"scopeSpans":[{"spans":[%s]}]}]}' % spans
        return body.encode(), "application/json"
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add()
    for i in range(kib):
        span = spans.spans.add(name="flood", trace_id=bytes(16), span_id=i.to_bytes(8, "big"))
        span.attributes.add(key="filler", value={"string_value": "x" * 1000})
    return request.SerializeToString(), "application/x-protobuf"


def flood(requests, kib, shape):
    """Posts `requests` traces requests of about `kib` KiB each straight to the receiver, as
    a misbehaving SDK would; returns the HTTP statuses seen."""
    body, content_type = flood_body(kib, shape)
    statuses = {}
    for _ in range(requests):
        post = urllib.request.Request(
            RECEIVER + "/v1/traces", data=body, headers={"Content-Type": content_type}
        )
        try:
            with urllib.request.urlopen(post, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as refused:
            status = refused.code
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


def handler(event, context):
    event = event or {}
    request_id = context.aws_request_id
    with tracer.start_as_current_span("handle", attributes={"request.id": request_id}):
        for i in range(event.get("spans", 2) - 1):
            with tracer.start_as_current_span("step", attributes={"request.id": request_id, "step": i}):
                pass
    orders.add(event.get("orders", 3), {"shop": "main"})
    for shop in range(event.get("points", 1) - 1):
        orders.add(1, {"shop": "shop-%d" % shop})
    otel_log.warning("order paid %s", request_id)
    if event.get("line"):
        print("MONITORING|%d|1|count|orders.logged|#shop:main" % time.time())
    malformed = post_malformed() if event.get("malformed") else None
    if event.get("flood"):
        return {"flood": flood(event["flood"], event.get("kib", 1024), event.get("shape"))}
    # What the OpenTelemetry Lambda instrumentation does before the handler returns.
    tracer_provider.force_flush()
    meter_provider.force_flush()
    logger_provider.force_flush()
    if event.get("fail"):
        raise RuntimeError("order failed %s" % request_id)
    return {"ok": True, "malformed_status": malformed}
