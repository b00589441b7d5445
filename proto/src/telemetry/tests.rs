//! The one-pass batch reader agrees with serde_json on every body: the same events, the
//! same skipped elements, the same refusals. Bodies are generated close to what Lambda
//! sends, with the cases the reader must hand over or give up on (escapes of every kind,
//! lone surrogates, repeated and unknown members, other orders, truncation).

use proptest::prelude::*;
use serde_json::value::RawValue;

use super::*;

/// serde_json's reading of a body, element by element: the judge.
fn judge(body: &[u8]) -> Result<Batch, BatchError> {
    let elements: Vec<&RawValue> =
        serde_json::from_slice(body).map_err(|_| BatchError::NotAnArray)?;
    let mut batch = Batch::default();
    for element in elements {
        match parse_event(element.get()) {
            Ok(event) => batch.events.push(event),
            Err(skip) => batch.skipped.push(skip),
        }
    }
    Ok(batch)
}

/// Events hold a `RawValue`, which has no `PartialEq`; its text is what matters.
fn debug(batch: &Result<Batch, BatchError>) -> String {
    format!("{batch:?}")
}

fn agree(body: &str) -> Result<(), TestCaseError> {
    let read = parse_batch(body.as_bytes());
    prop_assert_eq!(debug(&read), debug(&judge(body.as_bytes())), "{}", body);
    Ok(())
}

/// How many log records the reader took in place, without serde_json.
fn in_place(body: &str) -> Option<usize> {
    BatchReader::default().logs_read_in_place(body)
}

const TIME: &str = r#""2026-01-01T00:00:00.001Z""#;

