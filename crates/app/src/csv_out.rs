//! The one way caucus writes CSV: every file it hands out (membership lists, import rejects, the
//! membership check and reallocation reports, generated member files) goes through [`Writer`], so no
//! cell can be read as a formula by the spreadsheet it is opened in (CSV or formula injection; OWASP's
//! "CSV Injection" page). A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
//! single quote in front, which spreadsheets show as text; every cell is quoted, so a separator
//! inside a cell (`;` in a locale that splits on it, a tab) cannot start a new cell either.
//!
//! A cell that is a negative number ("-3") is quoted too: no column caucus writes holds a signed
//! number (counts, dates, flags and codes only), so the rule needs no exception for them, and an
//! exception ("looks like a number") is where formulas such as `-1+1` slip through.
//!
//! Nothing in caucus reads these files back as data (the importer reads the party's member files,
//! not its own reports), so the quote never returns as part of a value.
use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

/// The characters that make a spreadsheet read a cell as a formula when they come first.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The cell as written: with a `'` in front where it would otherwise start with a formula character.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `text` as one comment line of a CSV file (`# ` in front, a line break after), for the line a
/// reader told that `#` starts a comment skips. A spreadsheet reads it as a row like any other,
/// split at its commas or semicolons, so each piece after one gets the same quote a cell would;
/// control characters (a tab, a line break) become spaces.
pub fn comment_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len() + 4);
    line.push_str("# ");
    let mut after_separator = false;
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if after_separator && FORMULA_STARTS.contains(&c) {
            line.push('\'');
        }
        after_separator = matches!(c, ',' | ';');
        line.push(c);
    }
    line.push('\n');
    line
}

/// A CSV writer whose every cell is neutralised and quoted.
pub struct Writer<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> Writer<W> {
    pub fn from_writer(w: W) -> Writer<W> {
        Writer {
            inner: csv::WriterBuilder::new()
                .quote_style(csv::QuoteStyle::Always)
                .from_writer(w),
        }
    }

    /// Writes one record, each cell neutralised.
    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.inner.write_record(
            record
                .into_iter()
                .map(|cell| neutralise(cell.as_ref()).into_owned()),
        )
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }

    /// Flushes and hands back the underlying writer.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

impl Writer<std::fs::File> {
    /// Creates (or truncates) the file at `path`.
    pub fn from_path(path: impl AsRef<Path>) -> csv::Result<Writer<std::fs::File>> {
        Ok(Writer::from_writer(std::fs::File::create(path)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(record: &[&str]) -> String {
        let mut w = Writer::from_writer(Vec::new());
        w.write_record(record).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn a_cell_starting_with_a_formula_character_gets_a_quote_in_front() {
        for (cell, expected) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
            ("-2+3", "'-2+3"),
            ("-3", "'-3"),
            ("@cmd", "'@cmd"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
        ] {
            assert_eq!(neutralise(cell), expected, "{cell:?}");
        }
        for cell in [
            "",
            "L0001234",
            "O'Brien",
            "'=already text",
            " =1",
            "a=b",
            "07700 900123",
            "2026-11-22",
            "Liverpool, Walton",
        ] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn a_comment_line_is_one_line_and_no_piece_of_it_starts_a_formula() {
        assert_eq!(
            comment_line("members of Liverpool, Walton; handle with care"),
            "# members of Liverpool, Walton; handle with care\n"
        );
        assert_eq!(
            comment_line("x,=HYPERLINK(\"http://x\");@cmd,\t-1\nnext"),
            "# x,'=HYPERLINK(\"http://x\");'@cmd, -1 next\n"
        );
    }

    #[test]
    fn every_cell_is_neutralised_and_quoted_and_reads_back_as_written() {
        let text = written(&["=1+2", "Smith;=cmd", "@x", "plain", "a \"quote\""]);
        assert_eq!(
            text,
            "\"'=1+2\",\"Smith;=cmd\",\"'@x\",\"plain\",\"a \"\"quote\"\"\"\n"
        );
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        assert_eq!(
            rec.iter().collect::<Vec<_>>(),
            ["'=1+2", "Smith;=cmd", "'@x", "plain", "a \"quote\""]
        );
    }

    /// Every CSV writer of the workspace is this one: no crate builds a `csv::Writer` of its own.
    #[test]
    fn no_other_csv_writer_in_the_workspace() {
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut offenders = Vec::new();
        let mut dirs = vec![crates];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if path.file_name().is_some_and(|n| n != "target") {
                        dirs.push(path);
                    }
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("app/src/csv_out.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let imports_writer = text
                        .lines()
                        .any(|l| l.trim_start().starts_with("use csv::") && l.contains("Writer"));
                    if text.contains("csv::Writer") || imports_writer {
                        offenders.push(path.display().to_string());
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "write CSV through caucus_app::csv_out::Writer, not csv::Writer: {offenders:?}"
        );
    }
}
