//! Instant-runoff (the alternative vote): one winner, the lowest excluded each round until a
//! candidate holds more than half of the votes still in the count.
//! With `batch` the largest group of lowest candidates whose combined votes cannot reach the
//! next candidate is excluded at once, as Burlington and many US rules allow.

use super::{new_round, Status};
use crate::papers::{Clean, Desk};
use crate::profile::{Policies, Profile};
use crate::result::{CountResult, Method, Tie};
use crate::tie::{break_tie, Lot, Want};

pub(crate) struct Options {
    pub policies: Policies,
    pub batch: bool,
    pub seed: u64,
}

pub(crate) fn count(profile: &Profile, opts: &Options) -> CountResult {
    let n = profile.candidates.len();
    let clean = Clean::build(profile, &opts.policies);
    let mut status = vec![Status::Continuing; n];
    for &w in &profile.withdrawn {
        status[w] = Status::Withdrawn;
    }
    let mut totals = vec![0i64; n];
    let mut desk = Desk::first_preferences(&clean, n, 1, &mut totals);
    // Blank ballots are in the poll but exhausted from the first round, as US result sheets show.
    let mut nt = clean.blank as i64;
    let mut rounds = vec![new_round(1, "First preferences".into(), totals.clone(), nt)];
    let mut history = vec![totals.clone()];
    let mut ties = Vec::new();
    let mut lot = Lot::new(opts.seed);
    let mut elected = Vec::new();

    loop {
        let stage = rounds.len();
        let earlier = &history[..stage - 1];
        let continuing: Vec<usize> = (0..n)
            .filter(|&c| status[c] == Status::Continuing)
            .collect();
        let active: i64 = continuing.iter().map(|&c| totals[c]).sum();
        if let Some(&w) = continuing.iter().find(|&&c| 2 * totals[c] > active) {
            elected.push(w);
            rounds[stage - 1].elected.push(w);
            break;
        }
        if continuing.len() <= 1 {
            // Only reached when every remaining vote is exhausted or one candidate is left.
            if let Some(&w) = continuing.first() {
                elected.push(w);
                rounds[stage - 1].elected.push(w);
            }
            break;
        }
        let out = if opts.batch {
            batch(&continuing, &totals)
        } else {
            Vec::new()
        };
        let out = if out.len() >= 2 {
            out
        } else {
            let low = continuing.iter().map(|&c| totals[c]).min().unwrap_or(0);
            let tied: Vec<usize> = continuing
                .iter()
                .copied()
                .filter(|&c| totals[c] == low)
                .collect();
            if tied.len() == 1 {
                tied
            } else {
                let (c, how) = break_tie(&tied, earlier, Want::Lowest, &mut lot);
                ties.push(Tie {
                    round: stage,
                    purpose: "exclusion".into(),
                    between: tied,
                    chosen: c,
                    resolved_by: how,
                });
                vec![c]
            }
        };
        for &c in &out {
            status[c] = Status::Excluded;
        }
        rounds[stage - 1].excluded.extend(&out);
        let continuing: Vec<bool> = status.iter().map(|s| *s == Status::Continuing).collect();
        for &c in &out {
            let from = std::mem::take(&mut desk.parcels[c]);
            nt += desk
                .transfer(&clean, from, &|v| v, &continuing, &mut totals)
                .exhausted;
            totals[c] = 0;
        }
        let names: Vec<&str> = out
            .iter()
            .map(|&c| profile.candidates[c].as_str())
            .collect();
        rounds.push(new_round(
            stage + 1,
            format!("Exclusion of {}", names.join(", ")),
            totals.clone(),
            nt,
        ));
        history.push(totals.clone());
    }

    let valid = clean.total as i64;
    CountResult {
        method: Method::Irv,
        rule: format!(
            "Instant-runoff: elected on more than half of the votes of continuing candidates; {}; \
             ties for exclusion by the most recent earlier round where the totals differed, then by lot (seed {}); \
             blank ballots counted as exhausted from round 1; {}",
            if opts.batch {
                "batch elimination of the largest group of lowest candidates whose combined votes are fewer than the next candidate's"
            } else {
                "the single lowest candidate excluded each round"
            },
            opts.seed,
            opts.policies.describe()
        ),
        title: profile.title.clone(),
        candidates: profile.candidates.clone(),
        withdrawn: profile.withdrawn.clone(),
        seats: 1,
        scale: 0,
        quota: None,
        valid,
        rejected: 0,
        elected,
        rounds,
        ties,
        threshold: None,
    }
}

/// The largest set of lowest candidates whose combined total is below the next one's.
fn batch(continuing: &[usize], totals: &[i64]) -> Vec<usize> {
    let mut sorted = continuing.to_vec();
    sorted.sort_by_key(|&c| (totals[c], c));
    let mut best = 0;
    let mut sum = 0i64;
    for k in 0..sorted.len() - 1 {
        sum += totals[sorted[k]];
        if sum < totals[sorted[k + 1]] {
            best = k + 1;
        }
    }
    sorted.truncate(best);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_takes_the_largest_group_that_cannot_catch_up() {
        let totals = vec![2951, 2585, 2063, 1306, 36, 35];
        let mut out = batch(&[0, 1, 2, 3, 4, 5], &totals);
        out.sort_unstable();
        assert_eq!(out, vec![3, 4, 5]);
    }

    #[test]
    fn batch_never_separates_candidates_with_equal_totals() {
        // 3 and 3 tie: taking one alone is not a batch, and both together reach the next.
        assert!(batch(&[0, 1, 2, 3], &[10, 6, 3, 3]).is_empty());
        let mut out = batch(&[0, 1, 2, 3], &[10, 9, 3, 3]);
        out.sort_unstable();
        assert_eq!(out, vec![2, 3]);
    }
}

#[cfg(test)]
mod count_tests {
    use crate::profile::{Ballots, Mark, Profile, OVERVOTE};
    use crate::{count, CountOptions, Method};

    fn profile(ballots: &[(u64, &[Mark])]) -> Profile {
        let mut b = Ballots::new();
        for (w, m) in ballots {
            b.push(*w, m).unwrap();
        }
        Profile {
            candidates: ["A", "B", "C"].iter().map(|s| s.to_string()).collect(),
            ballots: b,
            ..Profile::default()
        }
    }

    #[test]
    fn the_lowest_is_excluded_until_someone_holds_more_than_half_of_the_continuing_votes() {
        let p = profile(&[(4, &[0]), (3, &[1]), (2, &[2, 1]), (1, &[])]);
        let r = count(&p, &CountOptions::new(Method::Irv)).unwrap();
        assert_eq!(
            r.rounds[0].non_transferable, 1,
            "the blank ballot is exhausted from round 1"
        );
        assert_eq!(r.rounds[0].excluded, vec![2]);
        assert_eq!(r.rounds[1].tallies, vec![4, 5, 0]);
        assert_eq!(r.elected, vec![1]);
    }

    #[test]
    fn an_overvote_exhausts_the_ballot_where_it_stands() {
        let p = profile(&[(4, &[0]), (3, &[1]), (2, &[2, OVERVOTE, 1])]);
        let r = count(&p, &CountOptions::new(Method::Irv)).unwrap();
        assert_eq!(r.rounds[1].tallies, vec![4, 3, 0]);
        assert_eq!(r.rounds[1].non_transferable, 2);
        assert_eq!(r.elected, vec![0]);
    }
}
