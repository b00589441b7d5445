//! The wire path against the decode path it replaces: for generated requests of every
//! signal, the check accepts what prost decodes and refuses what it refuses (mutated
//! bytes included), the items counted are the decoded ones, and the enriched bytes decode
//! to the decoded request enriched with [`Enrichment::apply`].

mod every_field;
mod generate;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use proptest::prelude::*;
use prost::Message;

use super::*;
use crate::relay::tests::lambda;
use crate::relay::{Enrichment, Signal};
use generate::{request, signal};

/// What the decode path gives: whether prost decodes the body, its items, and the body
/// decoded, enriched and re-encoded.
fn decoded(signal: Signal, body: &[u8], enrichment: &Enrichment) -> Option<(u64, Vec<u8>)> {
    match signal {
        Signal::Metrics => {
            let mut r = ExportMetricsServiceRequest::decode(body).ok()?;
            let data = r.resource_metrics.iter().flat_map(|r| &r.scope_metrics);
            let items = data
                .flat_map(|s| &s.metrics)
                .filter_map(|m| m.data.as_ref())
                .map(|d| match d {
                    Data::Gauge(g) => g.data_points.len(),
                    Data::Sum(s) => s.data_points.len(),
                    Data::Histogram(h) => h.data_points.len(),
                    Data::ExponentialHistogram(h) => h.data_points.len(),
                    Data::Summary(s) => s.data_points.len(),
                })
                .sum::<usize>();
            r.resource_metrics
                .iter_mut()
                .for_each(|e| enrichment.apply(&mut e.resource));
            Some((items as u64, r.encode_to_vec()))
        }
        Signal::Traces => {
            let mut r = ExportTraceServiceRequest::decode(body).ok()?;
            let scopes = r.resource_spans.iter().flat_map(|r| &r.scope_spans);
            let items = scopes.map(|s| s.spans.len()).sum::<usize>();
            r.resource_spans
                .iter_mut()
                .for_each(|e| enrichment.apply(&mut e.resource));
            Some((items as u64, r.encode_to_vec()))
        }
        Signal::Logs => {
            let mut r = ExportLogsServiceRequest::decode(body).ok()?;
            let scopes = r.resource_logs.iter().flat_map(|r| &r.scope_logs);
            let items = scopes.map(|s| s.log_records.len()).sum::<usize>();
            r.resource_logs
                .iter_mut()
                .for_each(|e| enrichment.apply(&mut e.resource));
            Some((items as u64, r.encode_to_vec()))
        }
    }
}

/// Decodes and re-encodes: the canonical form of what `bytes` mean.
fn meaning(signal: Signal, bytes: &[u8]) -> Vec<u8> {
    match signal {
        Signal::Metrics => ExportMetricsServiceRequest::decode(bytes).map(|r| r.encode_to_vec()),
        Signal::Traces => ExportTraceServiceRequest::decode(bytes).map(|r| r.encode_to_vec()),
        Signal::Logs => ExportLogsServiceRequest::decode(bytes).map(|r| r.encode_to_vec()),
    }
    .expect("the wire path wrote a decodable request")
}

/// The batch written as OTLP/JSON, read back with opentelemetry-proto's serde derives and
/// re-encoded; the JSON holds no `null`.
fn json_meaning(signal: Signal, batch: &[u8]) -> Vec<u8> {
    let json = crate::relay::json_out::write(signal, batch);
    assert!(!String::from_utf8_lossy(&json).contains(":null"));
    read_back(signal, &json)
}