/// A JSON string as Lambda encodes it (`\"`, `\n`, `\u0000`…), or with escapes serde_json
/// would not write (`\/`, `\u00e9`, surrogate pairs) or not accept as a string (a lone
/// surrogate, a raw tab).
fn json_string() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        "[a-z {}:,\"\\\\/|#é😀\t\n\u{1}]{0,24}",
        Just(r#"{"m":"shop.items","v":2,"t":["route:/cart"]}"#.to_owned()),
        Just("MONITORING|1764151200|1|count|shop.requests|#route:/cart".to_owned()),
    ];
    let encoded = text.prop_map(|t| serde_json::to_string(&t).unwrap());
    let odd = prop_oneof![
        Just(r#""a\/b \u00e9 \uD83D\uDE00""#.to_owned()),
        Just(r#""lone \uD83D""#.to_owned()),
        Just(r#""low \uDE00 first""#.to_owned()),
        Just("\"raw\ttab\"".to_owned()),
        Just(r#""bad \x""#.to_owned()),
    ];
    prop_oneof![8 => encoded, 1 => odd]
}

/// A JSON record (Lambda's JSON log format), with or without escapes.
fn json_record() -> impl Strategy<Value = String> {
    json_string()
        .prop_map(|message| format!(r#"{{"timestamp":{TIME},"level":"INFO","message":{message}}}"#))
}

/// One element of a batch: mostly log records in Lambda's envelope, then platform events
/// and every way an envelope can differ.
fn element() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        6 => Just(r#""function""#),
        1 => Just(r#""extension""#),
        1 => Just(r#""platform.start""#),
        1 => Just(r#""platform.future""#),
        1 => Just(r#""func\u0074ion""#),
        1 => Just("7"),
    ];
    let time = prop_oneof![
        8 => Just(TIME),
        1 => Just(r#""yesterday""#),
        1 => Just("null"),
        1 => Just(r#""2026-01-01T00:00:00\u002e001Z""#),
    ];
    let record = prop_oneof![
        8 => json_string(),
        2 => json_record(),
        1 => Just(r#"{"requestId":"a","status":"success"}"#.to_owned()),
        1 => prop_oneof![Just("null"), Just("17"), Just(r#"["a"]"#), Just("{}")]
            .prop_map(str::to_owned),
    ];
    let extra = prop_oneof![
        8 => Just(""),
        1 => Just(r#","time":"2026-01-01T00:00:00Z""#),
        1 => Just(r#","other":{"a":[1,"\"b\""]}"#),
    ];
    let space = prop_oneof![4 => Just(""), 1 => Just(" "), 1 => Just("\n\t ")];
    let envelope = (kind, time, record, extra, any::<bool>(), space).prop_map(
        |(kind, time, record, extra, record_first, s)| {
            let (time, kind, record) = (
                format!(r#"{s}"time"{s}:{s}{time}"#),
                format!(r#""type":{s}{kind}"#),
                format!(r#""record":{s}{record}{s}"#),
            );
            if record_first {
                format!("{{{record},{kind},{time}{extra}}}")
            } else {
                format!("{{{time},{kind},{record}{extra}}}")
            }
        },
    );
    let other = prop_oneof![
        Just(r#"{"time":"2026-01-01T00:00:00Z","type":"platform.runtimeDone","record":{"requestId":"a","status":"success","spans":[{"name":"responseLatency","start":"2026-01-01T00:00:00Z","durationMs":1.5}]}}"#),
        Just(r#"{"time":"2026-01-01T00:00:00Z","type":"platform.report","record":{"requestId":"a\"b","metrics":{"durationMs":2}}}"#),
        Just(r#"{"type":"platform.future"}"#),
        Just(r#"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]"#),
        Just("42"),
        Just("null"),
    ]
    .prop_map(str::to_owned);
    prop_oneof![8 => envelope, 1 => other]
}

fn body() -> impl Strategy<Value = String> {
    prop::collection::vec(element(), 0..8).prop_map(|elements| format!("[{}]", elements.join(",")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn the_reader_agrees_with_serde_json(body in body()) {
        agree(&body)?;
    }

    #[test]
    fn the_reader_agrees_on_cut_and_patched_bodies(body in body(), cut in any::<prop::sample::Index>(), patch in "[\\[\\]{},:\"\\\\ ]?") {
        // Cut at a character boundary, then maybe patched with one structural character.
        let at = (0..=body.len()).filter(|&i| body.is_char_boundary(i)).nth(cut.index(body.len() + 1)).unwrap_or(body.len());
        agree(&format!("{}{patch}{}", &body[..at], &body[at..].get(1..).unwrap_or("")))?;
    }
}

#[test]
fn lambda_batches_are_read_in_place() {
    let line = r#"{"time":"2026-01-01T00:00:00.001Z","type":"function","record":"{\"m\":\"shop.items\",\"v\":2,\"e\":1764151200,\"t\":[\"route:/cart\"]}"}"#;
    let plain = r#"{"time":"2026-01-01T00:00:00.001Z","type":"function","record":"MONITORING|1764151200|1|count|shop.requests|#route:/cart"}"#;
    let json = r#"{"time":"2026-01-01T00:00:00.001Z","type":"function","record":{"level":"INFO","message":"say \"hi\""}}"#;
    let report = r#"{"time":"2026-01-01T00:00:00.002Z","type":"platform.report","record":{"requestId":"a","status":"success","metrics":{"durationMs":2.5}}}"#;
    let body = format!("[{line}, {plain},\n{json},{report}]");
    assert_eq!(in_place(&body), Some(3));
    agree(&body).unwrap();
}

#[test]
fn what_the_reader_cannot_decode_goes_to_serde_json() {
    let lone = r#"{"time":"2026-01-01T00:00:00.001Z","type":"function","record":"\uD83D"}"#;
    let body = format!("[{lone}]");
    assert_eq!(in_place(&body), Some(0));
    agree(&body).unwrap();
    assert_eq!(
        parse_batch(body.as_bytes()).unwrap().skipped,
        [Skip::Malformed]
    );
    let truncated = &body[..body.len() - 1];
    assert_eq!(in_place(truncated), None);
    agree(truncated).unwrap();
}

#[test]
fn a_reused_reader_forgets_the_previous_batch() {
    let mut reader = BatchReader::default();
    let first = br#"[{"time":"2026-01-01T00:00:00Z","type":"function","record":"a\"b"}]"#;
    assert_eq!(reader.read(first).unwrap().count(), 1);
    let second = br#"[{"time":"2026-01-01T00:00:00Z","type":"function","record":"c\nd"}]"#;
    let events: Vec<_> = reader.read(second).unwrap().collect();
    let [Ok(EventRef::Log {
        record: RecordRef::Text(text),
        ..
    })] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(*text, "c\nd");
}

#[test]
fn entries_of_spans_that_are_not_spans_are_dropped_and_the_event_kept() {
    let runtime_done = |spans: &str| {
        let json = format!(
            r#"{{"time":{TIME},"type":"platform.runtimeDone","record":{{"requestId":"a","status":"success","spans":{spans}}}}}"#
        );
        match parse_event(&json).map(|event| event.body) {
            Ok(Body::RuntimeDone(done)) => done,
            other => panic!("{spans}: {other:?}"),
        }
    };
    let done = runtime_done(
        r#"[1, null, {"name":"responseLatency","durationMs":"slow"}, {"name":"responseDuration","start":"2026-01-01T00:00:00Z","durationMs":0.5,"extra":[{}]}, {"durationMs":2}]"#,
    );
    assert_eq!(done.status, "success");
    assert_eq!(
        done.spans,
        vec![Span {
            name: "responseDuration".into(),
            start: Some("2026-01-01T00:00:00Z".into()),
            duration_ms: 0.5,
        }]
    );
    for not_a_list in [r#""spans""#, "{}", "7", "null"] {
        assert_eq!(runtime_done(not_a_list).spans, vec![], "{not_a_list}");
    }
}
