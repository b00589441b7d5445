//! JSON text lines for the one-pass tests: objects of freely nested values with the
//! formats' keys, and EMF-shaped documents of such values.

use proptest::prelude::*;

/// JSON text of an object with these members, in order, duplicates kept.
pub(super) fn object(members: Vec<(String, String)>) -> String {
    let members: Vec<String> = members
        .into_iter()
        .map(|(key, value)| format!("{key}:{value}"))
        .collect();
    format!("{{{}}}", members.join(","))
}

fn quoted(names: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    prop::sample::select(names).prop_map(|name| format!("\"{name}\""))
}

fn leaf() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        prop::sample::select(vec![
            "null",
            "true",
            "0",
            "1",
            "-1",
            "12.5",
            "-0",
            "1e999",
            "1764151200",
            "1764151200000",
            "[]",
            "{}",
            "[1,2.5]",
            "[1,\"2\"]",
        ])
        .prop_map(str::to_owned),
        quoted(&[
            "",
            "a",
            "a b",
            "a\\/b",
            "service",
            "env:prod",
            ":v",
            " ",
            "Milliseconds",
            "Count",
            "_aws",
            "Latency",
            "\\u0061",
            // Raw control characters: invalid JSON, whitespace or not.
            "a\t",
            "\n",
        ]),
    ]
}

/// Root keys: the formats' markers, names the documents refer to, and escaped spellings.
pub(super) fn key() -> impl Strategy<Value = String> + Clone {
    quoted(&[
        "_aws",
        "m",
        "v",
        "e",
        "t",
        "message",
        "a",
        "service",
        "Latency",
        "\\u006d",
        "_\\u0061ws",
    ])
}

pub(super) fn value() -> impl Strategy<Value = String> + Clone {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((key(), inner), 0..4).prop_map(object),
        ]
    })
}

/// An object or, as serde's derived readers also accept, an array of the same values.
fn object_or_array(members: Vec<(String, String)>, as_array: bool) -> String {
    if as_array {
        let values: Vec<String> = members.into_iter().map(|(_, value)| value).collect();
        format!("[{}]", values.join(","))
    } else {
        object(members)
    }
}

fn names() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => prop::collection::vec(quoted(&["service", "a", "_aws", "x"]), 0..3)
            .prop_map(|v| format!("[{}]", v.join(","))),
        1 => leaf(),
    ]
}

fn directive() -> impl Strategy<Value = String> {
    let metric = (
        quoted(&["Latency", "a", "_aws", "1x"]),
        leaf(),
        any::<bool>(),
    )
        .prop_map(|(name, unit, swap)| {
            let unit = if swap {
                "\"Milliseconds\"".to_owned()
            } else {
                unit
            };
            object(vec![("\"Name\"".into(), name), ("\"Unit\"".into(), unit)])
        });
    let members = prop::collection::vec(
        prop_oneof![
            (
                quoted(&["Namespace"]),
                prop_oneof![quoted(&["Shop"]), leaf()]
            ),
            (
                quoted(&["Dimensions"]),
                prop::collection::vec(names(), 0..3).prop_map(|v| format!("[{}]", v.join(",")))
            ),
            (
                quoted(&["Metrics"]),
                prop::collection::vec(metric, 0..3).prop_map(|v| format!("[{}]", v.join(",")))
            ),
        ],
        0..5,
    );
    (members, prop::bool::weighted(0.1)).prop_map(|(m, array)| object_or_array(m, array))
}

fn aws() -> impl Strategy<Value = String> {
    let members = prop::collection::vec(
        prop_oneof![
            (quoted(&["Timestamp"]), leaf()),
            (
                quoted(&["CloudWatchMetrics"]),
                prop::collection::vec(directive(), 0..3).prop_map(|v| format!("[{}]", v.join(",")))
            ),
            (quoted(&["Other"]), value()),
        ],
        0..4,
    );
    (members, prop::bool::weighted(0.1)).prop_map(|(m, array)| object_or_array(m, array))
}

/// A root object; sometimes cut short or followed by more text.
pub(super) fn line() -> impl Strategy<Value = String> {
    let member = prop_oneof![
        2 => (quoted(&["_aws"]), aws()),
        3 => (key(), value()),
        1 => (quoted(&["t"]), prop::collection::vec(leaf(), 0..3).prop_map(|v| format!("[{}]", v.join(",")))),
    ];
    let ending = prop_oneof![8 => Just(None), 1 => (0..200usize).prop_map(Some)];
    (prop::collection::vec(member, 0..7), ending, any::<bool>()).prop_map(
        |(members, cut, trailing)| {
            let mut line = object(members);
            if let Some(cut) = cut {
                // All generated text is ASCII: any cut is a character boundary.
                line.truncate(cut.min(line.len()));
                if trailing {
                    line.push_str(" x");
                }
            }
            line
        },
    )
}
