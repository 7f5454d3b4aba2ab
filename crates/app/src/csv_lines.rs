//! Reading an import's CSV file record by record, each with the true physical line it starts on.
//!
//! The `csv` crate's own line counter counts `\n` only, and a record's position is where the reader
//! stood after the previous record's terminator (before any blank lines). So with CRLF endings the
//! first data record is still "on line 1", and with lone `\r` endings every record is. Importers
//! therefore never use `Position::line`: a [`LineCounter`] walks the same file's bytes alongside
//! the reader and turns each record's byte offset into the line of its first character, counting
//! `\n`, `\r\n` and a lone `\r` each as one line break (blank lines and the line breaks inside quoted
//! fields included).
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// Counts line breaks over a byte stream, forward only. Each query names a byte offset at or after
/// the previous query's answer; a break is `\n`, `\r\n` or a lone `\r`.
pub struct LineCounter<R> {
    inner: R,
    /// Bytes consumed so far.
    offset: u64,
    /// The line the byte at `offset` is on (1-based).
    line: u64,
    /// The last byte consumed was `\r`: a `\n` next completes that break rather than starting one.
    after_cr: bool,
}

impl LineCounter<BufReader<File>> {
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(LineCounter::new(BufReader::with_capacity(
            1 << 16,
            File::open(path)?,
        )))
    }
}

impl<R: BufRead> LineCounter<R> {
    pub fn new(inner: R) -> Self {
        LineCounter {
            inner,
            offset: 0,
            line: 1,
            after_cr: false,
        }
    }

    /// The line of the first byte at or after offset `start` that is not a line break: the line a
    /// record starting at `start` (as a CSV reader reports it, blank lines before it included)
    /// begins on. Offsets must not go backwards; one before the last answer is taken as that answer.
    pub fn record_line(&mut self, start: u64) -> io::Result<u64> {
        self.advance_to(start)?;
        self.skip_breaks()?;
        Ok(self.line)
    }

    fn advance_to(&mut self, target: u64) -> io::Result<()> {
        while self.offset < target {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let want = usize::try_from(target - self.offset).unwrap_or(usize::MAX);
            let n = buf.len().min(want);
            let (line, after_cr) = count_breaks(&buf[..n], self.line, self.after_cr);
            self.line = line;
            self.after_cr = after_cr;
            self.inner.consume(n);
            self.offset += n as u64;
        }
        Ok(())
    }

    fn skip_breaks(&mut self) -> io::Result<()> {
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            let n = buf
                .iter()
                .position(|&b| b != b'\n' && b != b'\r')
                .unwrap_or(buf.len());
            let (line, after_cr) = count_breaks(&buf[..n], self.line, self.after_cr);
            self.line = line;
            self.after_cr = after_cr;
            let whole = n == buf.len();
            self.inner.consume(n);
            self.offset += n as u64;
            if !whole {
                return Ok(());
            }
        }
    }
}

/// The line after `bytes`, starting on `line` (`after_cr`: the byte before them was `\r`), and
/// whether the last of them is `\r`.
fn count_breaks(bytes: &[u8], mut line: u64, after_cr: bool) -> (u64, bool) {
    for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
        let completes_crlf = bytes[i] == b'\n'
            && match i.checked_sub(1) {
                Some(p) => bytes[p] == b'\r',
                None => after_cr,
            };
        if !completes_crlf {
            line += 1;
        }
    }
    match bytes.last() {
        Some(&last) => (line, last == b'\r'),
        None => (line, after_cr),
    }
}

/// An import file read as CSV (flexible field counts, a UTF-8 BOM ignored), each record with the
/// physical line it starts on.
pub struct CsvFile {
    reader: csv::Reader<BufReader<File>>,
    lines: LineCounter<BufReader<File>>,
}

impl CsvFile {
    pub fn open(path: &Path) -> io::Result<CsvFile> {
        let file = File::open(path)?;
        let reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(BufReader::with_capacity(1 << 16, file));
        Ok(CsvFile {
            reader,
            lines: LineCounter::open(path)?,
        })
    }

    /// The header row (the first record).
    pub fn headers(&mut self) -> csv::Result<&csv::StringRecord> {
        self.reader.headers()
    }

    /// Reads the next data record into `raw` and returns the line it starts on; `None` at the end.
    /// Blank lines are skipped. An error is an I/O failure: the bytes themselves always make a
    /// record (see [`text`] for the ones that do not make text).
    pub fn next_record(&mut self, raw: &mut csv::ByteRecord) -> Result<Option<u64>, csv::Error> {
        if !self.reader.read_byte_record(raw)? {
            return Ok(None);
        }
        let start = raw
            .position()
            .map_or_else(|| self.reader.position().byte(), csv::Position::byte);
        Ok(Some(self.lines.record_line(start)?))
    }

    /// Bytes of the file read so far (for progress).
    pub fn byte(&self) -> u64 {
        self.reader.position().byte()
    }
}

