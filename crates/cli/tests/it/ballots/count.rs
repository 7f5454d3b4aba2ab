//! End-to-end tests of `caucus count`: the JSON shape of SPEC 5.4, the text and HTML sheets,
//! threshold votes, and the exit statuses (2 for bad usage, 1 for a bad file, with line and column).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn caucus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caucus"))
        .arg("count")
        .args(args)
        .output()
        .expect("the caucus binary runs")
}

fn ballots(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/ballots")
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

fn temp_file(name: &str, body: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, body).expect("the file is written");
    (dir, path.to_string_lossy().into_owned())
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn json_output_has_exactly_the_shape_of_spec_5_4() {
    let file = ballots("scottish_stv_2017/moray_2017_ward4_fochabers_lhanbryde/ballots.blt");
    let v = json_of(&caucus(&[
        &file,
        "--method",
        "stv-scottish",
        "--format",
        "json",
    ]));
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["elected", "method", "quota", "rounds", "rule", "seats", "ties"]
    );
    assert_eq!(v["method"], "stv-scottish");
    assert_eq!(v["seats"], 3);
    assert_eq!(v["quota"], "1023.00000");
    let rounds = v["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 7, "one round per official stage");
    for (i, r) in rounds.iter().enumerate() {
        let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "elected",
                "excluded",
                "non_transferable",
                "round",
                "tallies"
            ]
        );
        assert_eq!(r["round"], i + 1);
        for (_, t) in r["tallies"].as_object().unwrap() {
            let s = t.as_str().unwrap();
            assert_eq!(
                s.split_once('.').map(|(_, d)| d.len()),
                Some(5),
                "five decimals: {s}"
            );
        }
    }
    assert_eq!(rounds[0]["tallies"]["Marc MACRAE (C)"], "1747.00000");
    assert_eq!(
        rounds[2]["tallies"]["Peter Jonathan HORTON (LD)"],
        "0.00000"
    );
    assert_eq!(rounds[1]["excluded"][0], "Peter Jonathan HORTON (LD)");
    let elected: Vec<&str> = v["elected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(elected[0], "Marc MACRAE (C)");
    let mut last_two = elected[1..].to_vec();
    last_two.sort_unstable();
    assert_eq!(last_two, ["David BREMNER (SNP)", "Shona MORRISON (SNP)"]);
}

#[test]
fn irv_json_names_the_policies_and_counts_burlington_in_whole_votes() {
    let file = ballots("irv/burlington_2009_mayor/cvr.normalized.csv");
    let v = json_of(&caucus(&[
        &file,
        "--method",
        "irv",
        "--batch-elimination",
        "--format",
        "json",
    ]));
    assert_eq!(v["elected"][0], "Bob Kiss");
    assert_eq!(v["quota"], Value::Null);
    assert_eq!(v["rounds"][0]["tallies"]["Kurt Wright"], "2951");
    assert_eq!(v["rounds"][1]["tallies"]["Andy Montroll"], "2554");
    let rule = v["rule"].as_str().unwrap();
    assert!(rule.contains("overvoted rank exhausts"), "{rule}");
    assert!(rule.contains("skipped rank is passed over"), "{rule}");
    assert!(rule.contains("blank ballots"), "{rule}");
    assert!(rule.contains("batch elimination"), "{rule}");
}

#[test]
fn meek_json_names_the_variant() {
    let file = ballots("meek_reference/ers97/ers97.blt");
    let v = json_of(&caucus(&[
        &file, "--method", "stv-meek", "--format", "json",
    ]));
    assert!(v["rule"].as_str().unwrap().contains("Algorithm 123"));
    assert_eq!(v["elected"].as_array().unwrap().len(), 6);
}

#[test]
fn the_text_sheet_lists_stages_and_the_elected() {
    let file = ballots("scottish_stv_2017/shetland_2017_ward6_lerwick_north/ballots.blt");
    let out = caucus(&[&file]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Quota:    249.00000"), "{text}");
    assert!(
        text.contains("Stage 2: Transfer of the surplus of Malcolm John BELL (Ind)"),
        "{text}"
    );
    assert!(
        text.contains("John Finlay Sinclair FRASER (Ind) (stage 3)"),
        "{text}"
    );
}

#[test]
fn the_html_page_is_self_contained_with_an_svg_chart() {
    let file = ballots("scottish_stv_2017/edinburgh_2017_ward01_almond/ballots.blt");
    let out = caucus(&[&file, "--format", "html"]);
    assert!(out.status.success());
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg") && html.contains("<polyline"));
    for banned in ["<script", " src=", "href=", "@import", "url("] {
        assert!(!html.contains(banned), "found {banned}");
    }
    assert!(html.contains("Norrie WORK (SNP)"));
}

#[test]
fn a_threshold_of_two_thirds_is_met_exactly_at_two_thirds_with_at_least() {
    let (_d, file) = temp_file(
        "recall.blt",
        "2 1\n20 1 0\n10 2 0\n0\n\"Recall\"\n\"Keep\"\n\"Recall vote\"\n",
    );
    let v = json_of(&caucus(&[
        &file,
        "--method",
        "threshold",
        "--threshold",
        "2/3",
        "--format",
        "json",
    ]));
    assert_eq!(v["elected"][0], "Recall");
    assert_eq!(v["quota"], "20");
    assert!(v["rule"].as_str().unwrap().contains(">="));
    let v = json_of(&caucus(&[
        &file,
        "--method",
        "threshold",
        "--threshold",
        "2/3",
        "--more-than",
        "--format",
        "json",
    ]));
    assert_eq!(v["elected"].as_array().unwrap().len(), 0);
    assert!(v["rule"].as_str().unwrap().contains(" > "));
    let v = json_of(&caucus(&[
        &file,
        "--method",
        "threshold",
        "--threshold",
        "2/3",
        "--base",
        "roll",
        "--roll",
        "31",
        "--format",
        "json",
    ]));
    assert_eq!(
        v["elected"].as_array().unwrap().len(),
        0,
        "20 of a roll of 31 is short of two-thirds"
    );
}

#[test]
fn a_wide_csv_counts_first_past_the_post() {
    let (_d, file) = temp_file(
        "cvr.csv",
        "choice1,choice2,count\nAnn,Bob,3\nBob,,2\n$OVERVOTE,Ann,4\n",
    );
    let v = json_of(&caucus(&[&file, "--method", "fptp", "--format", "json"]));
    assert_eq!(v["elected"][0], "Ann");
    assert_eq!(v["rounds"][0]["tallies"]["Ann"], "3");
    assert_eq!(v["rounds"][0]["tallies"]["Bob"], "2");
}

#[test]
fn an_unknown_method_is_bad_usage_with_status_2() {
    let file = ballots("meek_reference/ers97/ers97.blt");
    let out = caucus(&[&file, "--method", "borda"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_threshold_vote_without_a_fraction_is_bad_usage() {
    let file = ballots("meek_reference/ers97/ers97.blt");
    assert_eq!(
        caucus(&[&file, "--method", "threshold"]).status.code(),
        Some(2)
    );
    assert_eq!(
        caucus(&[&file, "--method", "threshold", "--threshold", "3/2"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(caucus(&[&file, "--seats", "0"]).status.code(), Some(2));
}

#[test]
fn a_bad_file_fails_with_status_1_and_one_line_naming_line_and_column() {
    let (_d, file) = temp_file("bad.blt", "2 1\n1 1 3 0\n0\n\"A\"\n\"B\"\n");
    let out = caucus(&[&file]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("line 2, column 5"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_missing_file_fails_with_status_1() {
    let out = caucus(&["/nonexistent/ballots.blt"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}
