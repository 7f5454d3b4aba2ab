//! Readers for the ballot files of SPEC 5.4: BLT and two CSV layouts of cast vote records.
//! Each reader returns a `Profile` or one `ParseError` naming the line and column; none panics,
//! whatever the bytes (each is fuzzed and property-tested on arbitrary input).

pub mod blt;
pub mod csv;

use crate::error::ParseError;
use crate::profile::Profile;

/// The layout of a ballot file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Blt,
    WideCsv,
    LongCsv,
}

/// Turns bytes into text, or says where the first byte that is not UTF-8 sits.
pub fn utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
        // The prefix is valid UTF-8 by construction, so counting its chars gives the column.
        let column = std::str::from_utf8(&good[line_start..]).map_or(1, |s| s.chars().count() + 1);
        ParseError::new(line, column, "the file is not UTF-8 text")
    })
}

/// The lines of `text`, each without its ending, where `\n`, `\r\n` and a lone `\r` each end a
/// line (as files from Windows, old Macs and spreadsheets end them).
pub(crate) fn physical_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let t = rest?;
        match t.find(['\n', '\r']) {
            Some(i) => {
                let skip = if t[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&t[i + skip..]);
                Some(&t[..i])
            }
            None => {
                rest = None;
                Some(t)
            }
        }
    })
}

/// Guesses the layout from the first line: BLT starts with two numbers, CSV with a header.
pub fn detect(text: &str) -> Format {
    let first = physical_lines(text)
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let lower = first.to_ascii_lowercase();
    let fields: Vec<&str> = lower
        .split(',')
        .map(|f| f.trim().trim_matches('"'))
        .collect();
    if fields.len() >= 3 && fields[..3] == ["ballot_id", "rank", "choice"] {
        Format::LongCsv
    } else if fields.iter().any(|f| f.starts_with("choice")) {
        Format::WideCsv
    } else {
        Format::Blt
    }
}

/// Reads a ballot file of any supported layout.
pub fn parse(bytes: &[u8]) -> Result<Profile, ParseError> {
    let text = utf8(bytes)?;
    match detect(text) {
        Format::Blt => blt::parse_str(text),
        Format::WideCsv => csv::parse_wide(text),
        Format::LongCsv => csv::parse_long(text),
    }
}

/// Is this cell the skipped-rank marker?
pub(crate) fn is_undervote(s: &str) -> bool {
    s == "$UNDERVOTE" || s.eq_ignore_ascii_case("undervote")
}

/// Is this cell the overvote marker?
pub(crate) fn is_overvote(s: &str) -> bool {
    s == "$OVERVOTE" || s.eq_ignore_ascii_case("overvote")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_lf_crlf_or_a_lone_cr() {
        let lines: Vec<&str> = physical_lines("a\r\nb\rc\n\nd").collect();
        assert_eq!(lines, ["a", "b", "c", "", "d"]);
        assert_eq!(detect("ballot_id,rank,choice\rx,1,A\r"), Format::LongCsv);
    }

    #[test]
    fn the_layout_is_told_by_the_first_line() {
        assert_eq!(detect("3 1\n1 1 0\n"), Format::Blt);
        assert_eq!(detect("ballot_id,rank,choice\n"), Format::LongCsv);
        assert_eq!(detect("choice1,choice2,count\n"), Format::WideCsv);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_located() {
        let e = utf8(b"3 1\n1 \xff 0\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
    }
}
