//! Zone-file differences: a newly registered domain is a name with NS records in today's zone
//! that had none in yesterday's. Master files (RFC 1035 §5) as registries publish them, plain
//! or gzip-compressed.

use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;

use super::lines::{BoundedLine, read_bounded};

/// A zone line longer than this is not an NS record: skipped.
const MAX_ZONE_LINE: usize = 64 * 1024;

/// A reader over a master file, unpacking gzip when the data starts with its magic bytes.
pub fn open_master(mut raw: impl Read + Send + 'static) -> io::Result<Box<dyn BufRead + Send>> {
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        let n = raw.read(&mut magic[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let head = io::Cursor::new(magic[..got].to_vec());
    let whole = head.chain(raw);
    if got == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(BufReader::new(MultiGzDecoder::new(whole))))
    } else {
        Ok(Box::new(BufReader::new(whole)))
    }
}

/// Reads owner names of NS records from a master file, following `$ORIGIN`, `@`, relative
/// names, blank owners (the previous owner again) and parenthesised multi-line records.
pub struct NsOwners<R> {
    reader: R,
    origin: String,
    previous_owner: Option<String>,
    open_parens: usize,
    line_number: u64,
}

/// One step of [`NsOwners`].
#[derive(Debug, PartialEq, Eq)]
pub enum ZoneItem {
    /// The owner of an NS record (absolute, without the trailing dot, lower case).
    Owner(String),
    /// A line that could not be read as a record.
    Bad {
        /// 1-based line number.
        line: u64,
        /// What was wrong.
        error: String,
    },
}

impl<R: BufRead> NsOwners<R> {
    /// Owners of the NS records in `reader`.
    pub fn new(reader: R) -> NsOwners<R> {
        NsOwners {
            reader,
            origin: String::new(),
            previous_owner: None,
            open_parens: 0,
            line_number: 0,
        }
    }

    fn absolute(&self, name: &str) -> String {
        let name = name.to_ascii_lowercase();
        if name == "@" {
            return self.origin.clone();
        }
        match name.strip_suffix('.') {
            Some(abs) => abs.to_string(),
            None if self.origin.is_empty() => name,
            None => format!("{name}.{}", self.origin),
        }
    }

    /// The NS owner on this line, if it holds the start of an NS record.
    fn read_line(&mut self, line: &str) -> Result<Option<String>, String> {
        let text = line.split(';').next().unwrap_or("");
        let continuing = self.open_parens > 0;
        for c in text.chars() {
            match c {
                '(' => self.open_parens += 1,
                ')' => self.open_parens = self.open_parens.saturating_sub(1),
                _ => {}
            }
        }
        if continuing || text.trim().is_empty() {
            return Ok(None);
        }
        let mut fields = text.split_whitespace();
        let first = fields.next().unwrap_or("");
        if first.eq_ignore_ascii_case("$ORIGIN") {
            let origin = fields.next().ok_or("$ORIGIN without a name")?;
            self.origin = self.absolute(origin);
            return Ok(None);
        }
        if first.starts_with('$') {
            return Ok(None); // $TTL, $INCLUDE (not followed: a zone names no other files here)
        }
        let owner = if text.starts_with([' ', '\t']) {
            self.previous_owner
                .clone()
                .ok_or("a record without an owner before it")?
        } else {
            self.absolute(first)
        };
        self.previous_owner = Some(owner.clone());
        let rest: Vec<&str> = if text.starts_with([' ', '\t']) {
            text.split_whitespace().collect()
        } else {
            fields.collect()
        };
        // Up to two of TTL and class come before the type, in either order.
        let record_type = rest
            .iter()
            .take(3)
            .find(|f| !f.bytes().all(|b| b.is_ascii_digit()) && !is_class(f))
            .ok_or("no record type")?;
        Ok(record_type.eq_ignore_ascii_case("NS").then_some(owner))
    }
}

fn is_class(field: &str) -> bool {
    ["IN", "CH", "HS", "CS"]
        .iter()
        .any(|c| field.eq_ignore_ascii_case(c))
}

impl<R: BufRead> Iterator for NsOwners<R> {
    type Item = io::Result<ZoneItem>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = match read_bounded(&mut self.reader, MAX_ZONE_LINE) {
                Ok(Some(line)) => line,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            self.line_number += 1;
            let line_number = self.line_number;
            let text = match line {
                BoundedLine::Line(text) => text,
                BoundedLine::TooLong { length, .. } => {
                    return Some(Ok(ZoneItem::Bad {
                        line: line_number,
                        error: format!("a line of {length} bytes"),
                    }));
                }
            };
            match self.read_line(&text) {
                Ok(Some(owner)) => return Some(Ok(ZoneItem::Owner(owner))),
                Ok(None) => continue,
                Err(error) => {
                    return Some(Ok(ZoneItem::Bad {
                        line: line_number,
                        error: error.to_string(),
                    }));
                }
            }
        }
    }
}

/// Every NS owner in a zone (the "yesterday" side of a difference). Memory grows with the
/// zone: about 60 bytes per delegated name.
pub fn owner_set(reader: impl BufRead) -> io::Result<HashSet<String>> {
    let mut set = HashSet::new();
    for item in NsOwners::new(reader) {
        if let ZoneItem::Owner(owner) = item? {
            set.insert(owner);
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const OLD: &str = "$ORIGIN top.\n$TTL 3600\n@ IN SOA a. b. (1 2 3\n 4 5)\n\
        old-shop IN NS ns1.host.net.\n         IN NS ns2.host.net.\nold-shop IN A 192.0.2.1\n";
    const NEW: &str = "$ORIGIN top.\n$TTL 3600\n@ IN SOA a. b. (1 2 3\n 4 5 ) ; serial\n\
        old-shop IN NS ns1.host.net.\namazon-verify 3600 IN NS ns1.evil.net.\n\
        \t3600 IN NS ns2.evil.net.\nAbsolute.Example.top. NS ns.x.\nplain-a IN A 192.0.2.9\n\
        garbage-line\n";

    fn owners(text: &str) -> Vec<ZoneItem> {
        NsOwners::new(text.as_bytes()).map(|i| i.unwrap()).collect()
    }

    #[test]
    fn ns_owners_follow_origin_blank_owners_and_parentheses() {
        let items = owners(NEW);
        let names: Vec<&str> = items
            .iter()
            .filter_map(|i| match i {
                ZoneItem::Owner(o) => Some(o.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            names,
            [
                "old-shop.top",
                "amazon-verify.top",
                "amazon-verify.top",
                "absolute.example.top"
            ]
        );
        assert!(
            items
                .iter()
                .any(|i| matches!(i, ZoneItem::Bad { line: 10, .. }))
        );
    }

    #[test]
    fn gzip_and_plain_read_alike() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(OLD.as_bytes()).unwrap();
        let packed = gz.finish().unwrap();
        let from_gz = owner_set(open_master(io::Cursor::new(packed)).unwrap()).unwrap();
        let from_plain =
            owner_set(open_master(io::Cursor::new(OLD.as_bytes().to_vec())).unwrap()).unwrap();
        assert_eq!(from_gz, from_plain);
        assert_eq!(from_gz.len(), 1);
        assert!(from_gz.contains("old-shop.top"));
    }
}
