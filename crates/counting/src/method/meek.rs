//! Meek STV as Algorithm 123 (Hill, Wichmann & Woodall, Computer Journal 30(3), 1987):
//! keep values, a quota that falls as votes exhaust, and iteration to convergence.
//! Fixed point to 6 decimals (the paper's precision) in i64 units of 10^-6; an i64/i128 type of
//! our own rather than a bignum crate, because the paper fixes the precision and the rounding.

use super::scottish::order_by_total;
use super::{new_round, Status};
use crate::papers::Clean;
use crate::profile::{Policies, Profile};
use crate::result::{CountResult, Method, Tie};
use crate::tie::{break_tie, Lot, Want};

/// One vote, in units of 10^-6.
pub const ONE: i64 = 1_000_000;
/// 0.001% of the quota: |votes - quota| x 100,000 <= quota.
const TOLERANCE_DIVISOR: i64 = 100_000;
/// A guard on iterations: convergence is also declared when the surplus stops falling.
const MAX_ITERATIONS: usize = 100_000;

pub(crate) struct Options {
    pub seats: u32,
    pub policies: Policies,
    pub seed: u64,
}

fn ceil_div(a: i128, b: i128) -> i128 {
    (a + b - 1) / b
}

/// The ballots folded by what matters while no one's status changes: the elected candidates a
/// ballot passes through, in order, then the hopeful who takes the rest (or the end of the
/// ballot). Excluded candidates keep nothing and drop out of the path. Thousands of nodes
/// stand for 500,000 ballots, so each iteration of a stage costs almost nothing; the tree is
/// rebuilt, in one pass over the ballots, only when a status changes.
#[derive(Default)]
struct Paths {
    cand: Vec<usize>,
    mult: Vec<u64>,
    end: Vec<u64>,
    children: Vec<Vec<u32>>,
}

impl Paths {
    fn build(clean: &Clean, status: &[Status]) -> Paths {
        let mut t = Paths {
            cand: vec![usize::MAX],
            mult: vec![0],
            end: vec![0],
            children: vec![Vec::new()],
        };
        for b in 0..clean.len() {
            let w = clean.weight(b);
            let mut node = 0usize;
            t.mult[0] += w;
            let mut taken = false;
            for &m in clean.prefs(b) {
                let c = m as usize;
                match status[c] {
                    Status::Excluded | Status::Withdrawn => continue,
                    Status::Elected | Status::Continuing => {
                        let found = t.children[node]
                            .iter()
                            .copied()
                            .find(|&ch| t.cand[ch as usize] == c);
                        node = match found {
                            Some(ch) => ch as usize,
                            None => {
                                let ch = t.cand.len();
                                t.cand.push(c);
                                t.mult.push(0);
                                t.end.push(0);
                                t.children.push(Vec::new());
                                t.children[node].push(ch as u32);
                                ch
                            }
                        };
                        t.mult[node] += w;
                        if status[c] == Status::Continuing {
                            taken = true;
                            break;
                        }
                    }
                }
            }
            if !taken {
                t.end[node] += w;
            }
        }
        t
    }
}

struct Counter<'a> {
    clean: &'a Clean,
    paths: Paths,
    built_for: Vec<Status>,
    keep: Vec<i64>,
    totals: Vec<i64>,
    excess: i64,
    quota: i64,
    valid: i64,
    seats: i64,
    stack: Vec<(u32, i64)>,
}

