//! Ballots folded into a prefix tree. Ballots that share their first k preferences share a
//! node, and in IRV, Scottish STV and Meek they are always at the same place with the same
//! value, so a transfer moves a node, not each of its ballots: this is what makes a
//! 500,000-ballot count take milliseconds.

use crate::profile::{Mark, Policies, Profile};

pub const ROOT: u32 = 0;
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub struct Trie {
    /// The candidate of each node (unused for the root).
    pub cand: Vec<Mark>,
    /// Weight of the ballots that pass through each node.
    pub mult: Vec<u64>,
    /// Weight of the ballots whose ranking ends at each node.
    pub end: Vec<u64>,
    first_child: Vec<u32>,
    next_sibling: Vec<u32>,
}

impl Trie {
    pub fn build(profile: &Profile, policies: &Policies) -> Trie {
        let mut t = Trie {
            cand: vec![Mark::MAX],
            mult: vec![0],
            end: vec![0],
            first_child: vec![NONE],
            next_sibling: vec![NONE],
        };
        profile.for_each_clean(policies, |w, prefs| t.insert(w, prefs));
        t
    }

    fn insert(&mut self, w: u64, prefs: &[Mark]) {
        let mut node = ROOT;
        self.mult[0] += w;
        for &c in prefs {
            let mut child = self.first_child[node as usize];
            while child != NONE && self.cand[child as usize] != c {
                child = self.next_sibling[child as usize];
            }
            if child == NONE {
                child = self.cand.len() as u32;
                self.cand.push(c);
                self.mult.push(0);
                self.end.push(0);
                self.first_child.push(NONE);
                self.next_sibling.push(self.first_child[node as usize]);
                self.first_child[node as usize] = child;
            }
            node = child;
            self.mult[node as usize] += w;
        }
        self.end[node as usize] += w;
    }

    pub fn children(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        let mut c = self.first_child[node as usize];
        std::iter::from_fn(move || {
            if c == NONE {
                None
            } else {
                let out = c;
                c = self.next_sibling[c as usize];
                Some(out)
            }
        })
    }

    pub fn len(&self) -> usize {
        self.cand.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cand.len() <= 1
    }

    /// Moves the papers sitting at `node` on to the next candidate for whom `accepts` is true:
    /// `give(candidate, node)` receives each parcel; returns the weight of the papers that
    /// had no such preference.
    pub fn pass_on(
        &self,
        node: u32,
        accepts: &dyn Fn(Mark) -> bool,
        give: &mut dyn FnMut(Mark, u32),
    ) -> u64 {
        let mut exhausted = self.end[node as usize];
        let mut stack: Vec<u32> = self.children(node).collect();
        while let Some(ch) = stack.pop() {
            let c = self.cand[ch as usize];
            if accepts(c) {
                give(c, ch);
            } else {
                exhausted += self.end[ch as usize];
                stack.extend(self.children(ch));
            }
        }
        exhausted
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
    fn shared_prefixes_share_nodes_and_weights_add_up() {
        let t = Trie::build(
            &profile(&[(2, &[0, 1]), (3, &[0, 2]), (1, &[0]), (4, &[])]),
            &Policies::default(),
        );
        assert_eq!(t.len(), 4);
        assert_eq!(t.mult[0], 10);
        assert_eq!(t.end[0], 4);
        let a = t.children(ROOT).next().unwrap();
        assert_eq!((t.mult[a as usize], t.end[a as usize]), (6, 1));
    }

    #[test]
    fn passing_on_skips_candidates_no_longer_accepting() {
        let t = Trie::build(
            &profile(&[(2, &[0, 1, 2]), (3, &[0, 1])]),
            &Policies::default(),
        );
        let a = t.children(ROOT).next().unwrap();
        let mut got = Vec::new();
        let ex = t.pass_on(a, &|c| c == 2, &mut |c, n| {
            got.push((c, t.mult[n as usize]))
        });
        assert_eq!(got, vec![(2, 2)]);
        assert_eq!(ex, 3);
    }
}
