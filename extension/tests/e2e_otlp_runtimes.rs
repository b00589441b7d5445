//! The OTLP receiver with the OpenTelemetry SDKs run by AWS's own runtime interface
//! clients, as Lambda's managed runtimes run them: the Python SDK under pip `awslambdaric`
//! (OTLP/HTTP and OTLP/gRPC) and the JS SDK under npm `aws-lambda-ric` (OTLP/HTTP). Each
//! signal arrives at the backend exactly once, enriched with the SDK's attributes kept,
//! before the invoke's `/next` under `end`; a failing handler still delivers what it
//! flushed, through the clients' error path.

use metricline_tests::otel_function::{awslambdaric_setup, node_function_installed, node_setup};
use metricline_tests::sdk_checks::{
    a_failed_invoke_delivers_what_it_flushed, signals_arrive_once_enriched_before_next,
};

#[test]
fn python_sdk_under_awslambdaric_over_http() {
    let test = "otlp_awslambdaric_http";
    signals_arrive_once_enriched_before_next(test, awslambdaric_setup(false), "python");
}

#[test]
fn python_sdk_under_awslambdaric_over_grpc() {
    let test = "otlp_awslambdaric_grpc";
    signals_arrive_once_enriched_before_next(test, awslambdaric_setup(true), "python");
}

#[test]
fn a_failed_invoke_under_awslambdaric_delivers_what_it_flushed() {
    let test = "otlp_awslambdaric_failed";
    a_failed_invoke_delivers_what_it_flushed(test, awslambdaric_setup(false), "RuntimeError");
}

#[test]
fn node_sdk_under_aws_lambda_ric() {
    let test = "otlp_aws_lambda_ric";
    if node_function_installed(test) {
        signals_arrive_once_enriched_before_next(test, node_setup(), "nodejs");
    }
}

#[test]
fn a_failed_invoke_under_aws_lambda_ric_delivers_what_it_flushed() {
    let test = "otlp_aws_lambda_ric_failed";
    if node_function_installed(test) {
        a_failed_invoke_delivers_what_it_flushed(test, node_setup(), "Error");
    }
}
