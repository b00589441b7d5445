//! The one-pass batch reader: reads a Telemetry API body in place, so that the records of
//! a batch cost no allocation once the reader has warmed up.
//!
//! Nearly every element of a busy batch is a `function` record in Lambda's plain envelope
//! (`time`, `type`, `record`, nothing else); the reader takes those itself, decoding any
//! escapes of a text record into one buffer kept from batch to batch. The envelope of any
//! other event (platform events, unusual envelopes) serde_json reads where it stands, which
//! also delimits it, and decodes its record as the event is taken; anything else the
//! reader only delimits, for serde_json to decode. Should it meet anything it does not
//! fully understand, it gives up on the body and serde_json reads it all: so the outcome of
//! every element is always serde_json's (the tests of this module compare both on
//! generated batches).

use std::ops::Range;

use serde_json::value::RawValue;

use super::escape::{decode_string, Decoded};
use super::{parse_event, parse_rfc3339, BatchError, Decoder, Envelope, EventRef, RecordRef, Skip};
use crate::lines::readers::plain::{plain_length, Plain};
use crate::text::{same_bytes, starts_with};

/// What the reader's buffers keep between batches: a whole batch at Lambda's buffering
/// limits (1000 records, 256 KiB). A larger batch's buffers are given back at the next
/// read, so one outsized batch does not hold its memory for the rest of the environment.
const KEEP_DECODED_BYTES: usize = 256 * 1024;
const KEEP_ELEMENTS: usize = 1024;

/// Reads batches; keep one to reuse its buffers.
#[derive(Debug, Default)]
pub struct BatchReader {
    /// The values of text records that held escapes, one after another (UTF-8, checked
    /// once per batch: see `escape.rs`).
    decoded: Decoded,
    elements: Vec<Element>,
    last_time: LastTime,
}

/// The last `time` read and its value: the lines of one burst of output share their
/// millisecond, so most records' `time` is the previous record's, compared in a few
/// instructions instead of parsed again.
#[derive(Debug, Default)]
struct LastTime {
    text: [u8; 32],
    len: usize,
    unix_nano: u64,
}

impl LastTime {
    fn parse(&mut self, text: &str) -> Option<u64> {
        // `len` 0 matches no text: an RFC 3339 time is never empty.
        if same_bytes(text.as_bytes(), &self.text[..self.len]) {
            return Some(self.unix_nano);
        }
        let unix_nano = parse_rfc3339(text)?;
        if let Some(slot) = self.text.get_mut(..text.len()) {
            slot.copy_from_slice(text.as_bytes());
            (self.len, self.unix_nano) = (text.len(), unix_nano);
        }
        Some(unix_nano)
    }
}

#[derive(Debug)]
enum Element {
    /// A `function` or `extension` record in the plain envelope, read in place.
    Log {
        time_unix_nano: u64,
        function: bool,
        record: Place,
    },
    /// Any other element in a well-formed envelope (platform events): its envelope read,
    /// its record's JSON text in the body for serde_json to decode.
    Event(Result<(u64, Decoder, Range<usize>), Skip>),
    /// Anything else: where its JSON text is in the body, for serde_json to decode.
    Other(Range<usize>),
}

/// Where a record's value is.
#[derive(Debug)]
enum Place {
    /// A text record without escapes: its text in the body.
    Text(Range<usize>),
    /// A text record with escapes: its value in the reader's buffer.
    Decoded(Range<usize>),
    /// A JSON record: its text in the body.
    Json(Range<usize>),
}

impl BatchReader {
    /// Reads a POST body; the events borrow from it and from the reader.
    pub fn read<'s>(&'s mut self, body: &'s [u8]) -> Result<Events<'s>, BatchError> {
        self.decoded.clear(KEEP_DECODED_BYTES);
        self.elements.clear();
        self.elements.shrink_to(KEEP_ELEMENTS);
        // serde_json refuses a body that is not UTF-8 too (its strings must be).
        let text = std::str::from_utf8(body).map_err(|_| BatchError::NotAnArray)?;
        if self.read_in_place(text).is_none() {
            self.decoded.clear(KEEP_DECODED_BYTES);
            self.elements.clear();
            self.read_general(text)?;
        }
        // One check of the whole buffer: a few times cheaper per byte than one per record.
        // It always passes (`escape.rs`); were it ever to fail, the records that needed it
        // would count as malformed rather than be lost unseen.
        let decoded = std::str::from_utf8(self.decoded.bytes()).unwrap_or_default();
        Ok(Events {
            body: text,
            decoded,
            elements: self.elements.iter(),
        })
    }

