//! OTLP/JSON (the `http/json` protocol), written straight from the request.
//!
//! The OTLP JSON mapping: lowerCamelCase field names, enums (aggregation temporality) as
//! integers, 64-bit integers (`timeUnixNano`, `count`, `bucketCounts`, `intValue`, ...) as
//! decimal strings, fields at their default value left out. opentelemetry-proto's serde
//! derives follow those rules too, but they write unset optional fields as `null` (the
//! Collector's reader refuses a `null` number) and allocate a string per bucket count,
//! which made a flush of histograms ~50× slower than protobuf. So the fields metricline
//! produces are written here; rarer parts (exemplars, summaries, array values) go through
//! those serde derives. `proto/tests/otlp_json.rs` checks the rules and reads the body
//! back with the serde derives.

use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric, Metric, ResourceMetrics, ScopeMetrics};
use serde::Serialize;

use super::ExportMetricsServiceRequest;

/// The request as an OTLP/JSON body.
pub fn encode_json(request: &ExportMetricsServiceRequest) -> Vec<u8> {
    let mut w = Writer { out: Vec::new() };
    w.object(|o| {
        o.key("resourceMetrics")
            .array(&request.resource_metrics, resource_metrics);
    });
    w.out
}

fn resource_metrics(w: &mut Writer, rm: &ResourceMetrics) {
    w.object(|o| {
        if let Some(resource) = &rm.resource {
            o.key("resource").object(|r| {
                r.key("attributes").array(&resource.attributes, key_value);
                if resource.dropped_attributes_count > 0 {
                    let n = resource.dropped_attributes_count;
                    r.key("droppedAttributesCount").int(i64::from(n));
                }
            });
        }
        o.key("scopeMetrics")
            .array(&rm.scope_metrics, scope_metrics);
        if !rm.schema_url.is_empty() {
            o.key("schemaUrl").string(&rm.schema_url);
        }
    });
}

fn scope_metrics(w: &mut Writer, sm: &ScopeMetrics) {
    w.object(|o| {
        if let Some(scope) = &sm.scope {
            o.key("scope").object(|s| {
                s.key("name").string(&scope.name);
                if !scope.version.is_empty() {
                    s.key("version").string(&scope.version);
                }
                if !scope.attributes.is_empty() {
                    s.key("attributes").array(&scope.attributes, key_value);
                }
            });
        }
        o.key("metrics").array(&sm.metrics, metric);
        if !sm.schema_url.is_empty() {
            o.key("schemaUrl").string(&sm.schema_url);
        }
    });
}

/// One metric's OTLP/JSON object, appended to `out` (the relay writes batches metric by
/// metric).
pub(crate) fn metric_json(out: &mut Vec<u8>, m: &Metric) {
    let mut w = Writer {
        out: std::mem::take(out),
    };
    metric(&mut w, m);
    *out = w.out;
}

fn metric(w: &mut Writer, m: &Metric) {
    use super::json_points::{exponential_histogram, histogram, number_points};
    w.object(|o| {
        o.key("name").string(&m.name);
        if !m.description.is_empty() {
            o.key("description").string(&m.description);
        }
        if !m.unit.is_empty() {
            o.key("unit").string(&m.unit);
        }
        if !m.metadata.is_empty() {
            o.key("metadata").array(&m.metadata, key_value);
        }
        match &m.data {
            Some(metric::Data::Sum(sum)) => o.key("sum").object(|s| {
                number_points(s, &sum.data_points);
                s.key("aggregationTemporality")
                    .int(i64::from(sum.aggregation_temporality));
                if sum.is_monotonic {
                    s.key("isMonotonic").raw("true");
                }
            }),
            Some(metric::Data::Gauge(gauge)) => o
                .key("gauge")
                .object(|g| number_points(g, &gauge.data_points)),
            Some(metric::Data::Histogram(h)) => o.key("histogram").object(|o| histogram(o, h)),
            Some(metric::Data::ExponentialHistogram(h)) => o
                .key("exponentialHistogram")
                .object(|o| exponential_histogram(o, h)),
            Some(metric::Data::Summary(summary)) => o.key("summary").serde(summary),
            None => {}
        }
    });
}

