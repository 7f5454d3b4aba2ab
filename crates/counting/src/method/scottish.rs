//! Scottish STV: the Scottish Local Government Elections Order 2007 (SSI 2007/42), Schedule 1,
//! counting rules 45-52, re-enacted as rules 46-53 of SSI 2011/399 (53(2) amended 2021).
//! Values are integers in units of 0.00001 so that rule 48(3)'s "five decimal places (any
//! remainder being ignored)" is an integer floor division, exactly.

use super::{new_round, Status};
use crate::papers::{Clean, Desk};
use crate::profile::{Policies, Profile};
use crate::result::{CountResult, Method, Tie};
use crate::tie::{break_tie, Lot, Want};

/// One vote, in units of 10^-5.
pub const ONE: i64 = 100_000;

pub(crate) struct Options {
    pub seats: u32,
    pub policies: Policies,
    pub seed: u64,
}

pub(crate) fn count(profile: &Profile, opts: &Options) -> CountResult {
    let n = profile.candidates.len();
    let clean = Clean::build(profile, &opts.policies);
    let mut status = vec![Status::Continuing; n];
    for &w in &profile.withdrawn {
        status[w] = Status::Withdrawn;
    }
    let rejected = clean.blank;
    let valid_papers = clean.total - rejected;
    // Rule 46: valid papers / (seats + 1), decimals ignored, plus one.
    let quota = (valid_papers / (u64::from(opts.seats) + 1) + 1) as i64 * ONE;

    let mut totals = vec![0i64; n];
    // Rule 45: first preferences.
    let mut desk = Desk::first_preferences(&clean, n, ONE, &mut totals);
    let mut nt: i64 = 0;
    let mut rounds = vec![new_round(1, "First preferences".into(), totals.clone(), nt)];
    let mut history: Vec<Vec<i64>> = vec![totals.clone()];
    let mut elected: Vec<usize> = Vec::new();
    let mut pending: Vec<usize> = Vec::new();
    let mut ties: Vec<Tie> = Vec::new();
    let mut lot = Lot::new(opts.seed);
    let seats = opts.seats as usize;

    loop {
        let stage = rounds.len();
        let earlier = &history[..stage - 1];
        // Rule 47: everyone at or over the quota is deemed elected, the largest first.
        let mut reached: Vec<usize> = (0..n)
            .filter(|&c| status[c] == Status::Continuing && totals[c] >= quota)
            .collect();
        let order = order_by_total(&mut reached, &totals, earlier, &mut lot, stage, &mut ties);
        for c in order {
            status[c] = Status::Elected;
            elected.push(c);
            rounds[stage - 1].elected.push(c);
            if totals[c] > quota {
                pending.push(c);
            }
        }
        if elected.len() >= seats {
            break;
        }
        // Rule 52: as many continuing candidates as vacancies: they are elected, no more transfers.
        let mut continuing: Vec<usize> = (0..n)
            .filter(|&c| status[c] == Status::Continuing)
            .collect();
        if continuing.len() <= seats - elected.len() {
            let order = order_by_total(
                &mut continuing,
                &totals,
                earlier,
                &mut lot,
                stage,
                &mut ties,
            );
            for c in order {
                status[c] = Status::Elected;
                elected.push(c);
                rounds[stage - 1].elected.push(c);
            }
            break;
        }

        if !pending.is_empty() {
            // Rules 48-49: the largest surplus first; equal surpluses by earlier stages, then lot.
            let best = pending.iter().map(|&c| totals[c]).max().unwrap_or(0);
            let tied: Vec<usize> = pending
                .iter()
                .copied()
                .filter(|&c| totals[c] == best)
                .collect();
            let c = if tied.len() == 1 {
                tied[0]
            } else {
                let (c, how) = break_tie(&tied, earlier, Want::Highest, &mut lot);
                ties.push(Tie {
                    round: stage,
                    purpose: "surplus order".into(),
                    between: tied,
                    chosen: c,
                    resolved_by: how,
                });
                c
            };
            pending.retain(|&p| p != c);
            let surplus = totals[c] - quota;
            let total = totals[c];
            let continuing: Vec<bool> = status.iter().map(|s| *s == Status::Continuing).collect();
            let from = std::mem::take(&mut desk.parcels[c]);
            // Rule 48(3): surplus x value when received / total, floored at 5 decimals.
            let tv = |v: i64| (i128::from(surplus) * i128::from(v) / i128::from(total)) as i64;
            let m = desk.transfer(&clean, from, &tv, &continuing, &mut totals);
            nt += m.exhausted;
            let moved = m.moved;
            // What truncation kept back is non-transferable too (the official sheets count it so).
            nt += surplus - moved;
            totals[c] = quota;
            let action = format!(
                "Transfer of the surplus of {} ({})",
                profile.candidates[c],
                crate::result::fmt_units(surplus, 5)
            );
            rounds.push(new_round(stage + 1, action, totals.clone(), nt));
            history.push(totals.clone());
            continue;
        }

        // Rules 50-51: exclude the lowest; equal lowest by earlier stages, then lot.
        let low = continuing.iter().map(|&c| totals[c]).min().unwrap_or(0);
        let tied: Vec<usize> = continuing
            .iter()
            .copied()
            .filter(|&c| totals[c] == low)
            .collect();
        let c = if tied.len() == 1 {
            tied[0]
        } else {
            let (c, how) = break_tie(&tied, earlier, Want::Lowest, &mut lot);
            ties.push(Tie {
                round: stage,
                purpose: "exclusion".into(),
                between: tied,
                chosen: c,
                resolved_by: how,
            });
            c
        };
        status[c] = Status::Excluded;
        rounds[stage - 1].excluded.push(c);
        // Rule 50(4): each paper moves at the value at which the excluded candidate received it.
        let continuing: Vec<bool> = status.iter().map(|s| *s == Status::Continuing).collect();
        let from = std::mem::take(&mut desk.parcels[c]);
        nt += desk
            .transfer(&clean, from, &|v| v, &continuing, &mut totals)
            .exhausted;
        totals[c] = 0;
        let action = format!("Exclusion of {}", profile.candidates[c]);
        rounds.push(new_round(stage + 1, action, totals.clone(), nt));
        history.push(totals.clone());
    }

    CountResult {
        method: Method::StvScottish,
        rule: format!(
            "Scottish STV: Scottish Local Government Elections Order 2007 (SSI 2007/42) Sch. 1 rules 45-52 \
             (SSI 2011/399 rules 46-53): Droop quota floor(valid/(seats+1))+1; weighted inclusive Gregory \
             transfers, transfer values to 5 decimal places with any remainder ignored; largest surplus first; \
             exclusion of the lowest; ties by the most recent earlier stage where the totals differed, then by \
             lot (seed {}); non-transferable includes the value lost to truncation; ballots with no valid first \
             preference rejected; {}",
            opts.seed,
            opts.policies.describe()
        ),
        title: profile.title.clone(),
        candidates: profile.candidates.clone(),
        withdrawn: profile.withdrawn.clone(),
        seats: opts.seats,
        scale: 5,
        quota: Some(quota),
        valid: valid_papers as i64 * ONE,
        rejected,
        elected,
        rounds,
        ties,
        threshold: None,
    }
}

