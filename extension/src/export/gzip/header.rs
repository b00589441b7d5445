//! The gzip member header (RFC 1952 section 2.3): the one metricline writes, and reading
//! the ones SDKs and backends send, which may carry a file name, a comment, extra fields or
//! a header CRC.

use super::crc32::crc32;

/// Deflate, no flags, no modification time, no extra flags, unknown OS.
pub(super) const PLAIN: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// The fixed part: ID1 ID2 CM FLG MTIME(4) XFL OS.
const FIXED: usize = 10;
const DEFLATE: u8 = 8;

// FLG bits; FTEXT (bit 0) is only a hint about the content.
const FHCRC: u8 = 1 << 1;
const FEXTRA: u8 = 1 << 2;
const FNAME: u8 = 1 << 3;
const FCOMMENT: u8 = 1 << 4;
/// Bits 5 to 7: the RFC requires refusing a member that sets any, as its meaning is unknown.
const RESERVED: u8 = 0b1110_0000;

/// The length of the member header at the start of `data`.
pub(super) fn parse(data: &[u8]) -> Result<usize, String> {
    let fixed = data.get(..FIXED).ok_or("shorter than a gzip header")?;
    if fixed[..2] != [0x1f, 0x8b] {
        return Err("no gzip magic number".into());
    }
    if fixed[2] != DEFLATE {
        return Err(format!("compression method {} is not deflate", fixed[2]));
    }
    let flags = fixed[3];
    if flags & RESERVED != 0 {
        return Err(format!("reserved header flags set ({flags:#04x})"));
    }
    let mut end = FIXED;
    if flags & FEXTRA != 0 {
        let len = data
            .get(end..end + 2)
            .map(|l| usize::from(u16::from_le_bytes([l[0], l[1]])))
            .ok_or("header cut short in its extra field")?;
        end += 2 + len;
        if end > data.len() {
            return Err("header cut short in its extra field".into());
        }
    }
    if flags & FNAME != 0 {
        end = past_zero(data, end).ok_or("header cut short in its file name")?;
    }
    if flags & FCOMMENT != 0 {
        end = past_zero(data, end).ok_or("header cut short in its comment")?;
    }
    if flags & FHCRC != 0 {
        let stored = data
            .get(end..end + 2)
            .ok_or("header cut short in its CRC")?;
        // The low 16 bits of the CRC-32 of every header byte before it.
        let computed = crc32(&data[..end]) as u16;
        if u16::from_le_bytes([stored[0], stored[1]]) != computed {
            return Err("header CRC mismatch".into());
        }
        end += 2;
    }
    Ok(end)
}

/// The index after the zero byte that ends the string starting at `start` (ISO 8859-1).
fn past_zero(data: &[u8], start: usize) -> Option<usize> {
    let len = data.get(start..)?.iter().position(|&b| b == 0)?;
    Some(start + len + 1)
}