pub(super) fn key_value(w: &mut Writer, kv: &KeyValue) {
    w.object(|o| {
        o.key("key").string(&kv.key);
        if let Some(value) = &kv.value {
            o.key("value").object(|v| any_value(v, value));
        }
    });
}

fn any_value(o: &mut Object<'_>, value: &AnyValue) {
    match &value.value {
        Some(any_value::Value::StringValue(s)) => o.key("stringValue").string(s),
        Some(any_value::Value::IntValue(n)) => o.key("intValue").i64_string(*n),
        Some(any_value::Value::BoolValue(b)) => {
            o.key("boolValue").raw(if *b { "true" } else { "false" })
        }
        Some(any_value::Value::DoubleValue(x)) => o.key("doubleValue").float(*x),
        Some(any_value::Value::ArrayValue(a)) => o.key("arrayValue").serde(a),
        Some(any_value::Value::KvlistValue(kv)) => o.key("kvlistValue").serde(kv),
        Some(other @ any_value::Value::BytesValue(_)) => o.flatten_serde(&AnyValue {
            value: Some(other.clone()),
        }),
        Some(any_value::Value::StringValueStrindex(i)) => {
            o.key("stringValueStrindex").int(i64::from(*i))
        }
        None => {}
    }
}

/// Appends JSON to a byte buffer.
pub(super) struct Writer {
    out: Vec<u8>,
}

/// An object being written: puts the commas between its members.
pub(super) struct Object<'a> {
    w: &'a mut Writer,
    first: bool,
}

impl Object<'_> {
    /// Starts member `name`; write its value on the returned writer.
    pub fn key(&mut self, name: &str) -> &mut Writer {
        if !self.first {
            self.w.out.push(b',');
        }
        self.first = false;
        self.w.out.push(b'"');
        self.w.out.extend_from_slice(name.as_bytes());
        self.w.out.extend_from_slice(b"\":");
        self.w
    }

    /// Writes the members of `value`'s serde JSON object into this object.
    fn flatten_serde(&mut self, value: &impl Serialize) {
        let mut inner = Vec::new();
        serde_json::to_writer(&mut inner, value).expect("serializes into memory");
        let members = &inner[1..inner.len() - 1];
        if !members.is_empty() {
            if !self.first {
                self.w.out.push(b',');
            }
            self.first = false;
            self.w.out.extend_from_slice(members);
        }
    }
}

impl Writer {
    pub fn object(&mut self, members: impl FnOnce(&mut Object<'_>)) {
        self.out.push(b'{');
        members(&mut Object {
            w: self,
            first: true,
        });
        self.out.push(b'}');
    }

    pub fn array<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Writer, &T)) {
        self.out.push(b'[');
        for (i, value) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            item(self, value);
        }
        self.out.push(b']');
    }

    pub fn raw(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
    }

    pub fn string(&mut self, s: &str) {
        let plain = s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
        if plain {
            self.out.push(b'"');
            self.out.extend_from_slice(s.as_bytes());
            self.out.push(b'"');
        } else {
            self.serde(s);
        }
    }

    pub fn int(&mut self, n: i64) {
        if n < 0 {
            self.out.push(b'-');
        }
        self.decimal(n.unsigned_abs());
    }

    /// A 64-bit integer: a decimal string in OTLP/JSON.
    pub fn u64_string(&mut self, n: u64) {
        self.out.push(b'"');
        self.decimal(n);
        self.out.push(b'"');
    }

    pub fn i64_string(&mut self, n: i64) {
        self.out.push(b'"');
        self.int(n);
        self.out.push(b'"');
    }

    /// Digits of `n`; by hand because bucket counts are most of a histogram's body and
    /// `write!` costs several times more per number.
    fn decimal(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.out.extend_from_slice(&digits[at..]);
    }

    /// A double; the protobuf JSON mapping spells the non-finite ones as strings.
    pub fn float(&mut self, x: f64) {
        match x {
            x if x.is_nan() => self.raw("\"NaN\""),
            f64::INFINITY => self.raw("\"Infinity\""),
            f64::NEG_INFINITY => self.raw("\"-Infinity\""),
            x => self.serde(&x),
        }
    }

    /// Any value through its serde derive (the OTLP mapping for the rarer parts).
    pub fn serde(&mut self, value: &(impl Serialize + ?Sized)) {
        serde_json::to_writer(&mut self.out, value).expect("serializes into memory");
    }
}
