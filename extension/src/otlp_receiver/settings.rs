//! `METRICLINE_OTLP_RECEIVER`, `METRICLINE_OTLP_ENRICH` and `METRICLINE_OTLP_BUFFER_BYTES`
//! (docs/otlp-receiver.md).

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// Where the receiver listens: each address `None` when turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addresses {
    pub grpc: Option<SocketAddr>,
    pub http: Option<SocketAddr>,
}

impl Default for Addresses {
    /// The OpenTelemetry SDKs' default endpoints, so a function needs no configuration.
    fn default() -> Self {
        let loopback = |port| Some(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)));
        Addresses {
            grpc: loopback(4317),
            http: loopback(4318),
        }
    }
}

impl Addresses {
    pub const ACCEPTED: &'static str =
        "off, or <gRPC address>,<HTTP address> where each is ip:port or off";

    /// `off`, or two comma-separated entries (gRPC first), each `ip:port` or `off`.
    pub fn parse(value: &str) -> Option<Addresses> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("off") {
            return Some(Addresses {
                grpc: None,
                http: None,
            });
        }
        let (grpc, http) = value.split_once(',')?;
        let entry = |entry: &str| -> Option<Option<SocketAddr>> {
            let entry = entry.trim();
            if entry.eq_ignore_ascii_case("off") {
                Some(None)
            } else {
                entry.parse::<SocketAddr>().ok().map(Some)
            }
        };
        Some(Addresses {
            grpc: entry(grpc)?,
            http: entry(http)?,
        })
    }
}

/// Everything the receiver is configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverSettings {
    pub addresses: Addresses,
    /// Add the Lambda resource attributes the SDK did not set.
    pub enrich: bool,
    /// The most encoded bytes of received requests held for the backend.
    pub buffer_bytes: usize,
}

/// The default buffer: twice the largest request accepted, within the extension's memory
/// budget under a flood of requests (docs/otlp-receiver.md).
pub const DEFAULT_BUFFER_BYTES: usize = 4 << 20;

impl Default for ReceiverSettings {
    fn default() -> Self {
        ReceiverSettings {
            addresses: Addresses::default(),
            enrich: true,
            buffer_bytes: DEFAULT_BUFFER_BYTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_grpc_then_http_each_possibly_off() {
        assert_eq!(
            Addresses::parse("127.0.0.1:4317,127.0.0.1:4318"),
            Some(Addresses::default())
        );
        let both_off = Addresses {
            grpc: None,
            http: None,
        };
        assert_eq!(Addresses::parse(" OFF "), Some(both_off));
        assert_eq!(Addresses::parse("off, off"), Some(both_off));
        let http_only = Addresses::parse("off,0.0.0.0:14318").unwrap();
        assert_eq!(http_only.grpc, None);
        assert_eq!(http_only.http, Some("0.0.0.0:14318".parse().unwrap()));
        for bad in [
            "127.0.0.1:4318",
            "localhost:4317,localhost:4318",
            "1,2",
            "on",
            "",
        ] {
            assert_eq!(Addresses::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_bad_setting_is_one_warning_naming_the_variable_and_keeps_the_default() {
        let env = |name: &str| match name {
            "METRICLINE_OTLP_RECEIVER" => Some("4318".to_string()),
            "METRICLINE_OTLP_ENRICH" => Some("no".to_string()),
            "METRICLINE_OTLP_BUFFER_BYTES" => Some("0".to_string()),
            _ => None,
        };
        let (config, warnings) = crate::config::Config::from_env(&env);
        assert_eq!(config.otlp_receiver, ReceiverSettings::default());
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].starts_with("METRICLINE_OTLP_RECEIVER=\"4318\" is not valid"));
        assert!(warnings[0].contains(Addresses::ACCEPTED));
        let env = |name: &str| {
            let set = |v: &str| Some(v.to_string());
            match name {
                "METRICLINE_OTLP_RECEIVER" => set("off"),
                "METRICLINE_OTLP_ENRICH" => set("FALSE"),
                "METRICLINE_OTLP_BUFFER_BYTES" => set("1024"),
                _ => None,
            }
        };
        let (config, warnings) = crate::config::Config::from_env(&env);
        assert!(warnings.is_empty());
        let off = Addresses {
            grpc: None,
            http: None,
        };
        let want = ReceiverSettings {
            addresses: off,
            enrich: false,
            buffer_bytes: 1024,
        };
        assert_eq!(config.otlp_receiver, want);
    }
}
