//! JSON text lines near the EMF and Datadog formats, for the one-pass tests: mostly valid
//! documents, members in any order, with a thing or two off.

use proptest::prelude::*;

use super::gen_json::{key, object, value};

/// Mostly the first of `choices` (a valid value), else another, sometimes left out,
/// sometimes any value.
fn member(
    name: &'static str,
    choices: &'static [&'static str],
) -> impl Strategy<Value = Option<(String, String)>> {
    let value = prop_oneof![
        6 => Just(choices[0].to_owned()),
        5 => prop::sample::select(choices).prop_map(str::to_owned),
        1 => value(),
    ];
    prop::option::weighted(0.9, value).prop_map(move |v| v.map(|v| (format!("\"{name}\""), v)))
}

fn present(members: Vec<Option<(String, String)>>) -> Vec<(String, String)> {
    members.into_iter().flatten().collect()
}

/// An EMF document close to a valid one, members in any order.
pub(super) fn near_emf() -> impl Strategy<Value = String> {
    let metric = (
        member(
            "Name",
            &[
                r#""Latency""#,
                r#""a""#,
                r#""1x""#,
                r#""_aws""#,
                r#""Lat\u0065ncy""#,
            ],
        ),
        member(
            "Unit",
            &[
                r#""Milliseconds""#,
                r#""Count""#,
                "null",
                r#""Bytes/Second""#,
                r#""Furlongs""#,
            ],
        ),
    )
        .prop_map(|(name, unit)| object(present(vec![name, unit])));
    let directive = (
        member("Namespace", &[r#""Shop""#, r#""service""#]),
        member(
            "Dimensions",
            &[
                r#"[["service"]]"#,
                "[]",
                "[[]]",
                r#"[["service","a"],["a"]]"#,
                r#"[["missing"]]"#,
                r#"[["_aws"]]"#,
            ],
        ),
        prop::collection::vec(metric, 1..3)
            .prop_map(|v| Some(("\"Metrics\"".to_owned(), format!("[{}]", v.join(","))))),
    )
        .prop_map(|(ns, dims, metrics)| object(present(vec![ns, dims, metrics])));
    let aws = (
        member(
            "Timestamp",
            &[
                "1764151200000",
                "0",
                r#""1764151200000""#,
                "-1",
                "null",
                "1.5e12",
            ],
        ),
        prop::collection::vec(directive, 0..3).prop_map(|v| format!("[{}]", v.join(","))),
    )
        .prop_map(|(ts, directives)| {
            object(present(vec![
                ts,
                Some(("\"CloudWatchMetrics\"".into(), directives)),
            ]))
        });
    (
        aws,
        member("service", &[r#""orders""#, r#""or\"ders""#, "7"]),
        member(
            "Latency",
            &[
                "[12.5,8]",
                "3",
                "[-1]",
                "[]",
                r#""x""#,
                "[1,\"2\"]",
                "1e999",
            ],
        ),
        member("a", &["1", "[1,2,3]", r#""x""#]),
        prop::option::weighted(0.1, (key(), value())),
    )
        .prop_flat_map(|(aws, service, latency, a, extra)| {
            let members = present(vec![
                Some(("\"_aws\"".into(), aws)),
                service,
                latency,
                a,
                extra,
            ]);
            Just(members).prop_shuffle()
        })
        .prop_map(object)
}

/// A Datadog JSON metric close to a valid one, members in any order.
pub(super) fn near_datadog() -> impl Strategy<Value = String> {
    (
        member(
            "m",
            &[
                r#""orders.value""#,
                r#""a\/b""#,
                r#""""#,
                "7",
                "null",
                r#""a b""#,
                "\"a\t\"",
            ],
        ),
        member("v", &["12.5", "-3", r#""1""#, "true", "null", "1e999"]),
        member(
            "e",
            &[
                "1764151200",
                "1764151200123.5",
                "0",
                "-5",
                "null",
                r#""1""#,
                "[1]",
            ],
        ),
        member(
            "t",
            &[
                r#"["env:prod","vip"]"#,
                "[]",
                "null",
                r#"[":v"]"#,
                r#"["ok",null]"#,
                r#"["b:1","a:2","b:3"]"#,
                r#"["k\u003av"," x "]"#,
            ],
        ),
        member("message", &[r#""hi""#]),
        prop::option::weighted(0.1, (key(), value())),
    )
        .prop_flat_map(|(m, v, e, t, message, extra)| {
            Just(present(vec![m, v, e, t, message, extra])).prop_shuffle()
        })
        .prop_map(object)
}
