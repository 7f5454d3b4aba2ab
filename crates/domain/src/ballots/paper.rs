//! A ballot paper: the marks a voter made, checked against the method, stored as text, and published
//! in the BLT ballot file under its receipt code. Nothing here knows who marked it.
use super::spec::Marking;

/// Checks a voter's marks (candidate positions, 0-based, in the order marked) against how the
/// method is marked. A sentence the voter can act on when they do not fit.
pub fn check_marks(marks: &[usize], candidates: usize, marking: Marking) -> Result<(), String> {
    if marks.is_empty() {
        return Err("mark at least one candidate".to_string());
    }
    if let Some(bad) = marks.iter().find(|m| **m >= candidates) {
        return Err(format!("there is no candidate {}", bad + 1));
    }
    let mut seen = marks.to_vec();
    seen.sort_unstable();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        return Err(match marking {
            Marking::Ranked => "each candidate may be given only one preference".to_string(),
            _ => "each candidate may be marked only once".to_string(),
        });
    }
    match marking {
        Marking::One if marks.len() > 1 => Err("vote for one candidate only".to_string()),
        Marking::UpTo(seats) if marks.len() > seats as usize => {
            Err(format!("vote for at most {seats} candidates"))
        }
        _ => Ok(()),
    }
}

/// A ranked paper's preferences as the voter numbered them: position `i` holds the candidate given
/// preference `i + 1`, or `None` where that preference was left empty. A paper must start at 1 and
/// have no gaps (empty preferences may only follow the last one used), so a paper whose first
/// preference is empty is refused, never read as if its second were its first.
pub fn ranked_marks(preferences: &[Option<usize>]) -> Result<Vec<usize>, String> {
    let used = preferences
        .iter()
        .rposition(Option::is_some)
        .map_or(0, |i| i + 1);
    if let Some(gap) = preferences[..used].iter().position(Option::is_none) {
        let next = preferences[gap..used]
            .iter()
            .position(Option::is_some)
            .map_or(used, |i| gap + i);
        return Err(format!(
            "preference {} is marked but preference {} is not: a paper must start at 1 and have no gaps",
            next + 1,
            gap + 1
        ));
    }
    Ok(preferences[..used].iter().flatten().copied().collect())
}

