// A Node function run by AWS's runtime interface client (npm aws-lambda-ric) and
// instrumented with the real OpenTelemetry JS SDK, exporting metrics, spans and logs over
// OTLP/HTTP (protobuf) to metricline's local receiver, force-flushing before it returns as
// the OpenTelemetry Lambda instrumentation does. The Node counterpart of ../otel/handler.py,
// sending the same things per invoke:
//   one span "handle" with `event.spans - 1` children "step", all with `request.id`;
//   `orders.placed` += `event.orders` (cumulative, the SDK's default) on {shop: main};
//   one log record "order paid <request id>";
//   with `event.line`, one metric line on stdout (orders.logged 1), to show that what the
//   function prints through the runtime client precedes the invoke's runtimeDone;
//   with `event.fail`, it throws once everything is flushed.
"use strict";

const { context, trace } = require("@opentelemetry/api");
const { SeverityNumber } = require("@opentelemetry/api-logs");
const { OTLPLogExporter } = require("@opentelemetry/exporter-logs-otlp-proto");
const { OTLPMetricExporter } = require("@opentelemetry/exporter-metrics-otlp-proto");
const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-proto");
const { defaultResource, resourceFromAttributes } = require("@opentelemetry/resources");
const { BatchLogRecordProcessor, LoggerProvider } = require("@opentelemetry/sdk-logs");
const { MeterProvider, PeriodicExportingMetricReader } = require("@opentelemetry/sdk-metrics");
const { BasicTracerProvider, BatchSpanProcessor } = require("@opentelemetry/sdk-trace-base");

// The SDK's default endpoint; the tests move it (and metricline's receiver) off port 4318
// so that parallel sandboxes do not share it. Passed explicitly, because the environment's
// OTEL_EXPORTER_OTLP_ENDPOINT is metricline's backend.
const RECEIVER = process.env.OTEL_RECEIVER_URL || "http://localhost:4318";

// The SDK's own attributes (telemetry.sdk.*) and ours; metricline adds Lambda's.
const resource = defaultResource().merge(
  resourceFromAttributes({ "service.name": "otel-orders", "deployment.environment": "test" }),
);

const tracerProvider = new BasicTracerProvider({
  resource,
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${RECEIVER}/v1/traces` }))],
});
const tracer = tracerProvider.getTracer("orders");

// An interval longer than any test: only the force-flush exports.
const meterProvider = new MeterProvider({
  resource,
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${RECEIVER}/v1/metrics` }),
      exportIntervalMillis: 3_600_000,
    }),
  ],
});
const orders = meterProvider.getMeter("orders").createCounter("orders.placed", { unit: "{order}" });

const loggerProvider = new LoggerProvider({
  resource,
  processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${RECEIVER}/v1/logs` }) })],
});
const logger = loggerProvider.getLogger("orders");

exports.handler = async (event, lambdaContext) => {
  event = event || {};
  const requestId = lambdaContext.awsRequestId;
  // No context manager is registered (the SDK's Node package would add one): the children
  // get their parent explicitly.
  const handle = tracer.startSpan("handle", { attributes: { "request.id": requestId } });
  const inHandle = trace.setSpan(context.active(), handle);
  for (let i = 0; i < (event.spans ?? 2) - 1; i++) {
    tracer.startSpan("step", { attributes: { "request.id": requestId, step: i } }, inHandle).end();
  }
  handle.end();
  orders.add(event.orders ?? 3, { shop: "main" });
  logger.emit({
    severityNumber: SeverityNumber.WARN,
    severityText: "WARN",
    body: `order paid ${requestId}`,
  });
  if (event.line) {
    console.log(`MONITORING|${Math.floor(Date.now() / 1000)}|1|count|orders.logged|#shop:main`);
  }
  // What the OpenTelemetry Lambda instrumentation does before the handler returns.
  await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush(), loggerProvider.forceFlush()]);
  if (event.fail) {
    throw new Error(`order failed ${requestId}`);
  }
  return { ok: true };
};
