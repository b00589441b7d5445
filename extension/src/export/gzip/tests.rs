use std::io::{Read, Write};

use flate2::{Compression, GzBuilder};

use super::crc32::crc32;
use super::*;

/// Some metric-like bytes that compress well but not trivially.
fn body() -> Vec<u8> {
    (0..2_000u32)
        .flat_map(|i| format!("lambda.duration{{fn=f{}}} {}\n", i % 37, i * 7).into_bytes())
        .collect()
}

fn flate2_decode(packed: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(packed)
        .read_to_end(&mut out)
        .expect("flate2 decodes it");
    out
}

fn flate2_encode(builder: GzBuilder, data: &[u8], level: Compression) -> Vec<u8> {
    let mut encoder = builder.write(Vec::new(), level);
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

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

#[test]
fn our_bodies_are_plain_gzip_that_flate2_decodes() {
    for data in [body(), Vec::new(), b"x".to_vec()] {
        let packed = compress(&data);
        assert_eq!(packed[..10], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        let trailer = &packed[packed.len() - 8..];
        assert_eq!(trailer[..4], crc32(&data).to_le_bytes());
        assert_eq!(trailer[4..], (data.len() as u32).to_le_bytes());
        assert_eq!(flate2_decode(&packed), data);
        // The same deflate stream as flate2 made before it was dropped (its header differs
        // only in the extra-flags byte, which flate2 sets from the level).
        let theirs = flate2_encode(GzBuilder::new(), &data, Compression::fast());
        assert_eq!(packed[10..], theirs[10..]);
    }
    assert!(compress(&body()).len() < body().len() / 4);
}

#[test]
fn bodies_from_flate2_decode_whatever_their_header_carries() {
    let data = body();
    let builders = [
        GzBuilder::new(),
        GzBuilder::new()
            .filename("metrics.json")
            .mtime(1_700_000_000),
        GzBuilder::new().extra(vec![b'A', b'P', 2, 0, 7, 7]),
        GzBuilder::new()
            .extra(vec![1; 300])
            .filename("m")
            .comment("from an SDK")
            .operating_system(3),
    ];
    for builder in builders {
        let packed = flate2_encode(builder, &data, Compression::default());
        assert_eq!(decompress(&packed, 1 << 20).unwrap(), data);
    }
    let packed = flate2_encode(GzBuilder::new(), &data, Compression::default());
    assert_eq!(packed[3], 0, "a plain header: no flags");
}

#[test]
fn a_header_crc_is_checked() {
    let data = body();
    let plain = flate2_encode(
        GzBuilder::new().filename("a.json"),
        &data,
        Compression::best(),
    );
    let header_len = 10 + b"a.json\0".len();
    // Set FHCRC and insert the low half of the header's CRC, as flate2 computes it.
    let mut header = plain[..header_len].to_vec();
    header[3] |= 0b10;
    let mut crc = flate2::Crc::new();
    crc.update(&header);
    let mut with_crc = header;
    with_crc.extend_from_slice(&(crc.sum() as u16).to_le_bytes());
    with_crc.extend_from_slice(&plain[header_len..]);
    assert_eq!(decompress(&with_crc, 1 << 20).unwrap(), data);
    assert_eq!(flate2_decode(&with_crc), data);

    with_crc[header_len] ^= 1;
    let error = decompress(&with_crc, 1 << 20).unwrap_err();
    assert!(error.contains("header CRC"), "{error}");
}

/// Made with Python 3.11.7:
/// `gzip.compress(b'{"resourceMetrics":[]} from Python ' * 3, mtime=0)`, and the same bytes
/// written through `gzip.GzipFile(filename='body.json', mode='wb', fileobj=buf, mtime=0)`.
#[test]
fn bodies_from_python_gzip_decode() {
    const DEFLATED: [u8; 40] = [
        0xab, 0x56, 0x2a, 0x4a, 0x2d, 0xce, 0x2f, 0x2d, 0x4a, 0x4e, 0xf5, 0x4d, 0x2d, 0x29, 0xca,
        0x4c, 0x2e, 0x56, 0xb2, 0x8a, 0x8e, 0xad, 0x55, 0x48, 0x2b, 0xca, 0xcf, 0x55, 0x08, 0xa8,
        0x2c, 0xc9, 0xc8, 0xcf, 0x53, 0xa8, 0xa6, 0x8a, 0x12, 0x00,
    ];
    const TRAILER: [u8; 8] = [0x79, 0xb5, 0xf9, 0xbd, 0x69, 0x00, 0x00, 0x00];
    let compressed = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0x03];
    let named = *b"\x1f\x8b\x08\x08\0\0\0\0\x02\xffbody.json\0";
    let expected = br#"{"resourceMetrics":[]} from Python "#.repeat(3);
    for header in [&compressed[..], &named[..]] {
        let packed = [header, &DEFLATED, &TRAILER].concat();
        assert_eq!(decompress(&packed, 1 << 20).unwrap(), expected);
    }
}

#[test]
fn crc32_is_the_ieee_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
    let data = body();
    let mut reference = flate2::Crc::new();
    reference.update(&data);
    assert_eq!(crc32(&data), reference.sum());
}