/// The marks as stored: 1-based candidate numbers separated by spaces, as a BLT ballot line has them.
pub fn encode(marks: &[usize]) -> String {
    marks
        .iter()
        .map(|m| (m + 1).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The stored text back into marks; an error for text caucus did not write.
pub fn decode(text: &str, candidates: usize) -> Result<Vec<usize>, String> {
    text.split_whitespace()
        .map(|t| match t.parse::<usize>() {
            Ok(n) if (1..=candidates).contains(&n) => Ok(n - 1),
            _ => Err(format!("the stored ballot paper '{text}' is unreadable")),
        })
        .collect()
}

/// A receipt code: what a voter keeps to find their paper in the published list. Random, so the
/// order of codes says nothing of the order of voting; letters and digits that cannot be misread.
pub const RECEIPT_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Formats 16 symbols drawn from `RECEIPT_ALPHABET` (the caller's randomness) as `XXXX-XXXX-XXXX-XXXX`.
pub fn receipt_from(symbols: [u8; 16]) -> String {
    let mut out = String::with_capacity(19);
    for (i, s) in symbols.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(RECEIPT_ALPHABET[*s as usize % RECEIPT_ALPHABET.len()] as char);
    }
    out
}

/// A receipt as a voter may type it back: upper-cased, spaces trimmed, `O`/`I`/`0`/`1` read as the
/// letters they were meant to be never appear, so they are simply not found.
pub fn normalise_receipt(text: &str) -> String {
    text.trim().to_ascii_uppercase().replace(' ', "")
}

/// One published paper: its receipt and its marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub receipt: String,
    pub marks: Vec<usize>,
}

/// The anonymised ballots as a BLT file (SPEC 5.4) that `caucus count` reads: each paper on its own
/// line with its receipt as the ballot id, in receipt order (which is random, not the order of
/// voting), then the candidates and the title.
pub fn blt(title: &str, candidates: &[String], seats: u32, papers: &[Published]) -> String {
    let mut sorted: Vec<&Published> = papers.iter().collect();
    sorted.sort_by(|a, b| a.receipt.cmp(&b.receipt));
    let mut out = format!("{} {seats}\n", candidates.len());
    for p in sorted {
        out.push_str(&format!("({}) 1 ", p.receipt));
        for m in &p.marks {
            out.push_str(&format!("{} ", m + 1));
        }
        out.push_str("0\n");
    }
    out.push_str("0\n");
    for c in candidates {
        out.push_str(&format!("\"{c}\"\n"));
    }
    out.push_str(&format!("\"{title}\"\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_must_fit_the_method() {
        assert!(check_marks(&[2, 0, 1], 3, Marking::Ranked).is_ok());
        assert!(check_marks(&[2], 3, Marking::Ranked).is_ok());
        assert_eq!(
            check_marks(&[], 3, Marking::Ranked).unwrap_err(),
            "mark at least one candidate"
        );
        assert_eq!(
            check_marks(&[1, 1], 3, Marking::Ranked).unwrap_err(),
            "each candidate may be given only one preference"
        );
        assert_eq!(
            check_marks(&[0, 1], 3, Marking::One).unwrap_err(),
            "vote for one candidate only"
        );
        assert_eq!(
            check_marks(&[0, 1, 2], 3, Marking::UpTo(2)).unwrap_err(),
            "vote for at most 2 candidates"
        );
        assert!(check_marks(&[0, 1, 2], 3, Marking::Any).is_ok());
        assert_eq!(
            check_marks(&[3], 3, Marking::Any).unwrap_err(),
            "there is no candidate 4"
        );
    }

    #[test]
    fn a_ranked_paper_starts_at_one_and_has_no_gaps() {
        assert_eq!(
            ranked_marks(&[Some(2), Some(0), None, None]).unwrap(),
            vec![2, 0]
        );
        assert_eq!(ranked_marks(&[None, None]).unwrap(), Vec::<usize>::new());
        assert_eq!(
            ranked_marks(&[None, Some(1)]).unwrap_err(),
            "preference 2 is marked but preference 1 is not: a paper must start at 1 and have no gaps"
        );
        assert_eq!(
            ranked_marks(&[Some(0), None, None, Some(2)]).unwrap_err(),
            "preference 4 is marked but preference 2 is not: a paper must start at 1 and have no gaps"
        );
    }

    #[test]
    fn stored_marks_read_back_and_foreign_text_is_refused() {
        assert_eq!(encode(&[2, 0]), "3 1");
        assert_eq!(decode("3 1", 3).unwrap(), vec![2, 0]);
        assert!(decode("4", 3).is_err());
        assert!(decode("x", 3).is_err());
    }

    #[test]
    fn receipts_are_grouped_and_drawn_from_the_unambiguous_alphabet() {
        let r = receipt_from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 31, 32]);
        assert_eq!(r, "2345-6789-ABCD-EFZ2");
        assert!(!r.contains(['0', '1', 'O', 'I']));
        assert_eq!(normalise_receipt(" 2345-6789-abcd-efz2 "), r);
    }

    #[test]
    fn the_ballot_file_lists_papers_by_receipt_with_names_and_title() {
        let papers = vec![
            Published {
                receipt: "ZZZZ".into(),
                marks: vec![1],
            },
            Published {
                receipt: "AAAA".into(),
                marks: vec![0, 1],
            },
        ];
        let text = blt("CLP chair", &["Ann".into(), "Bob".into()], 1, &papers);
        assert_eq!(
            text,
            "2 1\n(AAAA) 1 1 2 0\n(ZZZZ) 1 2 0\n0\n\"Ann\"\n\"Bob\"\n\"CLP chair\"\n"
        );
    }
}
