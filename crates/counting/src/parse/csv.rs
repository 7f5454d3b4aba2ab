//! Cast vote records in CSV: wide (`choice1..choiceN`, optional `count`) and long
//! (`ballot_id,rank,choice`). Columns in errors are field numbers, counted from 1.
//! `$UNDERVOTE`/`undervote` marks a skipped rank, `$OVERVOTE`/`overvote` an overvoted one.

use std::collections::HashMap;

use super::{is_overvote, is_undervote};
use crate::error::ParseError;
use crate::profile::{Ballots, Mark, Profile, MAX_CANDIDATES, OVERVOTE, SKIPPED};

fn reader(text: &str) -> ::csv::Reader<&[u8]> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .trim(::csv::Trim::All)
        .from_reader(text.as_bytes())
}

/// Physical line numbers of byte offsets, counting `\n`, `\r\n` and a lone `\r` each as one line
/// break. Written by hand because csv's own counter counts `\n` only: a CR-only file was all line
/// 1, and a CRLF record's position falls between its `\r` and `\n`, on the line before. Offsets
/// are asked in increasing order, as records come, so the text is walked once.
struct Lines<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// Whether the byte at `i` ends a line (a `\r` followed by `\n` does not: its `\n` does).
    fn breaks_at(&self, i: usize) -> bool {
        match self.text[i] {
            b'\n' => true,
            b'\r' => self.text.get(i + 1) != Some(&b'\n'),
            _ => false,
        }
    }

    /// The line of the first character at or after `byte` that is not a line break: where a
    /// record starting at `byte` is seen to start.
    fn of(&mut self, byte: u64) -> usize {
        let target = usize::try_from(byte).map_or(self.text.len(), |b| b.min(self.text.len()));
        while self.at < target {
            if self.breaks_at(self.at) {
                self.line += 1;
            }
            self.at += 1;
        }
        let (mut k, mut line) = (self.at, self.line);
        while k < self.text.len() && matches!(self.text[k], b'\n' | b'\r') {
            if self.breaks_at(k) {
                line += 1;
            }
            k += 1;
        }
        line
    }

    fn of_record(&mut self, rec: &::csv::StringRecord) -> usize {
        rec.position().map_or(1, |p| self.of(p.byte()))
    }
}

fn csv_error(e: &::csv::Error, lines: &mut Lines) -> ParseError {
    let line = e.position().map_or(1, |p| lines.of(p.byte()));
    match e.kind() {
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => ParseError::new(
            line,
            (*len as usize).min(*expected_len as usize) + 1,
            format!("this row has {len} fields but the header has {expected_len}"),
        ),
        _ => ParseError::new(line, 1, format!("bad CSV: {e}")),
    }
}

/// Interns candidate names in order of first appearance.
#[derive(Default)]
struct Names {
    list: Vec<String>,
    index: HashMap<String, Mark>,
}

impl Names {
    fn mark(&mut self, cell: &str, line: usize, col: usize) -> Result<Mark, ParseError> {
        if cell.is_empty() || is_undervote(cell) {
            return Ok(SKIPPED);
        }
        if is_overvote(cell) {
            return Ok(OVERVOTE);
        }
        if let Some(&m) = self.index.get(cell) {
            return Ok(m);
        }
        if self.list.len() >= MAX_CANDIDATES {
            return Err(ParseError::new(line, col, "too many different candidates"));
        }
        let m = self.list.len() as Mark;
        self.list.push(cell.to_string());
        self.index.insert(cell.to_string(), m);
        Ok(m)
    }
}

fn positive(cell: &str, line: usize, col: usize, what: &str) -> Result<u64, ParseError> {
    if cell.is_empty() || !cell.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::new(
            line,
            col,
            format!("expected {what} (a whole number), found {cell:?}"),
        ));
    }
    cell.parse::<u64>()
        .map_err(|_| ParseError::new(line, col, format!("{what} {cell} is too large")))
}