#[test]
fn a_corrupt_or_cut_body_is_an_error() {
    let packed = compress(&body());
    let errors = |packed: &[u8]| decompress(packed, 1 << 20).unwrap_err();

    let mut flipped = packed.clone();
    flipped[packed.len() / 2] ^= 0x10;
    // A flip in the deflate stream breaks its codes or, failing that, the CRC.
    assert!(errors(&flipped).starts_with("undecodable gzip: "));

    let mut wrong_crc = packed.clone();
    let at = packed.len() - 8;
    wrong_crc[at] ^= 1;
    assert!(errors(&wrong_crc).contains("CRC mismatch"));

    let mut wrong_size = packed.clone();
    wrong_size[packed.len() - 1] ^= 1;
    assert!(errors(&wrong_size).contains("length mismatch"));

    assert!(errors(&packed[..packed.len() - 3]).contains("CRC and length"));
    assert!(errors(&packed[..packed.len() / 2]).contains("deflate stream"));
    assert!(errors(&packed[..5]).contains("header"));
    assert!(errors(b"").contains("header"));
}

#[test]
fn headers_that_are_not_gzip_deflate_are_refused() {
    let packed = compress(b"abc");
    let with = |at: usize, value: u8| {
        let mut changed = packed.clone();
        changed[at] = value;
        decompress(&changed, 100).unwrap_err()
    };
    assert!(with(1, 0x8c).contains("magic"));
    assert!(with(2, 7).contains("not deflate"));
    assert!(with(3, 0x20).contains("reserved"));
    let unended_name = [0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 0xff, b'a', b'b'];
    assert!(decompress(&unended_name, 100)
        .unwrap_err()
        .contains("file name"));
}

#[test]
fn the_limit_truncates_and_leaves_the_rest_unread() {
    let data = body();
    let packed = compress(&data);
    for limit in [0, 1, 1000, data.len() - 1] {
        assert_eq!(decompress(&packed, limit).unwrap(), data[..limit]);
    }
    assert_eq!(decompress(&packed, data.len()).unwrap(), data);
    assert_eq!(decompress(&packed, data.len() + 1).unwrap(), data);

    // As the callers use it: a small body that inflates past the limit comes back at the
    // limit, however large it would grow, and its trailer is never reached.
    let zeros = 16 << 20;
    let bomb = compress(&vec![0; zeros]);
    assert!(bomb.len() * 100 < zeros);
    let mut cut = bomb.clone();
    cut.truncate(bomb.len() - 8);
    assert_eq!(decompress(&cut, 4097).unwrap().len(), 4097);
}

#[test]
fn only_the_first_member_is_read() {
    let two = [compress(b"first"), compress(b"second")].concat();
    assert_eq!(decompress(&two, 100).unwrap(), b"first");
}
