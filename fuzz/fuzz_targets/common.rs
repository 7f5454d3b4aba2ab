// Shared by the targets: a parsed profile must also count without panicking by every method.
use caucus_counting::{count, CountOptions, Method, Profile};

pub fn count_all(p: &Profile) {
    for m in [Method::Fptp, Method::Block, Method::Approval, Method::Irv, Method::StvScottish, Method::StvMeek] {
        let mut o = CountOptions::new(m);
        // Keep seats small so a fuzzed header cannot ask for a count of a billion seats.
        o.seats = Some(p.seats.unwrap_or(1).clamp(1, 8));
        let _ = count(p, &o);
    }
}
