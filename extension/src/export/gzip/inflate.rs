//! Raw deflate decoding (RFC 1951) into a buffer that never grows past a limit, so a small
//! body that inflates to gigabytes costs no more than the limit.

use miniz_oxide::inflate::core::inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

/// What a deflate stream decoded to.
pub(super) struct Inflated {
    pub(super) data: Vec<u8>,
    /// Bytes of input the stream took, or `None` when the output reached the limit first
    /// (`data` is then the first `limit` bytes and the rest was not read).
    pub(super) stream_len: Option<usize>,
}

/// Decodes the deflate stream at the start of `input`, producing at most `limit` bytes.
pub(super) fn inflate(input: &[u8], limit: usize) -> Result<Inflated, String> {
    // Boxed: the decoder's tables are about 10 KB, too much to move around on the stack.
    let mut decoder = Box::<DecompressorOxide>::default();
    // Grown as needed: most bodies compress 3-10x, and the limit may be megabytes.
    let mut out = vec![0; input.len().saturating_mul(4).max(1024).min(limit)];
    let (mut read, mut written) = (0, 0);
    loop {
        // Non-wrapping: `out` holds everything decoded so far, which is also the window
        // that back-references point into.
        let (status, took, gave) = decompress(
            &mut decoder,
            &input[read..],
            &mut out,
            written,
            TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
        );
        read += took;
        written += gave;
        match status {
            TINFLStatus::Done => {
                out.truncate(written);
                let stream_len = Some(read);
                return Ok(Inflated {
                    data: out,
                    stream_len,
                });
            }
            TINFLStatus::HasMoreOutput if out.len() >= limit => {
                out.truncate(written);
                return Ok(Inflated {
                    data: out,
                    stream_len: None,
                });
            }
            TINFLStatus::HasMoreOutput => {
                let grown = out.len().saturating_mul(2).min(limit);
                out.resize(grown, 0);
            }
            TINFLStatus::FailedCannotMakeProgress => {
                return Err("the body ends inside its deflate stream".into())
            }
            _ => return Err("corrupt deflate stream".into()),
        }
    }
}