/// A record as text, or the reason it is not: a field that is not valid UTF-8, or one holding a NUL
/// byte (which no database stores as text). Fields are named by the header's column names.
pub fn text(
    raw: &csv::ByteRecord,
    headers: &csv::StringRecord,
) -> Result<csv::StringRecord, String> {
    let column = |i: usize| match headers
        .get(i)
        .map(|h| h.trim_start_matches('\u{feff}').trim())
    {
        Some(h) if !h.is_empty() => h.to_string(),
        _ => format!("field {}", i + 1),
    };
    if let Some(i) = raw.iter().position(|f| memchr::memchr(0, f).is_some()) {
        return Err(format!("{} holds a NUL byte", column(i)));
    }
    csv::StringRecord::from_byte_record(raw.clone())
        .map_err(|e| format!("{} is not valid UTF-8", column(e.utf8_error().field())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of each offset, asked in order.
    fn lines(text: &[u8], offsets: &[u64]) -> Vec<u64> {
        let mut c = LineCounter::new(text);
        offsets.iter().map(|&o| c.record_line(o).unwrap()).collect()
    }

    /// The line of every record of a headed CSV text, through `CsvFile`'s reading.
    fn record_lines(text: &[u8]) -> Vec<(u64, Vec<String>)> {
        let dir = std::env::temp_dir().join(format!(
            "caucus-csv-lines-{}-{:x}",
            std::process::id(),
            text.iter()
                .fold(0u64, |h, &b| h.wrapping_mul(31).wrapping_add(b as u64))
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.csv");
        std::fs::write(&path, text).unwrap();
        let mut f = CsvFile::open(&path).unwrap();
        let headers = f.headers().unwrap().clone();
        let mut raw = csv::ByteRecord::new();
        let mut out = Vec::new();
        while let Some(line) = f.next_record(&mut raw).unwrap() {
            let fields = match super::text(&raw, &headers) {
                Ok(r) => r.iter().map(String::from).collect(),
                Err(e) => vec![e],
            };
            out.push((line, fields));
        }
        let _ = std::fs::remove_dir_all(&dir);
        out
    }

    fn firsts(v: &[(u64, Vec<String>)]) -> Vec<(u64, String)> {
        v.iter().map(|(l, f)| (*l, f[0].clone())).collect()
    }

    #[test]
    fn each_ending_counts_one_line() {
        assert_eq!(lines(b"a\nb\nc", &[0, 2, 4]), [1, 2, 3]);
        assert_eq!(lines(b"a\r\nb\r\nc", &[0, 3, 6]), [1, 2, 3]);
        assert_eq!(lines(b"a\rb\rc", &[0, 2, 4]), [1, 2, 3]);
        // \r\r\n is two breaks; \n\r is two.
        assert_eq!(lines(b"a\r\r\nb\n\rc", &[0, 4, 7]), [1, 3, 5]);
    }

    #[test]
    fn an_offset_on_a_break_answers_the_line_of_the_next_character() {
        // Offset 2 is the \n of the first \r\n: the record after it starts on line 2.
        assert_eq!(lines(b"a\r\nb", &[2]), [2]);
        assert_eq!(lines(b"a\r\nb", &[1]), [2]);
        // Blank lines between are counted, whichever break they use.
        assert_eq!(lines(b"a\n\n\r\n\rb", &[1]), [5]);
        // A \r\n split across the offset is still one break.
        assert_eq!(lines(b"a\r\nb\r\nc", &[2, 5]), [2, 3]);
        // At the end, the line after the last break.
        assert_eq!(lines(b"a\n", &[2]), [2]);
    }

    #[test]
    fn a_crlf_split_across_reads_is_one_break() {
        let text: &[u8] = b"a\r\nb\r\nc\rd\ne";
        for cap in 1..6 {
            let mut c = LineCounter::new(std::io::BufReader::with_capacity(cap, text));
            let got: Vec<u64> = [0u64, 3, 6, 8, 10]
                .iter()
                .map(|&o| c.record_line(o).unwrap())
                .collect();
            assert_eq!(got, [1, 2, 3, 4, 5], "capacity {cap}");
        }
    }

    #[test]
    fn records_get_their_physical_lines_in_every_ending() {
        for eol in ["\n", "\r\n", "\r"] {
            let text = format!("n,x{eol}a,1{eol}b,2{eol}c,3{eol}");
            assert_eq!(
                firsts(&record_lines(text.as_bytes())),
                [(2, "a".into()), (3, "b".into()), (4, "c".into())],
                "{eol:?}"
            );
            // Without a final line break too.
            let text = format!("n,x{eol}a,1{eol}b,2");
            assert_eq!(
                firsts(&record_lines(text.as_bytes())),
                [(2, "a".into()), (3, "b".into())],
                "{eol:?}"
            );
        }
    }

    #[test]
    fn mixed_endings_a_bom_blank_lines_and_quoted_breaks_are_counted() {
        let text = "\u{feff}n,x\r\na,1\n\r\n\rb,\"two\r\nlines\rand\nmore\"\rc,3\r\n\r\nd,4";
        let got = record_lines(text.as_bytes());
        assert_eq!(
            firsts(&got),
            [
                (2, "a".into()),
                (5, "b".into()),
                (9, "c".into()),
                (11, "d".into())
            ]
        );
        assert_eq!(got[1].1[1], "two\r\nlines\rand\nmore");
        // A BOM alone before the header changes nothing.
        let got = record_lines("\u{feff}n,x\na,1\n".as_bytes());
        assert_eq!(firsts(&got), [(2, "a".into())]);
    }

    #[test]
    fn a_nul_byte_or_invalid_utf8_is_a_reason_naming_the_column() {
        let got = record_lines(b"n,x\r\na,1\r\nb,\xff\xfe\r\nc\x00,3\r\nd,4,\xff\r\ne,5\r\n");
        assert_eq!(
            got,
            [
                (2, vec!["a".to_string(), "1".to_string()]),
                (3, vec!["x is not valid UTF-8".to_string()]),
                (4, vec!["n holds a NUL byte".to_string()]),
                (5, vec!["field 3 is not valid UTF-8".to_string()]),
                (6, vec!["e".to_string(), "5".to_string()]),
            ]
        );
    }
}
