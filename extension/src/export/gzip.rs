//! gzip for request bodies and for compressed answers.

use std::io::{Read, Write};

/// Compresses at the fastest level: the bytes saved by a higher level cost more CPU after
/// `runtimeDone` than they save on the wire for a few kilobytes of metrics.
pub(crate) fn compress(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(data)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// Decompresses at most `limit` bytes; an answer past that is not worth reading.
pub(crate) fn decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .take(limit as u64)
        .read_to_end(&mut out)
        .map_err(|e| format!("undecodable gzip answer: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_honours_the_limit() {
        let data = b"metricline ".repeat(100);
        let packed = compress(&data);
        assert!(packed.len() < data.len());
        assert_eq!(decompress(&packed, 1 << 20).unwrap(), data);
        assert_eq!(decompress(&packed, 10).unwrap().len(), 10);
        assert!(decompress(b"plain", 100).is_err());
    }
}