impl Counter<'_> {
    /// Step 2 of the algorithm: every ballot gives each candidate in turn its keep value's share
    /// of what is left, rounded up; what is left at the end is excess. Then the quota.
    fn recount(&mut self, status: &[Status]) {
        if self.built_for != status {
            self.paths = Paths::build(self.clean, status);
            self.built_for = status.to_vec();
        }
        self.totals.iter_mut().for_each(|t| *t = 0);
        let t = &self.paths;
        // Papers whose every preference is excluded are excess at full value.
        let mut excess: i64 = t.end[0] as i64 * ONE;
        self.stack.clear();
        self.stack.extend(t.children[0].iter().map(|&ch| (ch, ONE)));
        while let Some((node, v)) = self.stack.pop() {
            let i = node as usize;
            let c = t.cand[i];
            let k = self.keep[c];
            let credit = if k >= ONE {
                v
            } else if k == 0 {
                0
            } else {
                ceil_div(i128::from(v) * i128::from(k), i128::from(ONE)) as i64
            };
            self.totals[c] += credit * t.mult[i] as i64;
            let rest = v - credit;
            if rest > 0 {
                excess += rest * t.end[i] as i64;
                self.stack
                    .extend(t.children[i].iter().map(|&ch| (ch, rest)));
            }
        }
        self.excess = excess;
        // Quota: (votes - excess) / (seats + 1), truncated to 6 decimals, plus 0.000001.
        self.quota = (self.valid - excess) / (self.seats + 1) + 1;
    }

    fn surplus(&self, status: &[Status]) -> i64 {
        (0..status.len())
            .filter(|&c| status[c] == Status::Elected)
            .map(|c| (self.totals[c] - self.quota).max(0))
            .sum()
    }

    /// Step 3: each elected candidate's keep value becomes keep x quota / votes, rounded up.
    fn update_keeps(&mut self, status: &[Status]) {
        for (c, st) in status.iter().enumerate() {
            if *st == Status::Elected && self.totals[c] > 0 {
                let k = ceil_div(
                    i128::from(self.keep[c]) * i128::from(self.quota),
                    i128::from(self.totals[c]),
                ) as i64;
                self.keep[c] = k.min(ONE);
            }
        }
    }
}

/// Converged when every elected candidate's votes are within 0.001% of the quota. Of the
/// limits in use for Algorithm 123 this is the one that reproduces the published reference
/// figures (an absolute limit of 0.00001 on the total surplus differs in the second decimal).
fn converged(m: &Counter, status: &[Status]) -> bool {
    (0..status.len())
        .filter(|&c| status[c] == Status::Elected)
        .all(|c| (m.totals[c] - m.quota).abs() * TOLERANCE_DIVISOR <= m.quota)
}

