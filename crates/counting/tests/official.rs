//! Every case in shared/data/ballots reproduced: the Scottish counts stage by stage to the fifth
//! decimal, Burlington's first two rounds and winner, the ERS97 Meek reference totals.
//! The files are read from the shared folder beside the repository; nothing is copied in.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use caucus_counting::{count, parse, CountOptions, CountResult, Method};
use serde_json::Value;

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ballots")
}

fn load(rel: &str) -> Vec<u8> {
    let p = data().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json(rel: &str) -> Value {
    serde_json::from_slice(&load(rel)).unwrap()
}

fn idx(r: &CountResult, name: &str) -> usize {
    r.candidates
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no candidate {name}"))
}

fn scottish(case: &str) {
    let dir = format!("scottish_stv_2017/{case}");
    let profile = parse::parse(&load(&format!("{dir}/ballots.blt"))).unwrap();
    let exp = json(&format!("{dir}/expected.json"));
    let r = count(&profile, &CountOptions::new(Method::StvScottish)).unwrap();

    assert_eq!(r.seats as u64, exp["seats"].as_u64().unwrap());
    assert_eq!(
        r.quota,
        Some(exp["quota"].as_i64().unwrap() * 100_000),
        "quota"
    );
    assert_eq!(
        r.valid,
        exp["valid_votes"].as_i64().unwrap() * 100_000,
        "valid votes"
    );
    let stages = exp["stages"].as_array().unwrap();
    assert_eq!(r.rounds.len(), stages.len(), "number of stages");
    for (k, st) in stages.iter().enumerate() {
        for (name, v) in st["votes"].as_object().unwrap() {
            assert_eq!(
                r.fmt(r.rounds[k].tallies[idx(&r, name)]),
                v.as_str().unwrap(),
                "{case}: stage {} total of {name}",
                k + 1
            );
        }
    }
    // Winners with the stage each was elected at.
    let mut want: Vec<(String, u64)> = exp["elected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["candidate"].as_str().unwrap().to_string(),
                e["stage"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut got: Vec<(String, u64)> = r
        .elected
        .iter()
        .map(|&c| {
            let stage = r
                .rounds
                .iter()
                .find(|k| k.elected.contains(&c))
                .unwrap()
                .number;
            (r.candidates[c].clone(), stage as u64)
        })
        .collect();
    // The order within one stage is not fixed by the expected file: compare stage by stage.
    want.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    got.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    assert_eq!(got, want, "{case}: elected");
    let want_ex: Vec<(String, u64)> = exp["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["candidate"].as_str().unwrap().to_string(),
                e["stage"].as_u64().unwrap(),
            )
        })
        .collect();
    let got_ex: Vec<(String, u64)> = r
        .rounds
        .iter()
        .flat_map(|k| k.excluded.iter().map(move |&c| (c, k.number)))
        .map(|(c, s)| (r.candidates[c].clone(), s as u64))
        .collect();
    assert_eq!(got_ex, want_ex, "{case}: excluded");
}

#[test]
fn edinburgh_almond_2017_matches_the_official_count_stage_by_stage() {
    scottish("edinburgh_2017_ward01_almond");
}

#[test]
fn shetland_lerwick_north_2017_matches_the_official_count_stage_by_stage() {
    scottish("shetland_2017_ward6_lerwick_north");
}

#[test]
fn moray_fochabers_lhanbryde_2017_fills_the_last_seats_as_the_official_count_did() {
    scottish("moray_2017_ward4_fochabers_lhanbryde");
}

/// A decimal as printed on a sheet ("99", "112.84448") in units of 10^-5.
fn units5(s: &str) -> i64 {
    let (a, b) = s.split_once('.').unwrap_or((s, ""));
    assert!(b.len() <= 5, "{s}");
    a.parse::<i64>().unwrap() * 100_000 + format!("{b:0<5}").parse::<i64>().unwrap()
}

#[test]
fn the_official_stage_files_agree_with_the_count_for_every_scottish_case() {
    for case in [
        "edinburgh_2017_ward01_almond",
        "shetland_2017_ward6_lerwick_north",
        "moray_2017_ward4_fochabers_lhanbryde",
    ] {
        let dir = format!("scottish_stv_2017/{case}");
        let profile = parse::parse(&load(&format!("{dir}/ballots.blt"))).unwrap();
        let r = count(&profile, &CountOptions::new(Method::StvScottish)).unwrap();
        let off = json(&format!("{dir}/official_stages.council17.json"));
        let info = &off["Constituency"]["countInfo"];
        assert_eq!(r.quota, Some(info["Quota"].as_i64().unwrap() * 100_000));
        for row in off["Constituency"]["countGroup"].as_array().unwrap() {
            let stage = row["Count_Number"].as_u64().unwrap() as usize;
            let surname = row["Surname"].as_str().unwrap().to_uppercase();
            let first = row["Firstname"].as_str().unwrap();
            // The council file names candidates by surname and a first name that is sometimes a
            // different form ("Norman" for "Norrie"): match on the surname, unique in each ward.
            let matches: Vec<usize> = (0..r.candidates.len())
                .filter(|&i| r.candidates[i].split(' ').any(|w| w == surname))
                .collect();
            assert_eq!(matches.len(), 1, "{case}: candidate {first} {surname}");
            let c = matches[0];
            assert_eq!(
                r.rounds[stage - 1].tallies[c],
                units5(row["Total_Votes"].as_str().unwrap()),
                "{case}: stage {stage}, {first} {surname}"
            );
        }
    }
}

#[test]
fn burlington_2009_rounds_one_and_two_are_exact_and_kiss_wins() {
    let profile = parse::parse(&load("irv/burlington_2009_mayor/cvr.normalized.csv")).unwrap();
    let exp = json("irv/burlington_2009_mayor/expected.json");
    assert_eq!(
        profile.ballots.len() as u64,
        exp["ballots_in_cvr"].as_u64().unwrap()
    );
    let mut opts = CountOptions::new(Method::Irv);
    opts.batch_elimination = true;
    let r = count(&profile, &opts).unwrap();
    let official = exp["official_rounds"].as_array().unwrap();
    for (k, round) in official.iter().take(2).enumerate() {
        let votes = round["votes"].as_object().unwrap();
        for (name, v) in votes {
            assert_eq!(
                r.rounds[k].tallies[idx(&r, name)],
                v.as_i64().unwrap(),
                "round {} {name}",
                k + 1
            );
        }
        // Everyone not listed in the round has been excluded and shows zero.
        for (c, name) in r.candidates.iter().enumerate() {
            if !votes.contains_key(name) {
                assert_eq!(r.rounds[k].tallies[c], 0, "round {} {name}", k + 1);
            }
        }
        let mut out = r.names(&r.rounds[k].excluded);
        out.sort();
        let mut want: Vec<String> = round["eliminated_after"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        want.sort();
        assert_eq!(out, want, "excluded after round {}", k + 1);
    }
    assert_eq!(
        r.rounds[0].non_transferable,
        exp["official_rounds"][0]["exhausted"].as_i64().unwrap()
    );
    assert_eq!(
        r.rounds[1].non_transferable,
        exp["official_rounds"][1]["exhausted_in_cvr_count"]
            .as_i64()
            .unwrap()
    );
    let fin = &exp["cvr_count_final_round"];
    let last = r.rounds.last().unwrap();
    assert_eq!(
        last.tallies[idx(&r, "Bob Kiss")],
        fin["Bob Kiss"].as_i64().unwrap()
    );
    assert_eq!(
        last.tallies[idx(&r, "Kurt Wright")],
        fin["Kurt Wright"].as_i64().unwrap()
    );
    assert_eq!(last.non_transferable, fin["exhausted"].as_i64().unwrap());
    assert_eq!(
        r.names(&r.elected),
        vec![exp["winner"].as_str().unwrap().to_string()]
    );
}

#[test]
fn burlington_2009_without_batch_elimination_elects_the_same_winner() {
    let profile = parse::parse(&load("irv/burlington_2009_mayor/cvr.normalized.csv")).unwrap();
    let r = count(&profile, &CountOptions::new(Method::Irv)).unwrap();
    assert_eq!(r.names(&r.elected), vec!["Bob Kiss".to_string()]);
    assert_eq!(r.rounds[0].tallies[idx(&r, "Kurt Wright")], 2951);
}

/// Rounds half up to two decimals, as the reference sheet prints.
fn two_dp(units6: i64) -> String {
    let cents = (units6 + 5_000) / 10_000;
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn ref_two_dp(s: &str) -> String {
    let (a, b) = s.split_once('.').unwrap_or((s, ""));
    format!("{a}.{:0<2}", b)
}

#[test]
fn ers97_meek_matches_the_algorithm_123_reference_at_every_stage_given() {
    let profile = parse::parse(&load("meek_reference/ers97/ers97.blt")).unwrap();
    let r = count(&profile, &CountOptions::new(Method::StvMeek)).unwrap();
    let csv =
        String::from_utf8(load("meek_reference/ers97/meek_algorithm123_reference.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let stages: Vec<usize> = rows[0][1..]
        .iter()
        .step_by(2)
        .map(|s| s.parse().unwrap())
        .collect();
    for row in &rows[2..] {
        let label = row[0];
        for (i, &stage) in stages.iter().enumerate() {
            let want = ref_two_dp(row[1 + 2 * i]);
            let round = r
                .rounds
                .get(stage - 1)
                .unwrap_or_else(|| panic!("no stage {stage}"));
            let got = match label {
                "Exhausted" => two_dp(round.non_transferable),
                "Quota" => two_dp(round.quota.unwrap()),
                name => {
                    let c = idx(&r, name);
                    let state = row[2 + 2 * i];
                    let elected_by_now = r.rounds[..stage].iter().any(|k| k.elected.contains(&c));
                    let excluded_by_now = r.rounds[..stage - 1]
                        .iter()
                        .any(|k| k.excluded.contains(&c));
                    match state {
                        "EL" => assert!(elected_by_now, "{name} elected by stage {stage}"),
                        "EX" => assert!(excluded_by_now, "{name} excluded by stage {stage}"),
                        _ => assert!(
                            !elected_by_now && !excluded_by_now,
                            "{name} hopeful at stage {stage}"
                        ),
                    }
                    two_dp(round.tallies[c])
                }
            };
            assert_eq!(got, want, "stage {stage}, {label}");
        }
    }
    let mut winners = r.names(&r.elected);
    winners.sort();
    let mut want: Vec<String> = ["Smith", "Carpenter", "Duke", "Prince", "Vicar", "Freeman"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    want.sort();
    assert_eq!(winners, want);
}
