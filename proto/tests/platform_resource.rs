//! The OTLP resource: detected Lambda attributes, `service.name` precedence, and
//! `OTEL_RESOURCE_ATTRIBUTES` parsing with percent-decoding.

use metricline_proto::platform::Arch;
use metricline_proto::resource::{
    build, parse_resource_attributes, AttributeValue, Resource, ResourceInputs, UNKNOWN_SERVICE,
};
use AttributeValue::{Int, Str};

fn build_with(vars: &[(&str, &str)], account: Option<&str>) -> (Resource, Option<String>) {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    build(&ResourceInputs {
        env: &env,
        account_id: account.map(str::to_owned),
        instance_id: "4f1c0a52-0000-4000-8000-000000000001".into(),
        arch: Arch::Arm64,
    })
}

fn str_of(resource: &Resource, key: &str) -> Option<String> {
    match resource.get(key)? {
        Str(s) => Some(s.clone()),
        Int(i) => Some(i.to_string()),
    }
}

const LAMBDA_ENV: [(&str, &str); 4] = [
    ("AWS_LAMBDA_FUNCTION_NAME", "orders"),
    ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
    ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
    ("AWS_REGION", "eu-west-1"),
];

#[test]
fn detects_the_lambda_attributes() {
    let (r, warning) = build_with(&LAMBDA_ENV, Some("123456789012"));
    assert_eq!(warning, None);
    let want = [
        ("service.name", Str("orders".into())),
        ("cloud.provider", Str("aws".into())),
        ("cloud.platform", Str("aws_lambda".into())),
        ("cloud.region", Str("eu-west-1".into())),
        ("cloud.account.id", Str("123456789012".into())),
        ("faas.name", Str("orders".into())),
        ("faas.version", Str("$LATEST".into())),
        ("faas.max_memory", Int(134_217_728)),
        (
            "service.instance.id",
            Str("4f1c0a52-0000-4000-8000-000000000001".into()),
        ),
        ("host.arch", Str("arm64".into())),
    ];
    let got: Vec<(&str, AttributeValue)> = r
        .attributes
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn service_name_precedence() {
    let ra = ("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs");
    let sn = ("OTEL_SERVICE_NAME", "from-env");
    let f = ("AWS_LAMBDA_FUNCTION_NAME", "fn");
    let name = |vars: &[(&str, &str)]| str_of(&build_with(vars, None).0, "service.name");
    assert_eq!(name(&[ra, sn, f]).as_deref(), Some("from-env"));
    assert_eq!(name(&[ra, f]).as_deref(), Some("from-attrs"));
    assert_eq!(name(&[f]).as_deref(), Some("fn"));
    assert_eq!(
        name(&[("OTEL_SERVICE_NAME", "")]).as_deref(),
        Some(UNKNOWN_SERVICE)
    );
}

#[test]
fn user_attributes_win_over_detected_ones_and_extras_are_appended() {
    let mut vars = LAMBDA_ENV.to_vec();
    vars.push((
        "OTEL_RESOURCE_ATTRIBUTES",
        " cloud.region = us-east-1 ,team=payments,,",
    ));
    let (r, warning) = build_with(&vars, None);
    assert_eq!(warning, None);
    assert_eq!(str_of(&r, "cloud.region").as_deref(), Some("us-east-1"));
    assert_eq!(
        r.attributes.last(),
        Some(&("team".into(), Str("payments".into())))
    );
    assert_eq!(r.get("cloud.account.id"), None);
    assert_eq!(
        r.attributes
            .iter()
            .filter(|(k, _)| k == "cloud.region")
            .count(),
        1
    );
}

#[test]
fn percent_decoding() {
    let parsed = parse_resource_attributes("deployment%3Dname=a%2Cb%3Dc,emoji=%F0%9F%9A%80,p=1+1");
    let want = [("deployment=name", "a,b=c"), ("emoji", "🚀"), ("p", "1+1")];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(parsed, Ok(want));
}

#[test]
fn a_decoding_error_discards_the_whole_variable() {
    for bad in [
        "team=a%2,env=prod",
        "team=%zz",
        "team=%+F",
        "noequals",
        "=v",
        "k=%FF",
    ] {
        let vars = [
            ("OTEL_RESOURCE_ATTRIBUTES", bad),
            ("AWS_LAMBDA_FUNCTION_NAME", "fn"),
        ];
        let (r, warning) = build_with(&vars, None);
        assert!(
            warning.is_some_and(|w| w.contains("OTEL_RESOURCE_ATTRIBUTES")),
            "{bad}"
        );
        assert_eq!(r.get("team"), None, "{bad}");
        assert_eq!(r.get("env"), None, "{bad}");
        assert_eq!(str_of(&r, "service.name").as_deref(), Some("fn"));
    }
}

#[test]
fn host_arch_follows_semantic_conventions_and_bad_memory_is_omitted() {
    let env = |_: &str| Some("not-a-number".to_owned());
    let inputs = ResourceInputs {
        env: &env,
        account_id: None,
        instance_id: "i".into(),
        arch: Arch::X86_64,
    };
    let (r, _) = build(&inputs);
    assert_eq!(r.get("host.arch"), Some(&Str("amd64".into())));
    assert_eq!(r.get("faas.max_memory"), None);
}
