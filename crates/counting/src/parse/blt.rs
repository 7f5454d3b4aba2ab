//! The BLT ballot format (Hill, Wichmann & Woodall 1987; OpenSTV, Droop, OpenTally).
//! `candidates seats`, optional withdrawn line of negative numbers, ballot lines
//! `weight pref... 0`, a line `0`, one quoted name per candidate, a quoted title.

use crate::error::ParseError;
use crate::profile::{Ballots, Mark, Profile, MAX_CANDIDATES, OVERVOTE, SKIPPED};

/// One significant line: its number, the text with any comment removed, and its byte offset.
struct Line<'a> {
    number: usize,
    text: &'a str,
}

impl Line<'_> {
    /// A column (1-based, in characters) for a byte offset inside this line.
    fn col(&self, byte: usize) -> usize {
        self.text
            .get(..byte)
            .map_or(byte + 1, |s| s.chars().count() + 1)
    }

    fn err(&self, byte: usize, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.number, self.col(byte), msg)
    }
}

/// Splits a line into whitespace-separated tokens with their byte offsets.
fn tokens(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        Some((start, &text[start..i]))
    })
}

/// Removes a `#` comment that is not inside a quoted name.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, ch) in line.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

fn number(line: &Line, at: usize, tok: &str, what: &str) -> Result<u64, ParseError> {
    if tok.is_empty() || !tok.bytes().all(|b| b.is_ascii_digit()) {
        return Err(line.err(
            at,
            format!("expected {what} (a whole number), found {tok:?}"),
        ));
    }
    tok.parse::<u64>()
        .map_err(|_| line.err(at, format!("{what} {tok} is too large")))
}

/// Reads a quoted string starting at byte `at` of `line`; returns it and the byte after it.
fn quoted(line: &Line, at: usize) -> Result<(String, usize), ParseError> {
    let rest = &line.text[at + 1..];
    match rest.find('"') {
        Some(end) => Ok((rest[..end].to_string(), at + 1 + end + 1)),
        None => Err(line.err(at, "a quoted name has no closing quote")),
    }
}

