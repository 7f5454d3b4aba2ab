//! The result sheet as plain text: candidates down, stages across, as councils publish it.

use std::fmt::Write;

use crate::result::CountResult;

/// The stage in which each elected candidate was deemed elected.
pub(crate) fn elected_stage(r: &CountResult, c: usize) -> Option<usize> {
    r.rounds
        .iter()
        .find(|k| k.elected.contains(&c))
        .map(|k| k.number)
}

pub fn text(r: &CountResult) -> String {
    let mut o = String::new();
    if let Some(t) = &r.title {
        let _ = writeln!(o, "{t}");
        let _ = writeln!(o, "{}", "=".repeat(t.chars().count()));
    }
    let _ = writeln!(o, "Method:   {}", r.method.id());
    let _ = writeln!(o, "Rule:     {}", r.rule);
    let _ = writeln!(o, "Seats:    {}", r.seats);
    let _ = writeln!(o, "Valid:    {}", r.fmt(r.valid));
    if r.rejected > 0 {
        let _ = writeln!(o, "Rejected: {} (no valid first preference)", r.rejected);
    }
    if let Some(q) = r.quota {
        let label = if r.threshold.is_some() {
            "Needed:  "
        } else {
            "Quota:   "
        };
        let _ = writeln!(o, "{label} {}", r.fmt(q));
    }
    let _ = writeln!(o);

    let name_w = r
        .candidates
        .iter()
        .map(|c| c.chars().count())
        .chain(["Non-transferable".len()])
        .max()
        .unwrap_or(10);
    let cell = |s: &str| format!("{s:>14}");
    let mut head = format!("{:<name_w$}", "Stage");
    for k in &r.rounds {
        head.push_str(&cell(&k.number.to_string()));
    }
    let _ = writeln!(o, "{head}");
    let _ = writeln!(o, "{}", "-".repeat(head.chars().count()));
    for (c, name) in r.candidates.iter().enumerate() {
        let mut line = format!("{name:<name_w$}");
        for k in &r.rounds {
            let mut v = r.fmt(k.tallies[c]);
            if k.elected.contains(&c) {
                v.push('*');
            } else if k.excluded.contains(&c) {
                v.push('x');
            } else {
                v.push(' ');
            }
            line.push_str(&cell(&v));
        }
        if r.withdrawn.contains(&c) {
            line.push_str("  (withdrawn)");
        }
        let _ = writeln!(o, "{line}");
    }
    let mut line = format!("{:<name_w$}", "Non-transferable");
    for k in &r.rounds {
        line.push_str(&cell(&format!("{} ", r.fmt(k.non_transferable))));
    }
    let _ = writeln!(o, "{line}");
    if r.rounds.iter().any(|k| k.quota.is_some()) {
        let mut line = format!("{:<name_w$}", "Quota");
        for k in &r.rounds {
            line.push_str(&cell(&format!(
                "{} ",
                k.quota.map(|q| r.fmt(q)).unwrap_or_default()
            )));
        }
        let _ = writeln!(o, "{line}");
    }
    let _ = writeln!(
        o,
        "\n* elected at this stage   x excluded at the end of this stage\n"
    );
    for k in &r.rounds {
        let _ = write!(o, "Stage {}: {}", k.number, k.action);
        if !k.elected.is_empty() {
            let _ = write!(o, "; elected {}", r.names(&k.elected).join(", "));
        }
        if !k.excluded.is_empty() {
            let _ = write!(o, "; excluded {}", r.names(&k.excluded).join(", "));
        }
        let _ = writeln!(o);
    }
    for t in &r.ties {
        let _ = writeln!(
            o,
            "Tie at stage {} ({}) between {}: {} chosen by {}",
            t.round,
            t.purpose,
            r.names(&t.between).join(", "),
            r.candidates[t.chosen],
            t.resolved_by
        );
    }
    let _ = writeln!(o);
    if let Some(th) = &r.threshold {
        let _ = writeln!(
            o,
            "Threshold: votes {} {}/{} of {} ({})",
            th.comparison, th.numerator, th.denominator, th.base, th.base_name
        );
        for (c, name) in r.candidates.iter().enumerate() {
            let met = if r.elected.contains(&c) {
                "MET"
            } else {
                "NOT MET"
            };
            let _ = writeln!(
                o,
                "  {name}: {} votes: {met}",
                r.fmt(r.rounds[0].tallies[c])
            );
        }
    } else {
        let _ = writeln!(o, "Elected:");
        for &c in &r.elected {
            let stage = elected_stage(r, c)
                .map(|s| format!(" (stage {s})"))
                .unwrap_or_default();
            let _ = writeln!(o, "  {}{stage}", r.candidates[c]);
        }
    }
    o
}
