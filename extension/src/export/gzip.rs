//! gzip for request bodies and for compressed answers.

use std::cell::RefCell;
use std::io::Read;

use flate2::{Compress, Crc, FlushCompress, Status};

thread_local! {
    /// One deflate state per thread, reset between bodies: a fresh one costs a few hundred
    /// microseconds (hundreds of kilobytes of tables, freshly mapped and faulted in), more
    /// than compressing a flush's few kilobytes, and that time is paid after `runtimeDone`.
    static DEFLATE: RefCell<Option<Compress>> = const { RefCell::new(None) };
}

/// gzip member header: deflate, no name, no mtime, unknown OS.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// Compresses at the fastest level: the bytes saved by a higher level cost more CPU after
/// `runtimeDone` than they save on the wire for a few kilobytes of metrics.
pub(crate) fn compress(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    out.extend_from_slice(&HEADER);
    let deflated = DEFLATE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let deflate = slot.get_or_insert_with(|| Compress::new(flate2::Compression::fast(), false));
        deflate.reset();
        let start = deflate.total_in();
        loop {
            let consumed = (deflate.total_in() - start) as usize;
            out.reserve(data.len() / 2 + 64);
            match deflate.compress_vec(&data[consumed..], &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return true,
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
    });
    if !deflated {
        // Not expected with a growing Vec; a one-off encoder is slower but always works.
        return one_off(data);
    }
    let mut crc = Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn one_off(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
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
    fn a_reused_compressor_gives_independent_bodies() {
        let first = compress(b"first body, first body, first body");
        let second = compress(b"second");
        assert_eq!(
            decompress(&first, 1 << 20).unwrap(),
            b"first body, first body, first body"
        );
        assert_eq!(decompress(&second, 1 << 20).unwrap(), b"second");
        assert_eq!(decompress(&compress(b""), 16).unwrap(), b"");
        let big: Vec<u8> = (0..200_000u32)
            .flat_map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes())
            .collect();
        assert_eq!(decompress(&compress(&big), 1 << 21).unwrap(), big);
        assert_eq!(decompress(&one_off(b"x"), 16).unwrap(), b"x");
    }

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
