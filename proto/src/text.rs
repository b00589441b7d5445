//! Equality of the short strings compared for every line: stream keys on lookup, a
//! record's `time` against the previous one's, JSON keys and literals.
//!
//! Why not `==`: on strings of unknown length it calls the C library's `bcmp`, and the one
//! the static layer binary links (the Zig toolchain's compiler_rt, `layer/build.sh`)
//! compares one byte at a time, several instructions per byte. On the benchmark's workload
//! that was 7% of all the extension's instructions (docs/cpu.md). This compares eight bytes
//! at a time, inlined, with the same result.

/// `a == b`, eight bytes at a time.
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// `a == b` for bytes, eight at a time.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a_words, mut b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut a_words).zip(&mut b_words) {
        // Whole words compare in one instruction, without a call.
        if word(x) != word(y) {
            return false;
        }
    }
    let (a_rest, b_rest) = (a_words.remainder(), b_words.remainder());
    (0..a_rest.len()).all(|i| a_rest[i] == b_rest[i])
}

fn word(bytes: &[u8]) -> u64 {
    u64::from_ne_bytes(bytes.try_into().expect("chunks of eight"))
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