/// Reads the wide layout: one row per ballot (or per `count` identical ballots).
pub fn parse_wide(text: &str) -> Result<Profile, ParseError> {
    let mut lines = Lines::new(text);
    let mut rdr = reader(text);
    let mut records = rdr.records();
    let header = match records.next() {
        Some(r) => r.map_err(|e| csv_error(&e, &mut lines))?,
        None => {
            return Err(ParseError::new(
                1,
                1,
                "the file is empty: expected a header row",
            ))
        }
    };
    let header_line = lines.of_record(&header);
    let mut choice_cols: Vec<(u32, usize)> = Vec::new();
    let mut count_col = None;
    for (i, h) in header.iter().enumerate() {
        let lower = h.to_ascii_lowercase();
        if lower == "count" {
            if count_col.replace(i).is_some() {
                return Err(ParseError::new(
                    header_line,
                    i + 1,
                    "the column `count` appears twice",
                ));
            }
        } else if let Some(k) = lower.strip_prefix("choice") {
            let k: u32 = k.parse().map_err(|_| {
                ParseError::new(
                    header_line,
                    i + 1,
                    format!("column {h:?} should be choice1, choice2, ..."),
                )
            })?;
            if k == 0 || choice_cols.iter().any(|(j, _)| *j == k) {
                return Err(ParseError::new(
                    header_line,
                    i + 1,
                    format!("column {h:?} is repeated or numbered 0"),
                ));
            }
            choice_cols.push((k, i));
        }
    }
    if choice_cols.is_empty() {
        return Err(ParseError::new(
            header_line,
            1,
            "the header has no choice1..choiceN columns",
        ));
    }
    choice_cols.sort_unstable();
    if choice_cols
        .iter()
        .enumerate()
        .any(|(i, (k, _))| *k as usize != i + 1)
    {
        return Err(ParseError::new(
            header_line,
            1,
            "the choice columns must run choice1, choice2, ... without gaps",
        ));
    }

    let mut names = Names::default();
    let mut ballots = Ballots::new();
    let mut marks = Vec::with_capacity(choice_cols.len());
    for rec in records {
        let rec = rec.map_err(|e| csv_error(&e, &mut lines))?;
        let line = lines.of_record(&rec);
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let weight = match count_col {
            Some(c) => positive(rec.get(c).unwrap_or(""), line, c + 1, "a count")?,
            None => 1,
        };
        marks.clear();
        for &(_, col) in &choice_cols {
            marks.push(names.mark(rec.get(col).unwrap_or(""), line, col + 1)?);
        }
        while marks.last() == Some(&SKIPPED) {
            marks.pop();
        }
        if weight > 0 {
            ballots
                .push(weight, &marks)
                .map_err(|e| ParseError::new(line, 1, e.to_string()))?;
        }
    }
    finish(names, ballots)
}

/// Reads the long layout: one row per (ballot, rank).
pub fn parse_long(text: &str) -> Result<Profile, ParseError> {
    let mut lines = Lines::new(text);
    let mut rdr = reader(text);
    let mut records = rdr.records();
    let header = match records.next() {
        Some(r) => r.map_err(|e| csv_error(&e, &mut lines))?,
        None => {
            return Err(ParseError::new(
                1,
                1,
                "the file is empty: expected a header row",
            ))
        }
    };
    let header_line = lines.of_record(&header);
    let want = ["ballot_id", "rank", "choice"];
    for (i, w) in want.iter().enumerate() {
        if !header.get(i).is_some_and(|h| h.eq_ignore_ascii_case(w)) {
            return Err(ParseError::new(
                header_line,
                i + 1,
                "the header must start ballot_id,rank,choice",
            ));
        }
    }

    let mut names = Names::default();
    let mut order: HashMap<String, usize> = HashMap::new();
    let mut rows: Vec<Vec<(u32, Mark)>> = Vec::new();
    for rec in records {
        let rec = rec.map_err(|e| csv_error(&e, &mut lines))?;
        let line = lines.of_record(&rec);
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let id = rec.get(0).unwrap_or("");
        if id.is_empty() {
            return Err(ParseError::new(line, 1, "the ballot_id is empty"));
        }
        let rank = positive(rec.get(1).unwrap_or(""), line, 2, "a rank")?;
        if rank == 0 || rank > 10_000 {
            return Err(ParseError::new(
                line,
                2,
                format!("rank {rank} is not between 1 and 10000"),
            ));
        }
        let mark = names.mark(rec.get(2).unwrap_or(""), line, 3)?;
        let next = rows.len();
        let b = *order.entry(id.to_string()).or_insert(next);
        if b == rows.len() {
            rows.push(Vec::new());
        }
        rows[b].push((rank as u32, mark));
    }

    let mut ballots = Ballots::new();
    let mut marks = Vec::new();
    for mut row in rows {
        row.sort_by_key(|(r, _)| *r);
        marks.clear();
        let mut i = 0;
        while i < row.len() {
            let (rank, mark) = row[i];
            while (marks.len() as u32) + 1 < rank {
                marks.push(SKIPPED);
            }
            let mut same = row[i + 1..]
                .iter()
                .take_while(|(r, _)| *r == rank)
                .map(|(_, m)| *m);
            // Two different candidates at one rank is an overvote; a marker repeated is not.
            let m = if same.any(|m2| m2 != mark) {
                OVERVOTE
            } else {
                mark
            };
            marks.push(m);
            while i < row.len() && row[i].0 == rank {
                i += 1;
            }
        }
        while marks.last() == Some(&SKIPPED) {
            marks.pop();
        }
        ballots
            .push(1, &marks)
            .map_err(|e| ParseError::new(1, 1, e.to_string()))?;
    }
    finish(names, ballots)
}