    /// How many log records of `text` the reader takes in place; `None` if it gives up.
    #[cfg(test)]
    pub(super) fn logs_read_in_place(&mut self, text: &str) -> Option<usize> {
        self.read_in_place(text)?;
        let logs = self.elements.iter();
        Some(logs.filter(|e| matches!(e, Element::Log { .. })).count())
    }

    fn read_in_place(&mut self, text: &str) -> Option<()> {
        let mut json = Plain::new(text);
        json.array(|json| {
            let element = self.element(json)?;
            self.elements.push(element);
            Some(())
        })?;
        json.at_end().then_some(())
    }

    /// serde_json's reading of the whole body: the judge, and the way out when the reader
    /// gives up.
    fn read_general(&mut self, text: &str) -> Result<(), BatchError> {
        let elements: Vec<&RawValue> =
            serde_json::from_str(text).map_err(|_| BatchError::NotAnArray)?;
        for element in elements {
            self.elements.push(Element::Other(place_in(text, element)));
        }
        Ok(())
    }

    fn element(&mut self, json: &mut Plain<'_>) -> Option<Element> {
        if let Some(log) = self.attempt(json, Self::function_log) {
            return Some(log);
        }
        if let Some(log) = self.attempt(json, Self::log) {
            return Some(log);
        }
        if let Some(event) = event(json) {
            return Some(event);
        }
        let start = json.position();
        let length = value_length(json)?;
        Some(Element::Other(start..start + length))
    }

