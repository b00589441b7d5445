//! CloudWatch units to UCUM, the unit syntax OpenTelemetry uses.

use std::borrow::Cow;

/// The UCUM form of a CloudWatch `Unit`; a missing unit and `None` are empty. `None` (the
/// Rust value) for a string that is not a CloudWatch unit.
/// Borrowed but for the rare rates (`Bytes/Second`).
pub(crate) fn ucum(unit: Option<&str>) -> Option<Cow<'static, str>> {
    let Some(unit) = unit else {
        return Some(Cow::Borrowed(""));
    };
    if unit == "None" {
        return Some(Cow::Borrowed(""));
    }
    match unit.strip_suffix("/Second") {
        Some(base) => base_unit(base).map(|base| Cow::Owned(format!("{base}/s"))),
        None => base_unit(unit).map(Cow::Borrowed),
    }
}

fn base_unit(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "Seconds" => "s",
        "Milliseconds" => "ms",
        "Microseconds" => "us",
        "Bytes" => "By",
        "Kilobytes" => "kBy",
        "Megabytes" => "MBy",
        "Gigabytes" => "GBy",
        "Terabytes" => "TBy",
        "Bits" => "bit",
        "Kilobits" => "kbit",
        "Megabits" => "Mbit",
        "Gigabits" => "Gbit",
        "Terabits" => "Tbit",
        "Percent" => "%",
        "Count" => "{count}",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudwatch_units_map_to_ucum() {
        for (cloudwatch, expected) in [
            ("Milliseconds", "ms"),
            ("Seconds", "s"),
            ("Microseconds", "us"),
            ("Bytes", "By"),
            ("Kilobytes", "kBy"),
            ("Megabytes", "MBy"),
            ("Gigabytes", "GBy"),
            ("Terabytes", "TBy"),
            ("Bits", "bit"),
            ("Kilobits", "kbit"),
            ("Megabits", "Mbit"),
            ("Gigabits", "Gbit"),
            ("Terabits", "Tbit"),
            ("Percent", "%"),
            ("Count", "{count}"),
            ("Bytes/Second", "By/s"),
            ("Count/Second", "{count}/s"),
            ("Gigabits/Second", "Gbit/s"),
            ("None", ""),
        ] {
            assert_eq!(
                ucum(Some(cloudwatch)).as_deref(),
                Some(expected),
                "{cloudwatch}"
            );
        }
        assert_eq!(ucum(None).as_deref(), Some(""));
    }

    #[test]
    fn unknown_units_are_refused() {
        for unit in ["Furlongs", "seconds", "", "None/Second", "Percent/Minute"] {
            assert_eq!(ucum(Some(unit)), None, "{unit}");
        }
    }
}
