//! Which line formats are parsed: `METRICLINE_FORMATS` (docs/configuration.md).

use std::fmt;
use std::str::FromStr;

use super::Format;

/// Which formats are parsed (`METRICLINE_FORMATS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub monitoring: bool,
    pub datadog: bool,
    pub emf: bool,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            monitoring: true,
            datadog: true,
            emf: true,
        }
    }
}

impl Formats {
    /// No format at all: only platform metrics are exported.
    pub const NONE: Formats = Formats {
        monitoring: false,
        datadog: false,
        emf: false,
    };

    pub fn enabled(self, format: Format) -> bool {
        match format {
            Format::Monitoring => self.monitoring,
            Format::Datadog => self.datadog,
            Format::Emf => self.emf,
            // Never looked for in log lines; `METRICLINE_STATSD` turns the listener on.
            Format::Statsd => false,
        }
    }
}

/// A `METRICLINE_FORMATS` value that is not a list of known formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatsError {
    /// The entry that is not a format (empty when the whole value is).
    pub entry: String,
}

impl fmt::Display for FormatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown line format {:?}; accepted: a comma-separated list of monitoring, \
             datadog, emf, or none",
            self.entry
        )
    }
}

impl std::error::Error for FormatsError {}

impl FromStr for Formats {
    type Err = FormatsError;

    /// Parses `monitoring,datadog,emf` (any subset, any order, case-insensitive, spaces
    /// allowed) or `none`. An empty value is an error, so that a typo such as
    /// `METRICLINE_FORMATS=` does not silently turn every format off.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let error = |entry: &str| FormatsError {
            entry: entry.to_owned(),
        };
        if value.trim().eq_ignore_ascii_case("none") {
            return Ok(Formats::NONE);
        }
        let mut formats = Formats::NONE;
        let mut any = false;
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let flag = match entry.to_ascii_lowercase().as_str() {
                "monitoring" => &mut formats.monitoring,
                "datadog" => &mut formats.datadog,
                "emf" => &mut formats.emf,
                _ => return Err(error(entry)),
            };
            *flag = true;
            any = true;
        }
        if any {
            Ok(formats)
        } else {
            Err(error(value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_in_any_order_and_case() {
        assert_eq!("monitoring,datadog,emf".parse(), Ok(Formats::default()));
        let emf_only = Formats {
            emf: true,
            ..Formats::NONE
        };
        assert_eq!(" EMF ".parse(), Ok(emf_only));
        let two = Formats {
            monitoring: true,
            datadog: true,
            emf: false,
        };
        assert_eq!("datadog, monitoring,".parse(), Ok(two));
        assert_eq!("none".parse(), Ok(Formats::NONE));
    }

    #[test]
    fn unknown_or_empty_values_name_the_accepted_ones() {
        let error = "emf,statsd".parse::<Formats>().unwrap_err();
        assert_eq!(error.entry, "statsd");
        let message = error.to_string();
        for accepted in ["monitoring", "datadog", "emf", "none", "\"statsd\""] {
            assert!(message.contains(accepted), "{message}");
        }
        assert!("".parse::<Formats>().is_err());
        assert!(" , ".parse::<Formats>().is_err());
    }
}
