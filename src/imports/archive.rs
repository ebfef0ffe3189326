//! What an XLSX archive may hold before the spreadsheet reader is given it. The reader lays out
//! what it is given in memory; a small file can unpack to gigabytes (a zip bomb), carry one
//! stretch of XML as long as the file, or announce more shared strings than any sheet holds.
//! Each part is streamed here first and refused with what to do about it.

use std::io::Cursor;

use super::read::{MAX_CELLS, file_error, too_large};
use crate::error::AppResult;
use crate::msg;

/// Largest sum of an XLSX archive's unpacked parts: a small file that unpacks to gigabytes is
/// a zip bomb, not a list.
const MAX_UNPACKED: u128 = 200 * 1024 * 1024;
/// Longest stretch of an XLSX part between two of its tags: a cell's text, or one tag with its
/// attributes. A spreadsheet cell holds at most 32,767 characters, which this fits written
/// out in XML; the reader holds such a stretch whole in memory.
pub const MAX_XML_RUN: usize = 256 * 1024;

/// Longest stretch between two tags of a workbook's styles (a tag with its attributes, a
/// format code).
pub const MAX_STYLE_RUN: usize = 4 * 1024;

/// Most bytes of one cell's text as written in XML (all of its rich-text runs together): a cell
/// holds at most 32,767 characters.
pub const MAX_CELL_XML: u64 = 1024 * 1024;

/// Refuses an archive that would not be read safely.
pub(super) fn check(bytes: &[u8]) -> AppResult<()> {
    // The sizes the archive's directory declares (a part that unpacks past its declared size
    // fails to read).
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| file_error(msg!("import-not-spreadsheet")))?;
    let mut unpacked: u128 = 0;
    for i in 0..archive.len() {
        let part = archive
            .by_index_raw(i)
            .map_err(|_| file_error(msg!("import-not-spreadsheet")))?;
        unpacked += u128::from(part.size());
    }
    if unpacked > MAX_UNPACKED {
        return Err(file_error(msg!("import-zip-bomb")));
    }
    // The reader reserves room for the shared strings the file announces: checked first.
    // Every part, whatever its name: the reader finds parts by names in any letter case and
    // relative to folders the archive itself names. Pictures are compressed data, in which a
    // `<` byte comes every few hundred bytes, so they pass.
    let mut strings = 0u64;
    for i in 0..archive.len() {
        let part = archive
            .by_index(i)
            .map_err(|_| file_error(msg!("import-not-spreadsheet")))?;
        // The reader copies a style's number format and font into every cell format that
        // names it: in the styles part nothing is long (Excel's own limits are 255 characters
        // for a format, 31 for a font name).
        let styles = part
            .name()
            .is_ok_and(|n| n.to_lowercase().ends_with("styles.xml"));
        strings += scan_part(part, if styles { MAX_STYLE_RUN } else { MAX_XML_RUN })?;
        if strings > MAX_CELLS {
            return Err(too_large());
        }
    }
    shared_strings_count(&mut archive)?;
    Ok(())
}

/// Streams one part of the archive (its unpacked bytes, never held whole) and refuses it
/// before the reader builds anything from it: a stretch between two tags longer than
/// [`MAX_XML_RUN`], or one cell or shared string (`c`, `si`, `is`, with every rich-text run in
/// it) longer than [`MAX_CELL_XML`]. Returns the shared strings (`si`) it holds: the reader
/// keeps every one, even empty ones, so their number is bounded across the archive.
fn scan_part(mut part: impl std::io::Read, max_run: usize) -> AppResult<u64> {
    let too_long = || file_error(msg!("import-cell-too-long", bytes = max_run.div_ceil(1024)));
    let mut buf = vec![0u8; 64 * 1024];
    let mut run = 0usize;
    // The local name of the tag being read (its namespace prefix dropped), whether one is being
    // read, whether it closes an element, and the byte before the current one (`/>` closes an
    // empty element).
    let mut name: Vec<u8> = Vec::with_capacity(8);
    let (mut naming, mut closing, mut in_tag) = (false, false, false);
    let mut prev = 0u8;
    // How deep in cells and shared strings (`c`, `si`, `is`) the reader is, and the bytes since
    // the outermost one opened: nested and empty ones neither reset nor end the count.
    let mut depth = 0u32;
    let mut cell = 0u64;
    // Whether the tag being read opened a cellular element (undone if it closes itself).
    let mut opened = false;
    let mut strings = 0u64;
    loop {
        let n = part
            .read(&mut buf)
            .map_err(|_| file_error(msg!("import-not-spreadsheet")))?;
        if n == 0 {
            return Ok(strings);
        }
        for &b in &buf[..n] {
            if depth > 0 {
                cell += 1;
                if cell > MAX_CELL_XML {
                    return Err(too_long());
                }
            }
            let before = std::mem::replace(&mut prev, b);
            if b == b'<' {
                run = 0;
                name.clear();
                (naming, closing, in_tag, opened) = (true, false, true, false);
                continue;
            }
            run += 1;
            if run > max_run {
                return Err(too_long());
            }
            if in_tag && b == b'>' {
                in_tag = false;
                if opened && before == b'/' {
                    depth -= 1;
                }
            }
            if !naming {
                continue;
            }
            match b {
                b'/' if name.is_empty() && !closing => closing = true,
                b':' => name.clear(),
                b if b.is_ascii_whitespace() || b == b'>' || b == b'/' => {
                    naming = false;
                    if matches!(name.as_slice(), b"c" | b"si" | b"is") {
                        if closing {
                            depth = depth.saturating_sub(1);
                        } else {
                            if depth == 0 {
                                cell = 0;
                            }
                            depth += 1;
                            opened = true;
                            if name == b"si" {
                                strings += 1;
                            }
                        }
                    }
                    // `<c/>`: the name ends at the `/` of an empty element.
                    if b == b'/' && opened {
                        depth -= 1;
                        opened = false;
                    }
                }
                // Longer names are none of the few looked for; the rest is still read.
                b if name.len() < 8 => name.push(b),
                _ => {}
            }
        }
    }
}

/// Refuses a shared-strings part that announces more strings than a sheet may hold cells
/// (the reader reserves memory for them all before reading one).
fn shared_strings_count(archive: &mut zip::ZipArchive<Cursor<&[u8]>>) -> AppResult<()> {
    // The reader finds the part in the workbook's folder, in any letter case: every part so
    // named is checked.
    let parts: Vec<usize> = (0..archive.len())
        .filter(|i| {
            archive
                .name_for_index(*i)
                .and_then(|n| n.ok())
                .is_some_and(|n| n.to_lowercase().ends_with("sharedstrings.xml"))
        })
        .collect();
    for index in parts {
        let part = archive
            .by_index(index)
            .map_err(|_| file_error(msg!("import-not-spreadsheet")))?;
        announced_strings(part)?;
    }
    Ok(())
}

/// Refuses a shared-strings part any element of which announces more strings than a sheet may
/// hold cells (the reader skips what comes before its `sst` element). The part has been
/// scanned: no stretch in it is long.
fn announced_strings(part: impl std::io::Read) -> AppResult<()> {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                for name in ["uniqueCount", "count"] {
                    let announced = e
                        .try_get_attribute(name)
                        .ok()
                        .flatten()
                        .and_then(|a| a.value.trim().parse::<u64>().ok());
                    if announced.is_some_and(|n| n > MAX_CELLS) {
                        return Err(too_large());
                    }
                }
            }
            Ok(Event::Eof) => return Ok(()),
            Err(_) => return Err(file_error(msg!("import-not-spreadsheet"))),
            Ok(_) => {}
        }
    }
}
