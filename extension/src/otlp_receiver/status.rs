//! The receiver's answers in the OTLP encodings: an empty `Export…ServiceResponse` for
//! success (every signal's encodes to zero bytes in protobuf and `{}` in JSON), and a
//! `google.rpc.Status` carrying the reason for a failure.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use metricline_proto::relay::Encoding;
use prost::Message;

use crate::export::response::RpcStatus;

/// gRPC's INVALID_ARGUMENT, the code of a request the receiver cannot take.
const INVALID_ARGUMENT: i32 = 3;

fn content_type(encoding: Encoding) -> HeaderValue {
    HeaderValue::from_static(match encoding {
        Encoding::Protobuf => "application/x-protobuf",
        Encoding::Json => "application/json",
    })
}

fn response(code: StatusCode, encoding: Encoding, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = code;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, content_type(encoding));
    response
}

/// 200 with a full success: no `partial_success`.
pub fn http_ok(encoding: Encoding) -> Response<Full<Bytes>> {
    let body = match encoding {
        Encoding::Protobuf => Vec::new(),
        Encoding::Json => b"{}".to_vec(),
    };
    response(StatusCode::OK, encoding, body)
}

/// A 4xx whose body says why, in the request's encoding.
pub fn http(code: StatusCode, encoding: Encoding, message: &str) -> Response<Full<Bytes>> {
    let body = match encoding {
        Encoding::Protobuf => RpcStatus {
            code: INVALID_ARGUMENT,
            message: message.to_string(),
        }
        .encode_to_vec(),
        Encoding::Json => {
            serde_json::to_vec(&serde_json::json!({"code": INVALID_ARGUMENT, "message": message}))
                .unwrap_or_default()
        }
    };
    response(code, encoding, body)
}
