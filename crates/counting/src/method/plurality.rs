//! Single-round methods: first past the post (one mark each; with N seats the N highest),
//! block vote (each ballot's first N preferences count one each) and approval (every
//! candidate marked counts one). Ties for the last seat are drawn by lot from the seed.

use super::new_round;
use crate::profile::{Policies, Profile};
use crate::result::{CountResult, Method, Tie};
use crate::tie::{Lot, Want};

pub(crate) struct Options {
    pub method: Method,
    pub seats: u32,
    pub policies: Policies,
    pub seed: u64,
}

pub(crate) fn count(profile: &Profile, opts: &Options) -> CountResult {
    let n = profile.candidates.len();
    let mut totals = vec![0i64; n];
    let mut blank: u64 = 0;
    let mut valid: u64 = 0;
    let marks = match opts.method {
        Method::Block => opts.seats as usize,
        Method::Approval => usize::MAX,
        _ => 1,
    };
    profile.for_each_clean(&opts.policies, |w, prefs| {
        if prefs.is_empty() {
            blank += w;
            return;
        }
        valid += w;
        for &c in prefs.iter().take(marks) {
            totals[c as usize] += w as i64;
        }
    });
    let mut round = new_round(1, "Votes".into(), totals.clone(), 0);
    let mut ties = Vec::new();
    let mut lot = Lot::new(opts.seed);
    let mut order: Vec<usize> = (0..n).filter(|c| !profile.withdrawn.contains(c)).collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(totals[c]), c));
    let seats = (opts.seats as usize).min(order.len());
    let mut elected: Vec<usize> = order[..seats].to_vec();
    if seats > 0 && seats < order.len() && totals[order[seats - 1]] == totals[order[seats]] {
        // Equal totals across the last seat: the seats they share are drawn by lot.
        let cut = totals[order[seats]];
        let tied: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&c| totals[c] == cut)
            .collect();
        elected.retain(|c| totals[*c] != cut);
        let mut pool = tied.clone();
        while elected.len() < seats {
            let (c, how) = crate::tie::break_tie(&pool, &[], Want::Highest, &mut lot);
            ties.push(Tie {
                round: 1,
                purpose: "last seat".into(),
                between: tied.clone(),
                chosen: c,
                resolved_by: how,
            });
            pool.retain(|&x| x != c);
            elected.push(c);
        }
    }
    round.elected = elected.clone();
    let rule = match opts.method {
        Method::Block => format!("Block vote: each ballot's first {} preferences count one vote each; the {} highest elected", opts.seats, opts.seats),
        Method::Approval => format!("Approval: every candidate marked on a ballot gets one vote; the {} highest elected", opts.seats),
        _ => format!("First past the post: each ballot's first preference counts one vote; the {} highest elected", opts.seats),
    };
    CountResult {
        method: opts.method,
        rule: format!(
            "{rule}; ties for the last seat by lot (seed {}); blank ballots rejected; {}",
            opts.seed,
            opts.policies.describe()
        ),
        title: profile.title.clone(),
        candidates: profile.candidates.clone(),
        withdrawn: profile.withdrawn.clone(),
        seats: opts.seats,
        scale: 0,
        quota: None,
        valid: valid as i64,
        rejected: blank,
        elected,
        rounds: vec![round],
        ties,
        threshold: None,
    }
}
