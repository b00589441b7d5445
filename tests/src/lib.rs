//! Local Lambda sandbox and OTLP sink.
