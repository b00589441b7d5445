//! RFC 3339 envelope times → Unix nanoseconds, including the edge cases.

use metricline_proto::telemetry::parse_rfc3339;

const S: u64 = 1_000_000_000;
/// 2024-07-01T08:54:54Z
const BASE: u64 = 1_719_824_094;

#[test]
fn utc_with_and_without_a_fraction() {
    assert_eq!(parse_rfc3339("2024-07-01T08:54:54Z"), Some(BASE * S));
    assert_eq!(
        parse_rfc3339("2024-07-01T08:54:54.107Z"),
        Some(BASE * S + 107_000_000)
    );
    assert_eq!(
        parse_rfc3339("2024-07-01T08:54:54.1Z"),
        Some(BASE * S + 100_000_000)
    );
    assert_eq!(
        parse_rfc3339("2024-07-01T08:54:54.000000001Z"),
        Some(BASE * S + 1)
    );
}

#[test]
fn digits_past_nanoseconds_are_truncated() {
    assert_eq!(
        parse_rfc3339("2024-07-01T08:54:54.1234567899999Z"),
        Some(BASE * S + 123_456_789)
    );
}

#[test]
fn offsets_move_the_instant() {
    assert_eq!(parse_rfc3339("2024-07-01T10:54:54+02:00"), Some(BASE * S));
    assert_eq!(
        parse_rfc3339("2024-07-01T03:24:54.5-05:30"),
        Some(BASE * S + S / 2)
    );
    assert_eq!(parse_rfc3339("2024-07-01T08:54:54-00:00"), Some(BASE * S));
    assert_eq!(parse_rfc3339("2024-07-01T08:54:54+00:00"), Some(BASE * S));
}

#[test]
fn lowercase_and_space_separators_are_accepted() {
    assert_eq!(parse_rfc3339("2024-07-01t08:54:54z"), Some(BASE * S));
    assert_eq!(parse_rfc3339("2024-07-01 08:54:54Z"), Some(BASE * S));
}

#[test]
fn calendar_edges() {
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(
        parse_rfc3339("2024-02-29T00:00:00Z"),
        Some(1_709_164_800 * S)
    );
    assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400 * S));
    assert_eq!(
        parse_rfc3339("2023-12-31T23:59:59.999Z"),
        Some(1_704_067_199_999_000_000)
    );
    // A leap second lands on the next second.
    assert_eq!(
        parse_rfc3339("2016-12-31T23:59:60Z"),
        Some(1_483_228_800 * S)
    );
}

#[test]
fn invalid_dates_and_shapes_are_refused() {
    for bad in [
        "",
        "2024-07-01",
        "2024-07-01T08:54:54",
        "2024-07-01T08:54:54.Z",
        "2024-07-01T08:54:54,5Z",
        "2024-07-01T08:54Z",
        "2024-7-01T08:54:54Z",
        "2024-13-01T00:00:00Z",
        "2024-00-01T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2024-07-01T24:00:00Z",
        "2024-07-01T08:60:00Z",
        "2024-07-01T08:54:61Z",
        "2024-07-01T08:54:54+2:00",
        "2024-07-01T08:54:54+0200",
        "2024-07-01T08:54:54+24:00",
        "2024-07-01T08:54:54Zjunk",
        "2024-07-01T08:54:54Z ",
        " 2024-07-01T08:54:54Z",
        "+024-07-01T08:54:54Z",
        "2024-07-01T08:54:54.5é",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
    }
}

#[test]
fn instants_outside_u64_nanoseconds_are_refused() {
    assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), None);
    assert_eq!(parse_rfc3339("1970-01-01T00:30:00+01:00"), None);
    assert_eq!(parse_rfc3339("9999-12-31T23:59:59Z"), None);
    // The last representable second is in 2554.
    assert!(parse_rfc3339("2554-07-21T23:34:33Z").is_some());
    assert_eq!(parse_rfc3339("2554-07-21T23:34:34Z"), None);
}