pub(crate) fn count(profile: &Profile, opts: &Options) -> CountResult {
    let n = profile.candidates.len();
    let clean = Clean::build(profile, &opts.policies);
    let mut status = vec![Status::Continuing; n];
    let mut keep = vec![ONE; n];
    for &w in &profile.withdrawn {
        status[w] = Status::Withdrawn;
        keep[w] = 0;
    }
    let rejected = clean.blank;
    let valid = (clean.total - rejected) as i64 * ONE;
    let seats = opts.seats as usize;
    let mut m = Counter {
        clean: &clean,
        paths: Paths::default(),
        built_for: Vec::new(),
        keep,
        totals: vec![0; n],
        excess: 0,
        quota: 0,
        valid,
        seats: i64::from(opts.seats),
        stack: Vec::new(),
    };
    m.recount(&status);
    let mut rounds = Vec::new();
    let mut history: Vec<Vec<i64>> = Vec::new();
    let mut ties: Vec<Tie> = Vec::new();
    let mut lot = Lot::new(opts.seed);
    let mut elected: Vec<usize> = Vec::new();
    let mut action = String::from("First preferences");
    // Set when rounding stops the surplus falling above the limit: iterating again would loop.
    let mut stalled = false;

    loop {
        let stage = rounds.len() + 1;
        let mut round = new_round(
            stage,
            std::mem::take(&mut action),
            m.totals.clone(),
            m.excess,
        );
        round.quota = Some(m.quota);
        let mut reached: Vec<usize> = (0..n)
            .filter(|&c| status[c] == Status::Continuing && m.totals[c] >= m.quota)
            .collect();
        for c in order_by_total(
            &mut reached,
            &m.totals,
            &history,
            &mut lot,
            stage,
            &mut ties,
        ) {
            status[c] = Status::Elected;
            elected.push(c);
            round.elected.push(c);
            // A new surplus to share: the earlier stall no longer holds.
            stalled = false;
        }
        let mut hopeful: Vec<usize> = (0..n)
            .filter(|&c| status[c] == Status::Continuing)
            .collect();
        if elected.len() < seats && hopeful.len() <= seats - elected.len() {
            for c in order_by_total(
                &mut hopeful,
                &m.totals,
                &history,
                &mut lot,
                stage,
                &mut ties,
            ) {
                status[c] = Status::Elected;
                elected.push(c);
                round.elected.push(c);
            }
        }
        history.push(m.totals.clone());
        rounds.push(round);
        if elected.len() >= seats || hopeful.is_empty() {
            break;
        }

        if !stalled && !converged(&m, &status) {
            // A stage of iteration runs to convergence; anyone then at the quota is elected.
            let mut last = i64::MAX;
            for _ in 0..MAX_ITERATIONS {
                m.update_keeps(&status);
                m.recount(&status);
                let s = m.surplus(&status);
                if converged(&m, &status) {
                    break;
                }
                if s >= last {
                    stalled = true;
                    break;
                }
                last = s;
            }
            action = "Surpluses distributed".into();
            continue;
        }

        let low = hopeful.iter().map(|&c| m.totals[c]).min().unwrap_or(0);
        let tied: Vec<usize> = hopeful
            .iter()
            .copied()
            .filter(|&c| m.totals[c] == low)
            .collect();
        let c = if tied.len() == 1 {
            tied[0]
        } else {
            let (c, how) = break_tie(&tied, &history[..history.len() - 1], Want::Lowest, &mut lot);
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
        stalled = false;
        m.keep[c] = 0;
        if let Some(r) = rounds.last_mut() {
            r.excluded.push(c);
        }
        m.recount(&status);
        action = format!("Exclusion of {}", profile.candidates[c]);
    }

    let final_quota = rounds.last().and_then(|r| r.quota);
    CountResult {
        method: Method::StvMeek,
        rule: format!(
            "Meek STV, Algorithm 123 (Hill, Wichmann & Woodall 1987): fixed point to 6 decimal places, \
             amounts credited and keep values rounded up; quota (votes - excess)/(seats+1) truncated to \
             6 decimals plus 0.000001, elected on reaching it; iteration until every elected candidate is within \
             0.001% of the quota (or the surplus stops falling); the lowest candidate excluded one at a time, ties by the most recent \
             earlier stage where the totals differed, then by lot (seed {}); ballots with no valid first \
             preference rejected; {}",
            opts.seed,
            opts.policies.describe()
        ),
        title: profile.title.clone(),
        candidates: profile.candidates.clone(),
        withdrawn: profile.withdrawn.clone(),
        seats: opts.seats,
        scale: 6,
        quota: final_quota,
        valid,
        rejected,
        elected,
        rounds,
        ties,
        threshold: None,
    }
}

#[cfg(test)]
mod tests {
    use super::ONE;
    use crate::profile::{Ballots, Mark, Profile};
    use crate::{count, CountOptions, Method};

    fn profile(seats: u32, ballots: &[(u64, &[Mark])]) -> Profile {
        let mut b = Ballots::new();
        for (w, m) in ballots {
            b.push(*w, m).unwrap();
        }
        Profile {
            candidates: ["A", "B", "C", "D"].iter().map(|s| s.to_string()).collect(),
            seats: Some(seats),
            ballots: b,
            ..Profile::default()
        }
    }

    #[test]
    fn a_surplus_is_shared_by_keep_values_until_the_elected_sit_at_the_quota() {
        let p = profile(2, &[(60, &[0, 1]), (25, &[2]), (15, &[3, 2])]);
        let r = count(&p, &CountOptions::new(Method::StvMeek)).unwrap();
        assert_eq!(r.rounds[0].elected, vec![0]);
        // Stage 2 iterates A's keep value down: A sits within 0.001% of the quota, B gains.
        let s2 = &r.rounds[1];
        let q = s2.quota.unwrap();
        assert!(
            (s2.tallies[0] - q).abs() * 100_000 <= q,
            "{} vs {q}",
            s2.tallies[0]
        );
        assert!(s2.tallies[1] > 25 * ONE);
        assert_eq!(r.elected.len(), 2);
        assert_eq!(r.elected[0], 0);
    }

    #[test]
    fn a_withdrawn_candidate_is_passed_over() {
        let mut p = profile(1, &[(3, &[0, 1]), (2, &[1]), (2, &[2])]);
        p.withdrawn = vec![0];
        let r = count(&p, &CountOptions::new(Method::StvMeek)).unwrap();
        assert_eq!(r.rounds[0].tallies, vec![0, 5 * ONE, 2 * ONE, 0]);
        assert_eq!(r.elected, vec![1]);
    }
}
