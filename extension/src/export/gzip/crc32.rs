//! CRC-32 as gzip's trailer and header check use it (RFC 1952 section 8: IEEE polynomial,
//! reflected, initial and final value all ones).
//!
//! One 256-entry table, built at compile time, one lookup a byte. Faster variants (slice-by-16
//! tables, SIMD) cost about 18 KB of binary; the bodies checked here are a flush's few
//! kilobytes or one receiver request, where a byte a lookup is well under a millisecond.

/// The reflected IEEE polynomial (x^32 + x^26 + ... + 1, bit 0 the highest power).
const POLYNOMIAL: u32 = 0xEDB8_8320;

/// The remainder of each byte value shifted through the register on its own.
const TABLE: [u32; 256] = table();

const fn table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut remainder = byte as u32;
        let mut bit = 0;
        while bit < 8 {
            remainder = if remainder & 1 == 1 {
                (remainder >> 1) ^ POLYNOMIAL
            } else {
                remainder >> 1
            };
            bit += 1;
        }
        table[byte] = remainder;
        byte += 1;
    }
    table
}

/// The CRC-32 of `data`.
pub(super) fn crc32(data: &[u8]) -> u32 {
    let register = data.iter().fold(!0u32, |register, &byte| {
        TABLE[usize::from(register as u8 ^ byte)] ^ (register >> 8)
    });
    !register
}
