//! Breaking ties the way the Scottish rules do (49(2), 51): the totals at the most recent
//! earlier stage where the tied candidates differed, then by lot from a recorded seed.
//! The lot is SplitMix64 written out here rather than a crate's RNG so that a published seed
//! reproduces the same draw in every future version.

/// A reproducible drawing of lots.
#[derive(Debug, Clone)]
pub struct Lot {
    seed: u64,
    state: u64,
}

impl Lot {
    pub fn new(seed: u64) -> Self {
        Self { seed, state: seed }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Draws one of `n` without modulo bias.
    pub fn draw(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }
}

/// Which end of the tie the rule wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Lowest,
    Highest,
}

/// Picks one of `tied` by earlier stages (`history`, oldest first, the current stage excluded),
/// then by lot; returns the choice and how it was made.
pub fn break_tie(
    tied: &[usize],
    history: &[Vec<i64>],
    want: Want,
    lot: &mut Lot,
) -> (usize, String) {
    let mut left: Vec<usize> = tied.to_vec();
    left.sort_unstable();
    for (k, stage) in history.iter().enumerate().rev() {
        let pick = match want {
            Want::Lowest => left.iter().map(|&c| stage[c]).min(),
            Want::Highest => left.iter().map(|&c| stage[c]).max(),
        };
        let Some(pick) = pick else { break };
        let keep: Vec<usize> = left.iter().copied().filter(|&c| stage[c] == pick).collect();
        if keep.len() < left.len() {
            left = keep;
            if left.len() == 1 {
                return (left[0], format!("totals at stage {}", k + 1));
            }
        }
    }
    let i = lot.draw(left.len());
    (left[i], format!("lot (seed {})", lot.seed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_recent_stage_where_they_differed_decides() {
        let history = vec![vec![5, 3, 9], vec![6, 6, 9], vec![7, 8, 9]];
        let mut lot = Lot::new(1);
        assert_eq!(
            break_tie(&[0, 1], &history, Want::Lowest, &mut lot),
            (0, "totals at stage 3".into())
        );
        assert_eq!(break_tie(&[0, 1], &history, Want::Highest, &mut lot).0, 1);
    }

    #[test]
    fn equal_at_every_stage_goes_to_lot_and_the_seed_reproduces_it() {
        let history = vec![vec![5, 5, 5]];
        let a = break_tie(&[0, 1, 2], &history, Want::Lowest, &mut Lot::new(42));
        let b = break_tie(&[2, 1, 0], &history, Want::Lowest, &mut Lot::new(42));
        assert_eq!(a, b);
        assert!(a.1.contains("seed 42"));
    }

    #[test]
    fn a_draw_covers_every_candidate() {
        let mut lot = Lot::new(7);
        let mut seen = [false; 3];
        for _ in 0..100 {
            seen[lot.draw(3)] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
