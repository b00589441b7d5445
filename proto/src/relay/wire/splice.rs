//! The Lambda resource attributes added on the wire: in each top-level entry of a checked
//! request, the `resource` (field 1) gets the added attributes whose keys it lacks, as
//! attribute fields appended to it; the entry's other fields and every other entry that
//! lacks nothing are copied as received.
//!
//! Appending works because of how protobuf merges: a singular message field seen twice
//! decodes as the merge of both, and repeated fields keep the order of the bytes. So the
//! new resource, written once as the concatenation of the entry's resource fields followed
//! by the added attributes, decodes exactly as a decode of the request followed by pushing
//! the missing attributes onto the resource's list.
//!
//! The enriched size is measured before anything is written, so that the copy is allocated
//! once at its final size, and refused past a bound: the added attributes weigh a few
//! hundred bytes per entry, and a body of empty entries (two bytes each) would otherwise
//! grow a hundredfold.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use prost::encoding::{encode_varint, encoded_len_varint};

use super::{fields, payloads, Value};

/// The key of field 1 as a length-delimited field: both an entry in a request and the
/// resource in an entry are field 1.
const FIELD_1: u8 = 1 << 3 | 2;

/// One attribute to add, encoded once: its key, and its bytes as field 1 of a `Resource`.
#[derive(Debug, Clone, PartialEq)]
pub struct Added {
    key: String,
    field: Vec<u8>,
}

impl Added {
    pub fn new(attribute: &KeyValue) -> Added {
        let mut field = Vec::new();
        prost::encoding::message::encode(1, attribute, &mut field);
        Added {
            key: attribute.key.clone(),
            field,
        }
    }
}

/// `request` with `added` spliced into each entry's resource; `Err(size)` when the result
/// would pass `max` bytes.
pub fn enrich(request: &[u8], added: &[Added], max: usize) -> Result<Vec<u8>, usize> {
    let mut missing = vec![false; added.len()];
    let mut size = 0usize;
    for field in fields(request).filter_map(Result::ok) {
        size += match (field.number, field.value) {
            (1, Value::Len(entry)) => match plan(entry, added, &mut missing) {
                Some(plan) => field_len(plan.entry_len),
                None => field.raw.len(),
            },
            _ => field.raw.len(),
        };
    }
    if size > max {
        return Err(size);
    }
    let mut out = Vec::with_capacity(size);
    for field in fields(request).filter_map(Result::ok) {
        match (field.number, field.value) {
            (1, Value::Len(entry)) => match plan(entry, added, &mut missing) {
                Some(plan) => write_entry(entry, &plan, added, &missing, &mut out),
                None => out.extend_from_slice(field.raw),
            },
            _ => out.extend_from_slice(field.raw),
        }
    }
    debug_assert_eq!(out.len(), size);
    Ok(out)
}

/// The sizes of an entry rewritten with its missing attributes.
struct Plan {
    resource_len: usize,
    entry_len: usize,
}

/// Marks in `missing` the attributes the entry's resource lacks; `None` when it lacks none
/// (the entry is then copied as received).
fn plan(entry: &[u8], added: &[Added], missing: &mut [bool]) -> Option<Plan> {
    missing.fill(true);
    let mut resource_bytes = 0;
    let mut resource_fields = 0;
    for field in fields(entry).filter_map(Result::ok) {
        let (1, Value::Len(resource)) = (field.number, field.value) else {
            continue;
        };
        resource_bytes += resource.len();
        resource_fields += field.raw.len();
        for attribute in payloads(resource, 1) {
            // A key written twice decodes as the last one.
            let key = payloads(attribute, 1).last().unwrap_or_default();
            for (missing, added) in missing.iter_mut().zip(added) {
                *missing &= added.key.as_bytes() != key;
            }
        }
    }
    // An attribute is not added twice: once the first is pushed, the key is there.
    for i in 0..added.len() {
        let earlier = added[..i].iter().zip(&missing[..i]);
        if earlier
            .filter(|(_, m)| **m)
            .any(|(a, _)| a.key == added[i].key)
        {
            missing[i] = false;
        }
    }
    if !missing.contains(&true) {
        return None;
    }
    let appended: usize = added
        .iter()
        .zip(&*missing)
        .filter(|(_, missing)| **missing)
        .map(|(added, _)| added.field.len())
        .sum();
    let resource_len = resource_bytes + appended;
    Some(Plan {
        resource_len,
        entry_len: entry.len() - resource_fields + field_len(resource_len),
    })
}

/// A length-delimited field 1 of `len` bytes, key and length included.
fn field_len(len: usize) -> usize {
    1 + encoded_len_varint(len as u64) + len
}

fn write_entry(entry: &[u8], plan: &Plan, added: &[Added], missing: &[bool], out: &mut Vec<u8>) {
    out.push(FIELD_1);
    encode_varint(plan.entry_len as u64, out);
    out.push(FIELD_1);
    encode_varint(plan.resource_len as u64, out);
    for resource in payloads(entry, 1) {
        out.extend_from_slice(resource);
    }
    for (added, _) in added.iter().zip(missing).filter(|(_, m)| **m) {
        out.extend_from_slice(&added.field);
    }
    for field in fields(entry).filter_map(Result::ok) {
        if field.number != 1 {
            out.extend_from_slice(field.raw);
        }
    }
}