/// OTLP/JSON read with opentelemetry-proto's serde derives, encoded as protobuf.
fn read_back(signal: Signal, json: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(json.to_vec()).expect("UTF-8");
    match signal {
        Signal::Metrics => {
            serde_json::from_str::<ExportMetricsServiceRequest>(&text).map(|r| r.encode_to_vec())
        }
        Signal::Traces => {
            serde_json::from_str::<ExportTraceServiceRequest>(&text).map(|r| r.encode_to_vec())
        }
        Signal::Logs => {
            serde_json::from_str::<ExportLogsServiceRequest>(&text).map(|r| r.encode_to_vec())
        }
    }
    .unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Objects and array elements of the request's JSON as opentelemetry-proto's serde derives
/// write it, counted by the receive side's JSON pass.
fn json_count(signal: Signal, body: &[u8]) -> usize {
    let json = match signal {
        Signal::Metrics => serde_json::to_vec(&ExportMetricsServiceRequest::decode(body).unwrap()),
        Signal::Traces => serde_json::to_vec(&ExportTraceServiceRequest::decode(body).unwrap()),
        Signal::Logs => serde_json::to_vec(&ExportLogsServiceRequest::decode(body).unwrap()),
    };
    crate::relay::json_budget::count(&json.unwrap()).unwrap()
}

fn added(enrichment: &Enrichment) -> Vec<Added> {
    enrichment.added().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn the_wire_path_means_what_the_decode_path_gives(
        body in signal().prop_flat_map(request),
        with_lambda in any::<bool>(),
    ) {
        // The body was generated for some signal; each signal's path must agree on it.
        for signal in Signal::ALL {
            let enrichment = if with_lambda { lambda() } else { Enrichment::none() };
            let reference = decoded(signal, &body, &enrichment);
            prop_assert_eq!(check(signal, &body).is_ok(), reference.is_some());
            let Some((want_items, want)) = reference else { continue };
            prop_assert_eq!(items(signal, &body), want_items);
            let got = enrich(&body, &added(&enrichment), usize::MAX).unwrap();
            prop_assert_eq!(meaning(signal, &got), want);
            if !with_lambda {
                prop_assert_eq!(&got, &body, "nothing to add: copied as received");
            }
        }
    }

    #[test]
    fn a_batch_written_as_json_reads_back_as_its_protobuf(
        (signal, body) in signal().prop_flat_map(|s| (Just(s), request(s))),
        with_lambda in any::<bool>(),
    ) {
        let enrichment = if with_lambda { lambda() } else { Enrichment::none() };
        let enriched = enrich(&body, &added(&enrichment), usize::MAX).unwrap();
        // Two requests merged, as a batch is.
        let batch = [enriched.as_slice(), body.as_slice()].concat();
        prop_assert_eq!(json_meaning(signal, &batch), meaning(signal, &batch));
    }

    #[test]
    fn values_are_counted_as_the_json_of_the_decoded_request_holds_them(
        (signal, body) in signal().prop_flat_map(|s| (Just(s), request(s))),
    ) {
        // Parts of one message written apart (a resource and its added attributes) are
        // counted apart: never fewer than the JSON holds, and as many once re-encoded.
        let canonical = meaning(signal, &body);
        let json = json_count(signal, &canonical);
        prop_assert_eq!(values(signal, &canonical), json);
        prop_assert!(values(signal, &body) >= json);
    }

    #[test]
    fn a_mutated_body_is_refused_exactly_when_prost_refuses_it(
        (signal, body) in signal().prop_flat_map(|s| (Just(s), request(s))),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..4),
    ) {
        let mut body = body;
        for (at, byte, how) in edits {
            if body.is_empty() {
                body.push(byte);
                continue;
            }
            let i = at.index(body.len());
            match how {
                0 => body[i] = byte,
                1 => body.insert(i, byte),
                _ => body.truncate(i),
            }
        }
        let prost_ok = decoded(signal, &body, &Enrichment::none()).is_some();
        prop_assert_eq!(check(signal, &body).is_ok(), prost_ok, "{:?}", check(signal, &body));
    }
}

#[test]
fn a_body_of_empty_entries_is_refused_past_the_bound_before_anything_is_written() {
    let body = [0x0a, 0x00].repeat(1000);
    assert!(check(Signal::Traces, &body).is_ok());
    assert_eq!(entries(&body), 1000);
    let added = added(&lambda());
    let one: usize = enrich(&[0x0a, 0x00], &added, usize::MAX).unwrap().len();
    assert_eq!(
        enrich(&body, &added, 1000 * one),
        Ok(enrich(&body, &added, usize::MAX).unwrap())
    );
    assert_eq!(enrich(&body, &added, 1000 * one - 1), Err(1000 * one));
}

#[test]
fn unknown_fields_are_copied_as_received() {
    // Entry: an unknown field 105 and no resource; request: an unknown field 103.
    let body = [0x0a, 0x05, 0xca, 0x06, 2, b'h', b'i', 0xb8, 0x06, 0x2a];
    let got = enrich(&body, &added(&lambda()), usize::MAX).unwrap();
    assert!(got.windows(5).any(|w| w == [0xca, 0x06, 2, b'h', b'i']));
    assert!(got.ends_with(&[0xb8, 0x06, 0x2a]));
}

#[test]
fn a_reason_names_the_message_and_field() {
    // ResourceSpans whose field 2 (scope spans) is a varint.
    let body = [0x0a, 0x02, 0x10, 0x01];
    let err = check(Signal::Traces, &body).unwrap_err();
    assert_eq!(err.0, "ResourceSpans: field 2 is not a ScopeSpans message");
    let err = check(Signal::Traces, &[0x0a, 0x05, 0x01]).unwrap_err();
    assert!(err.0.contains("past the end"), "{err}");
}
