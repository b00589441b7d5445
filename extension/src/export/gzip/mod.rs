//! gzip for request bodies, for compressed answers and for the receivers' compressed requests.
//!
//! Deflate itself is miniz_oxide's; the gzip member around it (RFC 1952: a header, the
//! deflate stream, CRC-32 and length) and the CRC-32 are written here. flate2 would add
//! crc32fast, whose tables and SIMD paths cost about 18 KB of the 3 MB binary budget
//! (docs/measurements.md), for a few dozen lines of framing.

mod crc32;
mod header;
mod inflate;

use std::cell::RefCell;

use miniz_oxide::deflate::core::{compress_to_output, CompressorOxide, TDEFLFlush, TDEFLStatus};
use miniz_oxide::DataFormat;

use crc32::crc32;

thread_local! {
    /// One deflate state per thread, reset between bodies: a fresh one costs a few hundred
    /// microseconds (hundreds of kilobytes of tables, freshly mapped and faulted in), more
    /// than compressing a flush's few kilobytes, and that time is paid after `runtimeDone`.
    static DEFLATE: RefCell<Option<Box<CompressorOxide>>> = const { RefCell::new(None) };
}

/// miniz_oxide's level 1: greedy parsing with one probe, its fast path.
const FASTEST: u8 = 1;

/// Compresses at the fastest level: the bytes saved by a higher level cost more CPU after
/// `runtimeDone` than they save on the wire for a few kilobytes of metrics.
pub(crate) fn compress(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    out.extend_from_slice(&header::PLAIN);
    let deflated = DEFLATE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let deflate = slot.get_or_insert_with(|| {
            let mut fresh = Box::<CompressorOxide>::default();
            fresh.set_format_and_level(DataFormat::Raw, FASTEST);
            fresh
        });
        deflate.reset();
        let mut sink = |chunk: &[u8]| {
            out.extend_from_slice(chunk);
            true
        };
        let mut rest = data;
        loop {
            let (status, took) = compress_to_output(deflate, rest, TDEFLFlush::Finish, &mut sink);
            rest = &rest[took..];
            match status {
                TDEFLStatus::Done => return true,
                TDEFLStatus::Okay => continue,
                _ => return false,
            }
        }
    });
    if !deflated {
        // Not expected with a sink that always takes the bytes; a one-off state is slower
        // but starts clean.
        out.truncate(header::PLAIN.len());
        out.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(data, FASTEST));
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    // ISIZE is the length modulo 2^32.
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// Decompresses the first gzip member of `data`, at most `limit` bytes of it: the callers
/// tell a body over their limit by getting `limit` bytes back, and the rest is not read
/// (nor checked).
pub(crate) fn decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let undecodable = |e: String| format!("undecodable gzip: {e}");
    let start = header::parse(data).map_err(undecodable)?;
    let inflated = inflate::inflate(&data[start..], limit).map_err(undecodable)?;
    let Some(stream_len) = inflated.stream_len else {
        return Ok(inflated.data);
    };
    let trailer = data
        .get(start + stream_len..)
        .and_then(|rest| rest.get(..8))
        .ok_or_else(|| undecodable("the body ends before its CRC and length".into()))?;
    let (crc, size) = trailer.split_at(4);
    if u32::from_le_bytes(crc.try_into().expect("4 bytes")) != crc32(&inflated.data) {
        return Err(undecodable("CRC mismatch: the body is corrupt".into()));
    }
    if u32::from_le_bytes(size.try_into().expect("4 bytes")) != inflated.data.len() as u32 {
        return Err(undecodable("length mismatch: the body is corrupt".into()));
    }
    Ok(inflated.data)
}

#[cfg(test)]
mod tests;