/// Reads BLT text.
pub fn parse_str(text: &str) -> Result<Profile, ParseError> {
    let mut lines = super::physical_lines(text)
        .enumerate()
        .map(|(i, raw)| Line {
            number: i + 1,
            text: strip_comment(raw),
        })
        .filter(|l| !l.text.trim().is_empty());
    let last_line = super::physical_lines(text).count();

    let header = lines
        .next()
        .ok_or_else(|| ParseError::new(1, 1, "the file is empty: expected `candidates seats`"))?;
    let mut toks = tokens(header.text);
    let (at, tok) = toks
        .next()
        .ok_or_else(|| header.err(0, "expected the number of candidates"))?;
    let n = number(&header, at, tok, "the number of candidates")?;
    if n == 0 || n as usize > MAX_CANDIDATES {
        return Err(header.err(
            at,
            format!("the number of candidates must be 1 to {MAX_CANDIDATES}"),
        ));
    }
    let n = n as usize;
    let (at, tok) = toks.next().ok_or_else(|| {
        header.err(
            header.text.len(),
            "expected the number of seats after the number of candidates",
        )
    })?;
    let seats = number(&header, at, tok, "the number of seats")?;
    let seats =
        u32::try_from(seats).map_err(|_| header.err(at, "the number of seats is too large"))?;
    if let Some((at, tok)) = toks.next() {
        return Err(header.err(at, format!("unexpected {tok:?} after `candidates seats`")));
    }

    let mut withdrawn = Vec::new();
    let mut ballots = Ballots::new();
    let mut marks: Vec<Mark> = Vec::with_capacity(n);
    let mut ended = false;
    let mut first_body_line = true;
    let mut pending = None;
    for line in lines.by_ref() {
        let mut toks = tokens(line.text).peekable();
        let Some(&(first_at, first)) = toks.peek() else {
            continue;
        };
        if first_body_line && first.starts_with('-') {
            first_body_line = false;
            for (at, tok) in toks {
                let bad = || {
                    line.err(
                        at,
                        format!(
                            "expected a withdrawn candidate as a negative number, found {tok:?}"
                        ),
                    )
                };
                let k = match tok.strip_prefix('-') {
                    Some(digits) => {
                        number(&line, at, digits, "a withdrawn candidate").map_err(|_| bad())?
                    }
                    None => return Err(bad()),
                };
                if k == 0 || k as usize > n {
                    return Err(line.err(
                        at,
                        format!("withdrawn candidate {k} is not between 1 and {n}"),
                    ));
                }
                withdrawn.push(k as usize - 1);
            }
            continue;
        }
        first_body_line = false;
        if first.starts_with('"') {
            pending = Some(line);
            break;
        }
        toks.next();
        // Some writers put a ballot id in parentheses first; it identifies, it does not count.
        let (w_at, w_tok) = if first.starts_with('(') {
            match toks.next() {
                Some(t) => t,
                None => return Err(line.err(first_at, "a ballot id must be followed by a weight")),
            }
        } else {
            (first_at, first)
        };
        if w_tok.contains('.') {
            return Err(line.err(w_at, format!("weight {w_tok} must be a whole number")));
        }
        let weight = number(&line, w_at, w_tok, "a ballot weight")?;
        if weight == 0 && !first.starts_with('(') {
            if let Some((at, tok)) = toks.next() {
                return Err(line.err(
                    at,
                    format!("unexpected {tok:?} after the end-of-ballots line `0`"),
                ));
            }
            ended = true;
            break;
        }
        marks.clear();
        let mut closed = false;
        for (at, tok) in toks.by_ref() {
            if closed {
                return Err(line.err(
                    at,
                    format!("unexpected {tok:?} after the 0 that ends the ballot"),
                ));
            }
            if tok == "0" {
                closed = true;
                continue;
            }
            if tok == "-" {
                marks.push(SKIPPED);
                continue;
            }
            if tok.contains('=') {
                for part in tok.split('=') {
                    let k = number(&line, at, part, "a candidate number")?;
                    if k == 0 || k as usize > n {
                        return Err(line.err(at, format!("candidate {k} is not between 1 and {n}")));
                    }
                }
                marks.push(OVERVOTE);
                continue;
            }
            let k = number(&line, at, tok, "a candidate number")?;
            if k as usize > n {
                return Err(line.err(at, format!("candidate {k} is not between 1 and {n}")));
            }
            marks.push((k - 1) as Mark);
        }
        if !closed {
            return Err(line.err(line.text.trim_end().len(), "the ballot does not end with 0"));
        }
        ballots
            .push(weight, &marks)
            .map_err(|e| line.err(w_at, e.to_string()))?;
    }
    if !ended {
        let at = pending.as_ref().map_or(last_line, |l| l.number);
        return Err(ParseError::new(
            at,
            1,
            "expected the line `0` that ends the ballots",
        ));
    }

    // Names and title: quoted strings, any number per line.
    let mut strings: Vec<String> = Vec::with_capacity(n + 1);
    for line in pending.into_iter().chain(lines) {
        let mut i = 0;
        let bytes = line.text.as_bytes();
        while i < bytes.len() {
            if bytes[i].is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if bytes[i] != b'"' {
                let what = if strings.len() < n {
                    "a quoted candidate name"
                } else {
                    "a quoted title"
                };
                return Err(line.err(i, format!("expected {what}")));
            }
            if strings.len() > n {
                return Err(line.err(i, "unexpected text after the title"));
            }
            let (s, next) = quoted(&line, i)?;
            if strings.len() < n && s.trim().is_empty() {
                return Err(line.err(i, "a candidate name is empty"));
            }
            if strings.len() < n && strings.contains(&s) {
                return Err(line.err(i, format!("candidate name {s:?} appears twice")));
            }
            strings.push(s);
            i = next;
        }
    }
    if strings.len() < n {
        return Err(ParseError::new(
            last_line,
            1,
            format!("expected {n} candidate names, found {}", strings.len()),
        ));
    }
    let title = if strings.len() > n {
        strings.pop()
    } else {
        None
    };
    Ok(Profile {
        title,
        candidates: strings,
        seats: Some(seats),
        withdrawn,
        ballots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# a comment\n3 2\n-2\n4 1 2 0\n2 3 0 # trailing\n1 0\n\n0\n\"Ann\"\n\"Bob # not a comment\"\n\"Cy\" \"The Title\"\n";

    #[test]
    fn a_full_file_reads_withdrawn_weights_blanks_comments_and_names() {
        let p = parse_str(SAMPLE).unwrap();
        assert_eq!(p.candidates, vec!["Ann", "Bob # not a comment", "Cy"]);
        assert_eq!(p.title.as_deref(), Some("The Title"));
        assert_eq!(p.seats, Some(2));
        assert_eq!(p.withdrawn, vec![1]);
        assert_eq!(p.ballots.len(), 3);
        assert_eq!(p.ballots.get(0), (4, &[0u16, 1][..]));
        assert_eq!(p.ballots.get(2), (1, &[][..]));
        assert_eq!(p.ballots.total_weight(), 7);
    }

    #[test]
    fn equal_preferences_read_as_an_overvote() {
        let p = parse_str("2 1\n1 1=2 0\n0\n\"A\"\n\"B\"\n").unwrap();
        assert_eq!(p.ballots.get(0).1, &[OVERVOTE]);
        assert_eq!(p.title, None);
    }

    #[test]
    fn a_candidate_out_of_range_is_reported_with_line_and_column() {
        let e = parse_str("2 1\n1 1 3 0\n0\n\"A\"\n\"B\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 5));
        assert!(e.message.contains("candidate 3"), "{e}");
    }

    #[test]
    fn every_line_ending_reads_alike_and_errors_name_the_true_line() {
        let good = "2 1\n1 1 2 0\n0\n\"A\"\n\"B\"\n";
        let bad = "2 1\n\n1 1 3 0\n0\n\"A\"\n\"B\"\n";
        for nl in ["\r\n", "\r"] {
            let p = parse_str(&good.replace('\n', nl)).unwrap();
            assert_eq!(p.ballots.get(0), (1, &[0u16, 1][..]), "{nl:?}");
            let e = parse_str(&bad.replace('\n', nl)).unwrap_err();
            assert_eq!((e.line, e.column), (3, 5), "{nl:?}");
        }
    }

    #[test]
    fn a_ballot_without_its_closing_zero_is_an_error() {
        let e = parse_str("2 1\n1 1 2\n0\n\"A\"\n\"B\"\n").unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn missing_names_are_an_error() {
        let e = parse_str("2 1\n1 1 0\n0\n\"A\"\n").unwrap_err();
        assert!(e.message.contains("expected 2 candidate names"), "{e}");
    }

    #[test]
    fn a_decimal_weight_is_refused() {
        let e = parse_str("2 1\n1.5 1 0\n0\n\"A\"\n\"B\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 1));
    }

    #[test]
    fn a_withdrawn_line_with_a_stray_character_is_an_error_not_a_panic() {
        let e = parse_str("2 1\n-1 \u{feff}\n1 1 0\n0\n\"A\"\n\"B\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 4));
    }

    #[test]
    fn an_unclosed_quote_is_located() {
        let e = parse_str("1 1\n1 1 0\n0\n\"A\n").unwrap_err();
        assert_eq!((e.line, e.column), (4, 1));
    }
}
