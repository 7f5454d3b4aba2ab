//! Ballots as the count handles them: cleaned by the policies, laid out flat, and held by
//! candidates in parcels (papers that arrived together at one value), as at a count table.
//! Moving a parcel touches only its own papers, so a 500,000-ballot count stays linear.

use crate::profile::{Mark, Policies, Profile};

/// The clean rankings of every ballot, flat.
#[derive(Debug, Clone, Default)]
pub struct Clean {
    marks: Vec<Mark>,
    starts: Vec<u32>,
    weights: Vec<u64>,
    /// Weight of all ballots, blank included.
    pub total: u64,
    /// Weight of the ballots with no valid preference at all.
    pub blank: u64,
}

impl Clean {
    pub fn build(profile: &Profile, policies: &Policies) -> Clean {
        let mut c = Clean {
            marks: Vec::new(),
            starts: Vec::with_capacity(profile.ballots.len() + 1),
            weights: Vec::with_capacity(profile.ballots.len()),
            total: 0,
            blank: 0,
        };
        profile.for_each_clean(policies, |w, prefs| {
            c.total += w;
            if prefs.is_empty() {
                c.blank += w;
                return;
            }
            c.starts.push(c.marks.len() as u32);
            c.weights.push(w);
            c.marks.extend_from_slice(prefs);
        });
        c.starts.push(c.marks.len() as u32);
        c
    }

    /// Number of ballots with at least one preference.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    pub fn weight(&self, b: usize) -> u64 {
        self.weights[b]
    }

    pub fn prefs(&self, b: usize) -> &[Mark] {
        &self.marks[self.starts[b] as usize..self.starts[b + 1] as usize]
    }
}

/// Papers that sit together with a candidate, each worth `value` (in the count's units).
#[derive(Debug, Clone, Default)]
pub struct Parcel {
    pub value: i64,
    pub weight: u64,
    pub ballots: Vec<u32>,
}

/// Where every paper is: each ballot's current rank, and each candidate's parcels.
#[derive(Debug, Clone)]
pub struct Desk {
    pos: Vec<u32>,
    pub parcels: Vec<Vec<Parcel>>,
    buckets: Vec<Vec<u32>>,
    bucket_weight: Vec<u64>,
}

/// What one transfer did: value credited onwards, and value of papers with no next preference.
#[derive(Debug, Clone, Copy, Default)]
pub struct Moved {
    pub moved: i64,
    pub exhausted: i64,
}

impl Desk {
    /// Rule 45 and its like: every paper to its first preference at `value`.
    pub fn first_preferences(
        clean: &Clean,
        candidates: usize,
        value: i64,
        totals: &mut [i64],
    ) -> Desk {
        let mut parcels: Vec<Vec<Parcel>> = vec![Vec::new(); candidates];
        let mut weight = vec![0u64; candidates];
        let mut ballots: Vec<Vec<u32>> = vec![Vec::new(); candidates];
        for b in 0..clean.len() {
            let c = clean.prefs(b)[0] as usize;
            ballots[c].push(b as u32);
            weight[c] += clean.weight(b);
        }
        for c in 0..candidates {
            totals[c] = weight[c] as i64 * value;
            if !ballots[c].is_empty() {
                parcels[c].push(Parcel {
                    value,
                    weight: weight[c],
                    ballots: std::mem::take(&mut ballots[c]),
                });
            }
        }
        Desk {
            pos: vec![0; clean.len()],
            parcels,
            buckets: vec![Vec::new(); candidates],
            bucket_weight: vec![0; candidates],
        }
    }

    /// Moves the papers of `from` to their next continuing preference, each parcel at the value
    /// `value_of(its value)`; a parcel whose new value is 0 carries nothing and is left behind.
    pub fn transfer(
        &mut self,
        clean: &Clean,
        from: Vec<Parcel>,
        value_of: &dyn Fn(i64) -> i64,
        continuing: &[bool],
        totals: &mut [i64],
    ) -> Moved {
        let mut out = Moved::default();
        for p in from {
            let nv = value_of(p.value);
            if nv == 0 {
                continue;
            }
            out.moved += p.weight as i64 * nv;
            let mut gone: u64 = 0;
            for &b in &p.ballots {
                let prefs = clean.prefs(b as usize);
                let mut i = self.pos[b as usize] as usize + 1;
                while i < prefs.len() && !continuing[prefs[i] as usize] {
                    i += 1;
                }
                self.pos[b as usize] = i as u32;
                if i < prefs.len() {
                    let c = prefs[i] as usize;
                    self.buckets[c].push(b);
                    self.bucket_weight[c] += clean.weight(b as usize);
                } else {
                    gone += clean.weight(b as usize);
                }
            }
            for (c, bucket) in self.buckets.iter_mut().enumerate() {
                if bucket.is_empty() {
                    continue;
                }
                let w = std::mem::take(&mut self.bucket_weight[c]);
                totals[c] += w as i64 * nv;
                self.parcels[c].push(Parcel {
                    value: nv,
                    weight: w,
                    ballots: std::mem::take(bucket),
                });
            }
            out.exhausted += gone as i64 * nv;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Ballots;

    fn profile(ballots: &[(u64, &[Mark])]) -> Profile {
        let mut b = Ballots::new();
        for (w, m) in ballots {
            b.push(*w, m).unwrap();
        }
        Profile {
            candidates: vec!["A".into(), "B".into(), "C".into()],
            ballots: b,
            ..Profile::default()
        }
    }

    #[test]
    fn blank_ballots_are_set_aside_and_weights_kept() {
        let c = Clean::build(
            &profile(&[(2, &[0, 1]), (4, &[]), (1, &[2])]),
            &Policies::default(),
        );
        assert_eq!((c.len(), c.total, c.blank), (2, 7, 4));
        assert_eq!(c.prefs(1), &[2]);
    }

    #[test]
    fn a_transfer_skips_candidates_no_longer_continuing_and_counts_the_exhausted() {
        let c = Clean::build(
            &profile(&[(2, &[0, 1, 2]), (3, &[0, 1])]),
            &Policies::default(),
        );
        let mut totals = vec![0; 3];
        let mut desk = Desk::first_preferences(&c, 3, 10, &mut totals);
        assert_eq!(totals, vec![50, 0, 0]);
        let from = std::mem::take(&mut desk.parcels[0]);
        let m = desk.transfer(&c, from, &|v| v / 2, &[false, false, true], &mut totals);
        assert_eq!(totals, vec![50, 0, 10]);
        assert_eq!((m.moved, m.exhausted), (25, 15));
    }
}
