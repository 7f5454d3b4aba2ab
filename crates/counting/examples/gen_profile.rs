//! Writes a synthetic BLT profile for the benchmark in bench/count.sh:
//! `gen_profile BALLOTS CANDIDATES SEATS SEED > profile.blt`. Ballots have a random length
//! (1 to all candidates) and a random order, so most rankings are distinct; a few candidates
//! are made more popular so that the count has surpluses as well as exclusions.

use std::io::{BufWriter, Write};

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let ballots = args.first().copied().unwrap_or(500_000);
    let cands = args.get(1).copied().unwrap_or(12).clamp(2, 60) as usize;
    let seats = args.get(2).copied().unwrap_or(3);
    let mut rng = SplitMix(args.get(3).copied().unwrap_or(2024));
    // Popularity weights: candidate i drawn with weight (cands - i)^2 for the first preference.
    let weights: Vec<u64> = (0..cands)
        .map(|i| ((cands - i) * (cands - i)) as u64)
        .collect();
    let total: u64 = weights.iter().sum();
    let out = std::io::stdout();
    let mut w = BufWriter::with_capacity(1 << 20, out.lock());
    writeln!(w, "{cands} {seats}")?;
    let mut order: Vec<usize> = (0..cands).collect();
    for _ in 0..ballots {
        let mut pick = rng.below(total);
        let mut first = 0;
        while pick >= weights[first] {
            pick -= weights[first];
            first += 1;
        }
        order.clear();
        order.extend(0..cands);
        order.swap(0, first);
        for i in 1..cands {
            let j = i + rng.below((cands - i) as u64) as usize;
            order.swap(i, j);
        }
        let len = 1 + rng.below(cands as u64) as usize;
        w.write_all(b"1")?;
        for &c in &order[..len] {
            write!(w, " {}", c + 1)?;
        }
        w.write_all(b" 0\n")?;
    }
    writeln!(w, "0")?;
    for i in 0..cands {
        writeln!(w, "\"Candidate {}\"", i + 1)?;
    }
    writeln!(w, "\"Synthetic benchmark profile\"")?;
    w.flush()
}