/// Orders candidates by total, highest first; equal totals by earlier stages, then lot.
pub(crate) fn order_by_total(
    cands: &mut Vec<usize>,
    totals: &[i64],
    earlier: &[Vec<i64>],
    lot: &mut Lot,
    stage: usize,
    ties: &mut Vec<Tie>,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(cands.len());
    while !cands.is_empty() {
        let best = cands.iter().map(|&c| totals[c]).max().unwrap_or(0);
        let tied: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|&c| totals[c] == best)
            .collect();
        let c = if tied.len() == 1 {
            tied[0]
        } else {
            let (c, how) = break_tie(&tied, earlier, Want::Highest, lot);
            ties.push(Tie {
                round: stage,
                purpose: "order of election".into(),
                between: tied,
                chosen: c,
                resolved_by: how,
            });
            c
        };
        cands.retain(|&x| x != c);
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::profile::{Ballots, Mark, Profile};
    use crate::{count, CountOptions, CountResult, Method};

    fn run(seats: u32, ballots: &[(u64, &[Mark])]) -> CountResult {
        let mut b = Ballots::new();
        for (w, m) in ballots {
            b.push(*w, m).unwrap();
        }
        let n = ballots
            .iter()
            .flat_map(|(_, m)| m.iter())
            .max()
            .map_or(1, |m| *m as usize + 1);
        let p = Profile {
            candidates: (0..n)
                .map(|i| ["A", "B", "C", "D", "E"][i].to_string())
                .collect(),
            seats: Some(seats),
            ballots: b,
            ..Profile::default()
        };
        count(&p, &CountOptions::new(Method::StvScottish)).unwrap()
    }

    #[test]
    fn the_value_lost_to_truncation_is_non_transferable() {
        // Quota 4; A's surplus 3 over 7 papers: 3/7 = 0.42857 (remainder ignored).
        let r = run(2, &[(7, &[0, 1]), (2, &[1]), (1, &[2])]);
        assert_eq!(r.quota, Some(400_000));
        assert_eq!(r.rounds[1].tallies[1], 200_000 + 7 * 42_857);
        assert_eq!(r.rounds[1].non_transferable, 1);
    }

    #[test]
    fn the_largest_of_two_surpluses_from_one_stage_goes_first() {
        // Quota 6; A (10) and B (8) both elected at stage 1.
        let r = run(3, &[(10, &[0, 2]), (8, &[1, 3]), (1, &[2]), (1, &[3])]);
        assert_eq!(r.rounds[0].elected, vec![0, 1]);
        assert!(
            r.rounds[1].action.contains("surplus of A"),
            "{}",
            r.rounds[1].action
        );
        assert!(
            r.rounds[2].action.contains("surplus of B"),
            "{}",
            r.rounds[2].action
        );
    }

    #[test]
    fn equal_lowest_candidates_are_split_by_the_most_recent_stage_where_they_differed() {
        // Quota 7. Stage 2: A's surplus exhausts. Stage 3: D's paper makes C equal to B at 4;
        // at stage 2 C had 3 to B's 4, so C is excluded.
        let r = run(2, &[(10, &[0]), (4, &[1]), (3, &[2, 1]), (1, &[3, 2])]);
        assert_eq!(r.rounds[2].tallies[1], r.rounds[2].tallies[2]);
        assert_eq!(r.rounds[2].excluded, vec![2]);
        assert_eq!(r.ties.len(), 1);
        assert_eq!(r.ties[0].resolved_by, "totals at stage 2");
        assert_eq!(r.elected, vec![0, 1]);
    }

    #[test]
    fn a_tie_at_every_stage_is_drawn_by_lot_and_recorded_with_the_seed() {
        let r = run(1, &[(4, &[0]), (2, &[1, 0]), (2, &[2, 0])]);
        assert_eq!(r.ties.len(), 1);
        assert!(r.ties[0].resolved_by.starts_with("lot (seed 1)"));
        assert_eq!(r.elected, vec![0]);
    }

    #[test]
    fn the_last_vacancies_go_to_the_continuing_candidates_without_further_transfers() {
        // Quota 5, never reached: D then C are excluded, and A and B fill the two seats.
        let r = run(2, &[(4, &[0]), (4, &[1]), (3, &[2]), (2, &[3])]);
        assert_eq!(r.rounds[0].excluded, vec![3]);
        assert_eq!(r.rounds[1].excluded, vec![2]);
        let mut last = r.rounds[2].elected.clone();
        last.sort_unstable();
        assert_eq!(last, vec![0, 1]);
        assert_eq!(r.rounds.len(), 3);
    }
}
