//! The Telemetry API subscription (docs/lmi.md): `platform` and `function` events at the
//! minimum buffering, schema 2025-01-29 first and, if the sandbox answers 400, once more
//! with 2022-12-13.

use crate::extensions_api::{err, excerpt, ApiError, ExtensionsApi};
use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::Full;

const TELEMETRY: &str = "/2022-07-01/telemetry";

/// The Telemetry API subscription result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscription {
    /// Subscribed with this schema version.
    Subscribed(&'static str),
    /// 202: the sandbox has no Telemetry API (local emulators).
    NotSupported,
}

/// The schema asked for first: AWS documents it as backward compatible with on-demand
/// Lambda, and Lambda Managed Instances accept no other.
pub const SCHEMA: &str = "2025-01-29";
/// The one retry when a sandbox answers 400 to [`SCHEMA`] (older emulators).
pub const FALLBACK_SCHEMA: &str = "2022-12-13";

/// A subscription the sandbox refused: its status and the start of its answer.
struct Refused {
    status: StatusCode,
    body: String,
}

impl Refused {
    fn into_error(self, schema: &str) -> ApiError {
        ApiError(format!(
            "Telemetry API subscription with schema {schema} answered {}: {}",
            self.status, self.body
        ))
    }
}

impl ExtensionsApi {
    /// Subscribes to `platform` and `function` events, delivered to `port` on
    /// `sandbox.localdomain`, at the minimum buffering so lines arrive promptly: with
    /// [`SCHEMA`], and once more with [`FALLBACK_SCHEMA`] if the sandbox answers 400.
    pub async fn subscribe_telemetry(&mut self, port: u16) -> Result<Subscription, ApiError> {
        let refused = match self.subscribe_with(SCHEMA, port).await? {
            Ok(subscription) => return Ok(subscription),
            Err(refused) => refused,
        };
        if refused.status != StatusCode::BAD_REQUEST {
            return Err(refused.into_error(SCHEMA));
        }
        crate::info!(
            "the Telemetry API answered 400 to schema {SCHEMA} ({}); subscribing with {FALLBACK_SCHEMA}",
            refused.body
        );
        self.subscribe_with(FALLBACK_SCHEMA, port)
            .await?
            .map_err(|refused| refused.into_error(FALLBACK_SCHEMA))
    }

    /// One subscription request; the inner `Err` is the sandbox's refusal.
    async fn subscribe_with(
        &mut self,
        schema: &'static str,
        port: u16,
    ) -> Result<Result<Subscription, Refused>, ApiError> {
        let body = format!(
            concat!(
                r#"{{"schemaVersion":"{}","types":["platform","function"],"#,
                r#""buffering":{{"maxItems":10000,"maxBytes":262144,"timeoutMs":25}},"#,
                r#""destination":{{"protocol":"HTTP","URI":"http://sandbox.localdomain:{}/"}}}}"#
            ),
            schema, port
        );
        let request = self
            .request(Method::PUT, TELEMETRY)
            .header("Content-Type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| err("subscribe request", e))?;
        let (status, _, body) = self.send(request).await?;
        Ok(match status {
            StatusCode::OK => Ok(Subscription::Subscribed(schema)),
            StatusCode::ACCEPTED => Ok(Subscription::NotSupported),
            status => Err(Refused {
                status,
                body: excerpt(&body),
            }),
        })
    }
}