fn finish(names: Names, ballots: Ballots) -> Result<Profile, ParseError> {
    if names.list.is_empty() {
        return Err(ParseError::new(
            1,
            1,
            "no candidate is named anywhere in the file",
        ));
    }
    Ok(Profile {
        title: None,
        candidates: names.list,
        seats: None,
        withdrawn: Vec::new(),
        ballots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wide_layout_reads_counts_markers_and_names_in_order_of_appearance() {
        let p =
            parse_wide("choice1,choice2,choice3,count\nB,A,,3\nA,$OVERVOTE,B,1\n,undervote,,2\n")
                .unwrap();
        assert_eq!(p.candidates, vec!["B", "A"]);
        assert_eq!(p.ballots.get(0), (3, &[0u16, 1][..]));
        assert_eq!(p.ballots.get(1), (1, &[1u16, OVERVOTE, 0][..]));
        assert_eq!(p.ballots.get(2), (2, &[][..]));
    }

    #[test]
    fn the_long_layout_groups_rows_by_ballot_and_fills_gaps_as_skipped() {
        let p = parse_long("ballot_id,rank,choice\nx,1,A\ny,1,B\nx,3,B\ny,2,A\ny,2,C\n").unwrap();
        assert_eq!(p.candidates, vec!["A", "B", "C"]);
        assert_eq!(p.ballots.get(0).1, &[0, SKIPPED, 1]);
        assert_eq!(p.ballots.get(1).1, &[1, OVERVOTE]);
    }

    #[test]
    fn a_bad_count_names_its_line_and_column() {
        let e = parse_wide("choice1,count\nA,1\nB,x\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 2));
    }

    #[test]
    fn a_short_row_is_an_error_on_its_line() {
        let e = parse_long("ballot_id,rank,choice\nx,1,A\ny,1\n").unwrap_err();
        assert_eq!(e.line, 3);
    }

    #[test]
    fn lines_are_counted_in_every_line_ending() {
        for nl in ["\n", "\r\n", "\r"] {
            let long = format!("ballot_id,rank,choice{nl}x,1,A{nl}{nl}y,1{nl}");
            assert_eq!(parse_long(&long).unwrap_err().line, 4, "{nl:?}");
            let wide = format!("choice1,count{nl}A,1{nl}\"B\",x{nl}");
            let e = parse_wide(&wide).unwrap_err();
            assert_eq!((e.line, e.column), (3, 2), "{nl:?}");
        }
        // A quoted field holding a line break: the next record starts two lines on.
        let e = parse_wide("choice1,count\r\n\"A\r\nB\",1\r\nC,x\r\n").unwrap_err();
        assert_eq!(e.line, 4);
    }

    #[test]
    fn a_bad_rank_names_its_column() {
        let e = parse_long("ballot_id,rank,choice\nx,one,A\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 2));
    }
}
