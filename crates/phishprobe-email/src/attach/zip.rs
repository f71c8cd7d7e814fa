//! ZIP member names, read from the central directory.

fn u16le(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]) as usize)
}
fn u32le(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]) as usize)
}

/// Member names of a ZIP file, from its central directory (at most `max`).
/// `None` when no valid central directory is found (corrupt, encrypted container, not a ZIP).
pub fn zip_names(data: &[u8], max: usize) -> Option<Vec<String>> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let search_from = data.len().saturating_sub(22 + 65_535);
    let tail = data.get(search_from..)?;
    let pos = memchr::memmem::rfind(tail, EOCD)? + search_from;
    let count = u16le(data, pos + 10)?;
    let cd_offset = u32le(data, pos + 16)?;
    let mut at = cd_offset;
    let mut names = Vec::new();
    for _ in 0..count.min(max) {
        if data.get(at..at + 4)? != b"PK\x01\x02" {
            break;
        }
        let n = u16le(data, at + 28)?;
        let x = u16le(data, at + 30)?;
        let c = u16le(data, at + 32)?;
        let name = data.get(at + 46..at + 46 + n)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at = at + 46 + n + x + c;
    }
    Some(names)
}