    /// Reads with `read` from the cursor; moves the cursor on if it reads an element, else
    /// leaves the cursor and the decoded buffer as they were.
    #[inline]
    fn attempt(
        &mut self,
        json: &mut Plain<'_>,
        read: impl FnOnce(&mut Self, &mut Plain<'_>) -> Option<Element>,
    ) -> Option<Element> {
        let (mut attempt, decoded) = (json.clone(), self.decoded.len());
        let element = read(self, &mut attempt);
        match element {
            Some(_) => *json = attempt,
            None => self.decoded.truncate(decoded),
        }
        element
    }

    /// A `function` record exactly as Lambda writes its envelope, members in its order and
    /// no whitespace: read with two comparisons, where [`Self::log`] reads three keys and
    /// two strings. `None` for anything else, which [`Self::log`] then reads.
    fn function_log(&mut self, json: &mut Plain<'_>) -> Option<Element> {
        const TIME: &str = r#"{"time":""#;
        const TYPE: &str = r#"","type":"function","record":"#;
        let start = json.position();
        let rest = json.text().get(start..)?;
        if !starts_with(rest, TIME) {
            return None;
        }
        let time_length = plain_length(&rest.as_bytes()[TIME.len()..])?;
        // `plain_length` stops at an ASCII byte: both ends are character boundaries.
        let time = &rest[TIME.len()..TIME.len() + time_length];
        if !starts_with(&rest[TIME.len() + time_length..], TYPE) {
            return None;
        }
        json.advance(TIME.len() + time_length + TYPE.len());
        let record = self.record(json)?;
        let end = json.position();
        (json.text().as_bytes().get(end) == Some(&b'}')).then_some(())?;
        json.advance(1);
        Some(Element::Log {
            time_unix_nano: self.last_time.parse(time)?,
            function: true,
            record,
        })
    }

    /// A log record in the plain envelope; `None` for any other element.
    fn log(&mut self, json: &mut Plain<'_>) -> Option<Element> {
        let (mut time, mut function, mut record) = (None, None, None);
        json.object(|key, json| {
            match key {
                "time" if time.is_none() => time = Some(json.string()?),
                "type" if function.is_none() => {
                    function = Some(match json.string()? {
                        "function" => true,
                        "extension" => false,
                        // Platform events: serde_json decodes their typed records.
                        _ => return None,
                    })
                }
                "record" if record.is_none() => record = Some(self.record(json)?),
                // A repeated or unknown member: serde_json has the rules for those.
                _ => return None,
            }
            Some(())
        })?;
        Some(Element::Log {
            time_unix_nano: self.last_time.parse(time?)?,
            function: function?,
            record: record?,
        })
    }

    /// A log record's value: a string (text log format) or an object (JSON log format).
    fn record(&mut self, json: &mut Plain<'_>) -> Option<Place> {
        let start = json.position();
        let rest = &json.text()[start..];
        match rest.as_bytes().first()? {
            b'"' => {
                let length = plain_length(&rest.as_bytes()[1..])?;
                if rest.as_bytes()[1 + length] == b'"' {
                    json.advance(length + 2);
                    return Some(Place::Text(start + 1..start + 1 + length));
                }
                let from = self.decoded.len();
                let taken = decode_string(rest, &mut self.decoded)?;
                json.advance(taken);
                Some(Place::Decoded(from..self.decoded.len()))
            }
            b'{' => {
                let length = value_length(json)?;
                Some(Place::Json(start..start + length))
            }
            _ => None,
        }
    }
}

/// An element in a well-formed envelope of another type than a log record's: a platform
/// event, mostly. serde_json reads the envelope here, once, and where it ends is where the
/// element ends: walking the element first to find its end cost ~4,000 instructions per
/// platform event, a tenth of an idle invoke's under `adaptive`. `None` for anything else,
/// delimited then by [`value_length`]: not an object, or not an envelope serde_json reads
/// (a repeated member, say).
fn event(json: &mut Plain<'_>) -> Option<Element> {
    let start = json.position();
    let text = json.text();
    // serde would also read a struct from an array; events are objects only.
    if text.as_bytes().get(start) != Some(&b'{') {
        return None;
    }
    let mut envelopes = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Envelope>();
    let envelope = envelopes.next()?.ok()?;
    let length = envelopes.byte_offset();
    json.advance(length);
    let read = envelope
        .read()
        .map(|(time_unix_nano, decode, record)| (time_unix_nano, decode, place_in(text, record)));
    Some(Element::Event(read))
}

/// Where a `RawValue` borrowed from `text` is in it (a borrowed `RawValue` is a slice of
/// the text it was read from).
fn place_in(text: &str, value: &RawValue) -> Range<usize> {
    let start = value.get().as_ptr() as usize - text.as_ptr() as usize;
    start..start + value.get().len()
}

/// Reads past the value at the cursor, returning its length: in place when it is plain
/// JSON, else with serde_json (escapes, deep nesting), which also checks it.
fn value_length(json: &mut Plain<'_>) -> Option<usize> {
    let start = json.position();
    if let Some(value) = json.clone().value() {
        json.advance(value.len());
        return Some(value.len());
    }
    let mut values = serde_json::Deserializer::from_str(&json.text()[start..])
        .into_iter::<serde::de::IgnoredAny>();
    values.next()?.ok()?;
    let length = values.byte_offset();
    json.advance(length);
    Some(length)
}

/// The events of a batch in order, each an event or why its element was skipped.
pub struct Events<'s> {
    body: &'s str,
    decoded: &'s str,
    elements: std::slice::Iter<'s, Element>,
}

impl<'s> Iterator for Events<'s> {
    type Item = Result<EventRef<'s>, Skip>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(match self.elements.next()? {
            Element::Log {
                time_unix_nano,
                function,
                record,
            } => Ok(EventRef::Log {
                time_unix_nano: *time_unix_nano,
                function: *function,
                record: match record {
                    Place::Text(at) => RecordRef::Text(&self.body[at.clone()]),
                    Place::Decoded(at) => match self.decoded.get(at.clone()) {
                        Some(text) => RecordRef::Text(text),
                        None => return Some(Err(Skip::Malformed)),
                    },
                    Place::Json(at) => RecordRef::Json(&self.body[at.clone()]),
                },
            }),
            Element::Event(read) => read
                .clone()
                .and_then(|(time_unix_nano, decode, record)| {
                    decode.event(time_unix_nano, &self.body[record])
                })
                .map(|event| EventRef::Decoded(Box::new(event))),
            Element::Other(at) => {
                parse_event(&self.body[at.clone()]).map(|event| EventRef::Decoded(Box::new(event)))
            }
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.elements.size_hint()
    }
}

