//! Equality of the short strings compared for every line: stream keys on lookup, a
//! record's `time` against the previous one's, JSON keys and literals.
//!
//! Why not `==`: on strings of unknown length it calls the C library's `bcmp`, and the one
//! the static layer binary links (the Zig toolchain's compiler_rt, `layer/build.sh`)
//! compares one byte at a time, several instructions per byte. On the benchmark's workload
//! that was 7% of all the extension's instructions (docs/cpu-rounds.md). This compares eight bytes
//! at a time, inlined, with the same result.

/// `a == b`, eight bytes at a time.
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// `a == b` for bytes, eight at a time.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        // The last word overlaps the words before it rather than leaving a tail to compare
        // byte by byte; shorter strings are two overlapping halves (or one byte).
        8.. => {
            let whole = a.chunks_exact(8).zip(b.chunks_exact(8));
            whole.into_iter().all(|(x, y)| word(x) == word(y))
                && word(&a[n - 8..]) == word(&b[n - 8..])
        }
        4..8 => half(&a[..4]) == half(&b[..4]) && half(&a[n - 4..]) == half(&b[n - 4..]),
        2..4 => {
            quarter(&a[..2]) == quarter(&b[..2]) && quarter(&a[n - 2..]) == quarter(&b[n - 2..])
        }
        1 => a[0] == b[0],
        _ => true,
    }
}

fn word(bytes: &[u8]) -> u64 {
    u64::from_ne_bytes(bytes.try_into().expect("slices of eight"))
}

fn half(bytes: &[u8]) -> u32 {
    u32::from_ne_bytes(bytes.try_into().expect("slices of four"))
}

fn quarter(bytes: &[u8]) -> u16 {
    u16::from_ne_bytes(bytes.try_into().expect("slices of two"))
}

/// `text.starts_with(prefix)`, eight bytes at a time.
#[inline]
pub(crate) fn starts_with(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| same_bytes(head, prefix.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_like_eq_at_every_length_and_position() {
        for len in 0..40 {
            let text: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            assert!(same(&text, &text.clone()));
            for at in 0..len {
                let mut other = text.clone().into_bytes();
                other[at] ^= 0x80;
                assert!(!same_bytes(text.as_bytes(), &other), "{len} {at}");
            }
            assert!(!same(&text, &format!("{text}x")));
            assert!(starts_with(&format!("{text}tail"), &text));
            assert!(!starts_with(&text, &format!("{text}x")));
        }
        assert!(same("é", "é"));
        assert!(!same("é", "è"));
    }
}
