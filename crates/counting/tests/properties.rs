//! Properties every count must keep, on random profiles: votes are conserved exactly at every
//! stage, no one is elected twice, IRV and one-seat Scottish STV agree where their rules
//! coincide, ballot order changes nothing, and no parser panics on any bytes.
#![allow(clippy::unwrap_used)]

use caucus_counting::profile::{Ballots, Mark};
use caucus_counting::{count, parse, CountOptions, CountResult, Method, Profile};
use proptest::prelude::*;

fn profile_strategy() -> impl Strategy<Value = Profile> {
    (2usize..7).prop_flat_map(|n| {
        let ballot = (
            1u64..6,
            Just(n).prop_flat_map(|n| {
                (
                    Just((0..n as Mark).collect::<Vec<_>>()).prop_shuffle(),
                    0..=n,
                )
            }),
        );
        (Just(n), prop::collection::vec(ballot, 1..40), 1u32..4).prop_map(|(n, ballots, seats)| {
            let mut b = Ballots::new();
            for (w, (perm, len)) in ballots {
                b.push(w, &perm[..len]).unwrap();
            }
            Profile {
                title: None,
                candidates: (0..n).map(|i| format!("C{i}")).collect(),
                seats: Some(seats),
                withdrawn: Vec::new(),
                ballots: b,
            }
        })
    })
}

fn conserved(r: &CountResult) -> Result<(), TestCaseError> {
    for k in &r.rounds {
        let sum: i64 = k.tallies.iter().sum();
        prop_assert_eq!(
            sum + k.non_transferable,
            r.valid,
            "round {} of {}",
            k.number,
            r.method.id()
        );
        prop_assert!(k.tallies.iter().all(|t| *t >= 0));
    }
    Ok(())
}

fn elected_once(r: &CountResult) -> Result<(), TestCaseError> {
    let mut seen = r.elected.clone();
    seen.sort_unstable();
    seen.dedup();
    prop_assert_eq!(seen.len(), r.elected.len(), "someone elected twice");
    prop_assert!(r.elected.len() <= r.seats as usize);
    let by_round: usize = r.rounds.iter().map(|k| k.elected.len()).sum();
    prop_assert_eq!(by_round, r.elected.len());
    for k in &r.rounds {
        for c in &k.excluded {
            prop_assert!(!r.elected.contains(c), "an excluded candidate was elected");
        }
    }
    Ok(())
}

fn run(p: &Profile, m: Method) -> CountResult {
    count(p, &CountOptions::new(m)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_stage_conserves_the_valid_votes_exactly(p in profile_strategy()) {
        for m in [Method::StvScottish, Method::StvMeek, Method::Irv] {
            let r = run(&p, m);
            conserved(&r)?;
            elected_once(&r)?;
        }
        for m in [Method::Fptp, Method::Block, Method::Approval] {
            elected_once(&run(&p, m))?;
        }
    }

    #[test]
    fn irv_elects_as_one_seat_scottish_stv_does_when_no_lot_is_drawn(p in profile_strategy()) {
        let mut one = p.clone();
        one.seats = Some(1);
        let irv = run(&one, Method::Irv);
        let stv = run(&one, Method::StvScottish);
        let by_lot = |r: &CountResult| r.ties.iter().any(|t| t.resolved_by.starts_with("lot"));
        if !by_lot(&irv) && !by_lot(&stv) {
            prop_assert_eq!(irv.elected, stv.elected);
        }
    }

    #[test]
    fn permuting_the_ballots_changes_nothing(p in profile_strategy(), seed in any::<u64>()) {
        let mut order: Vec<usize> = (0..p.ballots.len()).collect();
        // A Fisher-Yates shuffle driven by the generated seed.
        let mut s = seed | 1;
        for i in (1..order.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            order.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let mut b = Ballots::new();
        for &i in &order {
            let (w, m) = p.ballots.get(i);
            b.push(w, m).unwrap();
        }
        let q = Profile { ballots: b, ..p.clone() };
        for m in [Method::StvScottish, Method::StvMeek, Method::Irv, Method::Fptp, Method::Block, Method::Approval] {
            let (a, b) = (run(&p, m), run(&q, m));
            prop_assert_eq!(&a.rounds, &b.rounds, "{}", m.id());
            prop_assert_eq!(&a.elected, &b.elected);
        }
    }

    #[test]
    fn a_profile_written_as_blt_reads_back_the_same(p in profile_strategy()) {
        let mut text = format!("{} {}\n", p.candidates.len(), p.seats.unwrap_or(1));
        for (w, marks) in p.ballots.iter() {
            text.push_str(&w.to_string());
            for m in marks {
                text.push_str(&format!(" {}", m + 1));
            }
            text.push_str(" 0\n");
        }
        text.push_str("0\n");
        for c in &p.candidates {
            text.push_str(&format!("\"{c}\"\n"));
        }
        let q = parse::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(q.ballots, p.ballots);
        prop_assert_eq!(q.candidates, p.candidates);
    }

    #[test]
    fn no_parser_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse::parse(&bytes);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = parse::blt::parse_str(text);
            let _ = parse::csv::parse_wide(text);
            let _ = parse::csv::parse_long(text);
        }
    }

    #[test]
    fn no_parser_panics_on_text_close_to_valid(
        lines in prop::collection::vec(prop::sample::select(vec![
            "3 2", "-2", "1 1 2 0", "2 3 0", "1 0", "0", "\"A\"", "\"B\"", "\"C\"", "\"T\"", "# c",
            "1 1=2 0", "1 - 2 0", "(x) 1 1 0", "", "1 4 0", "x", "\"open",
            "ballot_id,rank,choice", "b1,1,A", "b1,2,$OVERVOTE", "b2,1,undervote", "b3,0,A",
            "choice1,choice2,count", "A,B,2", "A,,x", ",,", "A,B", "choice1,choice1",
        ]), 0..12)
    ) {
        let text = lines.join("\n");
        let _ = parse::parse(text.as_bytes());
        let _ = parse::blt::parse_str(&text);
        let _ = parse::csv::parse_wide(&text);
        let _ = parse::csv::parse_long(&text);
    }
}