impl ExactSizeIterator for Events<'_> {}

#[cfg(test)]
mod buffer_tests {
    use super::*;

    #[test]
    fn platform_events_are_delimited_by_reading_their_envelope() {
        let body = concat!(
            r#"[{"time":"2026-01-01T00:00:00Z","type":"platform.start","record":{"requestId":"a"}},"#,
            r#" {"time":"2026-01-01T00:00:00Z","type":"platform.future","record":{}},"#,
            r#" {"type":"platform.start","type":"platform.start"}, 42]"#,
        );
        let mut reader = BatchReader::default();
        reader.read_in_place(body).expect("read in place");
        assert!(
            matches!(
                reader.elements[..],
                [
                    Element::Event(Ok(_)),
                    Element::Event(Err(Skip::UnknownType)),
                    Element::Other(_),
                    Element::Other(_),
                ]
            ),
            "{:?}",
            reader.elements
        );
    }

    #[test]
    fn a_repeated_time_gives_the_value_of_its_own_text() {
        let mut last = LastTime::default();
        for text in [
            "2026-11-26T10:00:00.001Z",
            "2026-11-26T10:00:00.001Z",
            "2026-11-26T10:00:00.002Z",
            "2026-11-26T10:00:00.001Z",
            "2026-11-26T10:00:00.001+01:00",
            "2026-11-26T10:00:00.123456789123456789123456789Z",
            "not a time",
            "2026-11-26T10:00:00.123456789123456789123456789Z",
        ] {
            assert_eq!(last.parse(text), parse_rfc3339(text), "{text}");
        }
    }

    fn batch(records: usize) -> String {
        let record =
            r#"{"time":"2026-11-26T10:00:00.001Z","type":"function","record":"say \"hi\""}"#;
        format!("[{}]", vec![record; records].join(","))
    }

    /// Lambda's own envelope takes the two-comparison path; any other shape of the same
    /// record is left to the member-by-member reader, which reads it the same.
    #[test]
    fn only_lambdas_envelope_takes_the_short_path() {
        let lambda =
            r#"{"time":"2026-11-26T10:00:00.001Z","type":"function","record":"say \"hi\""}"#;
        let others = [
            r#"{"type":"function","time":"2026-11-26T10:00:00.001Z","record":"say \"hi\""}"#,
            r#"{"time": "2026-11-26T10:00:00.001Z","type":"function","record":"say \"hi\""}"#,
            r#"{"time":"2026-11-26T10:00:00.001Z","type":"function","record":"say \"hi\"","x":1}"#,
            r#"{"time":"2026-11-26T10:00:00.001Z","type":"extension","record":"say \"hi\""}"#,
        ];
        let mut reader = BatchReader::default();
        let short = reader.function_log(&mut Plain::new(lambda));
        assert!(matches!(short, Some(Element::Log { function: true, .. })));
        for other in others {
            assert!(
                reader.function_log(&mut Plain::new(other)).is_none(),
                "{other}"
            );
        }
        let read = |text: &str| {
            let batch = format!("[{text}]");
            let mut reader = BatchReader::default();
            let events: Vec<String> = reader
                .read(batch.as_bytes())
                .unwrap()
                .map(|e| format!("{e:?}"))
                .collect();
            events
        };
        assert_eq!(read(lambda), read(others[0]));
        assert_eq!(read(lambda), read(others[1]));
    }

    #[test]
    fn an_outsized_batch_gives_its_buffers_back_at_the_next_read() {
        let mut reader = BatchReader::default();
        let big = batch(20_000);
        assert_eq!(reader.read(big.as_bytes()).unwrap().count(), 20_000);
        assert!(reader.elements.capacity() > KEEP_ELEMENTS);
        let small = batch(3);
        assert_eq!(reader.read(small.as_bytes()).unwrap().count(), 3);
        assert!(reader.elements.capacity() <= KEEP_ELEMENTS);
        assert!(reader.decoded.room() <= KEEP_DECODED_BYTES);
    }
}
