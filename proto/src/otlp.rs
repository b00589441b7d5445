//! OTLP encoding of an [`Export`](crate::aggregate::Export): protobuf and OTLP/JSON.
//!
//! OWNER: helper "aggregate+otlp". Skeleton: the names below are the contract.

pub use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
