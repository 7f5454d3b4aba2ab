use super::*;
use time::Date;

fn shipped() -> Rulebook {
    Rulebook::shipped().unwrap()
}

/// The shipped text with one line replaced, to make each kind of mistake.
fn shipped_with(from: &str, to: &str) -> Result<Rulebook, RulebookError> {
    let text = Rulebook::shipped_text();
    assert!(
        text.contains(from),
        "the shipped rulebook has no line {from:?}"
    );
    Rulebook::from_toml(&text.replacen(from, to, 1))
}

fn message(result: Result<Rulebook, RulebookError>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn the_shipped_rulebook_loads_with_labours_numbers() {
    let book = shipped();
    assert_eq!(book.name(), "The Labour Party");
    assert_eq!(book.provisional().weeks, 8);
    assert_eq!(book.provisional().extension_weeks_max, 4);
    assert_eq!(book.lapse().grace_months, 6);
    assert_eq!(book.readmission().min_years, 5);
    assert!(book.suspension().may_vote_in_all_member_ballots);
    assert!(!book.suspension().may_hold_office);
    assert_eq!(book.conference_delegates().first_band_members, 749);
    assert_eq!(book.gc_delegates().members_per_delegate, 15);
    assert_eq!(
        book.group_leader().recall,
        Fraction {
            numerator: 2,
            denominator: 3
        }
    );
    assert_eq!(book.candidate_membership().min_continuous_months, 12);
    assert_eq!(book.suppression_threshold(), 10);
    assert_eq!(book.clause(PROVISIONAL).unwrap().source, Source::Rule);
    assert_eq!(book.clause(LAPSE).unwrap().source, Source::Default);
}

#[test]
fn the_shipped_rates_are_the_six_labour_ids_with_their_conditions() {
    let book = shipped();
    let ids: Vec<&str> = book.rates().iter().map(|r| r.id.as_str()).collect();
    for id in [
        "standard",
        "reduced",
        "trade_union",
        "youth",
        "young",
        "armed_forces",
    ] {
        assert!(ids.contains(&id), "missing rate {id}");
    }
    let youth = book.rate("youth").unwrap();
    assert_eq!((youth.min_age, youth.max_age), (Some(14), Some(19)));
    assert_eq!(youth.clause, "rates.youth");
    assert!(!youth.direct_debit_required);
    assert!(book.rate("standard").unwrap().direct_debit_required);
    assert_eq!(
        book.rate("reduced").unwrap().requires,
        vec![Circumstance::RetiredOrUnwaged]
    );
    assert!(book.rate("platinum").is_none());
}

#[test]
fn every_ballot_type_has_freeze_rules() {
    let book = shipped();
    for kind in BallotType::ALL {
        assert_eq!(book.ballot(*kind).clause, format!("ballot.{kind}"));
    }
    assert!(book.ballot(BallotType::Leadership).supporters_may_vote);
    assert!(!book.ballot(BallotType::Meeting).all_member);
}

#[test]
fn panel_authority_follows_area_and_period() {
    let authority = shipped().panel_authority().clone();
    let d = |s: &str| {
        Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
    };
    assert_eq!(authority.body_for("E08000012", d("2026-06-30")), "nec");
    assert_eq!(authority.body_for("E08000012", d("2026-07-01")), "lgc");
    assert_eq!(authority.body_for("E08000013", d("2026-01-01")), "lgc");
}

#[test]
fn case_timelines_and_training_are_typed() {
    let book = shipped();
    let national = book.case_timeline("national").unwrap();
    assert_eq!(national.target("triaged").unwrap().days, 5);
    assert!(national.target("triaged").unwrap().working_days);
    assert_eq!(
        book.case_timeline("fast_track").unwrap().completion_months,
        6
    );
    assert!(book
        .training()
        .modules_for("officer")
        .contains(&"antisemitism_awareness".to_string()));
    assert!(book.training().modules_for("nobody").is_empty());
}

#[test]
fn a_non_positive_parameter_names_the_clause_and_the_rule() {
    assert_eq!(
        message(shipped_with("weeks = 8", "weeks = 0")),
        "rulebook clause \"2.I.provisional\": weeks must be a positive integer"
    );
}

#[test]
fn a_wrongly_typed_parameter_is_refused() {
    assert_eq!(
        message(shipped_with("weeks = 8", "weeks = \"eight\"")),
        "rulebook clause \"2.I.provisional\": weeks must be a positive integer"
    );
    assert_eq!(
        message(shipped_with(
            "resets_continuity = true",
            "resets_continuity = 1"
        )),
        "rulebook clause \"2.IV.rejoin\": resets_continuity must be true or false"
    );
}

#[test]
fn a_misspelt_key_is_unknown_rather_than_ignored() {
    assert_eq!(
        message(shipped_with("grace_months = 6", "grace_month = 6")),
        "rulebook clause \"2.IV.lapse\": missing key grace_months (a whole number (0 or more))"
    );
    assert_eq!(
        message(shipped_with(
            "grace_months = 6",
            "grace_months = 6\ngrace_days = 3"
        )),
        "rulebook clause \"2.IV.lapse\": unknown key grace_days"
    );
}

#[test]
fn a_source_other_than_r_p_or_d_is_refused() {
    let text = Rulebook::shipped_text().replacen(
        "title = \"Provisional membership period\"\nsource = \"R\"",
        "title = \"Provisional membership period\"\nsource = \"X\"",
        1,
    );
    assert_eq!(
        message(Rulebook::from_toml(&text)),
        "rulebook clause \"2.I.provisional\": source must be \"R\", \"P\" or \"D\", not \"X\""
    );
}

#[test]
fn a_missing_required_clause_is_named() {
    let text =
        Rulebook::shipped_text().replacen("[clause.\"2.IV.lapse\"]", "[clause.\"2.IV.lapsed\"]", 1);
    assert_eq!(
        message(Rulebook::from_toml(&text)),
        "rulebook clause \"2.IV.lapse\" is required but missing"
    );
    let text =
        Rulebook::shipped_text().replacen("[clause.\"ballot.nec\"]", "[clause.\"ballot.x\"]", 1);
    assert!(message(Rulebook::from_toml(&text))
        .starts_with("rulebook clause \"ballot.x\": unknown ballot type 'x'"));
}

#[test]
fn values_out_of_range_are_refused() {
    assert_eq!(
        message(shipped_with(
            "min_women_percent = 50",
            "min_women_percent = 150"
        )),
        "rulebook clause \"7.XI.4\": min_women_percent must be between 0 and 100, not 150"
    );
    assert_eq!(
        message(shipped_with("recall_numerator = 2", "recall_numerator = 4")),
        "rulebook clause \"13.leader\": recall_numerator/recall_denominator must be a fraction no greater than 1"
    );
    assert_eq!(
        message(shipped_with("max_age = 19", "max_age = 12")),
        "rulebook clause \"rates.youth\": max_age must not be less than min_age"
    );
    assert_eq!(
        message(shipped_with("weeks = 8", "weeks = -8")),
        "rulebook clause \"2.I.provisional\": weeks must be a positive integer"
    );
}

#[test]
fn mistakes_inside_nested_tables_say_where() {
    assert_eq!(
        message(shipped_with(
            "{ stage = \"triaged\", days = 5, working_days = true }",
            "{ stage = \"triaged\", days = 5, working = true }"
        )),
        "rulebook clause \"6.case.national\": stages[1]: missing key working_days (true or false)"
    );
    assert_eq!(
        message(shipped_with("until = 2026-06-30", "until = \"June\"")),
        "rulebook clause \"5.panel_authority\": areas[1]: until must be a date such as 2026-06-30"
    );
}

#[test]
fn an_unknown_circumstance_or_period_in_a_rate_is_refused() {
    assert_eq!(
        message(shipped_with("requires = [\"armed_forces\"]", "requires = [\"navy\"]")),
        "rulebook clause \"rates.armed_forces\": requires: unknown circumstance 'navy' (expected one of: retired_or_unwaged, affiliated_trade_union, armed_forces, student)"
    );
    assert!(message(shipped_with("per = \"month\"", "per = \"week\""))
        .contains("per must be \"month\" or \"year\", not \"week\""));
}

#[test]
fn a_citation_clause_may_not_carry_parameters_nobody_reads() {
    let text = format!(
        "{}\n[clause.\"local.note\"]\ntitle = \"A local note\"\nsource = \"D\"\nlimit = 3\n",
        Rulebook::shipped_text()
    );
    assert!(message(Rulebook::from_toml(&text))
        .starts_with("rulebook clause \"local.note\": unknown key limit"));
    let text = format!(
        "{}\n[clause.\"local.note\"]\ntitle = \"A local note\"\nsource = \"D\"\n",
        Rulebook::shipped_text()
    );
    assert_eq!(
        Rulebook::from_toml(&text)
            .unwrap()
            .clause("local.note")
            .unwrap()
            .title,
        "A local note"
    );
}

#[test]
fn broken_toml_and_stray_tables_are_reported() {
    assert!(matches!(
        Rulebook::from_toml("[clause"),
        Err(RulebookError::Syntax(_))
    ));
    assert_eq!(
        message(Rulebook::from_toml(
            "[rulebook]\nname = \"x\"\nedition = \"1\"\n[rates]\n"
        )),
        "rulebook: unknown top-level key rates (expected [rulebook] and [clause.\"<id>\"] tables)"
    );
    assert_eq!(
        message(Rulebook::from_toml(
            "[rulebook]\nname = \"x\"\nedition = \"1\"\n[clause.\"a\"]\nsource = \"R\"\n"
        )),
        "rulebook clause \"a\": missing key title"
    );
}

#[test]
fn fractions_compare_exactly() {
    let two_thirds = Fraction {
        numerator: 2,
        denominator: 3,
    };
    assert!(two_thirds.reached(2, 3));
    assert!(!two_thirds.reached(19, 30));
    assert!(two_thirds.reached(20, 30));
    assert_eq!(two_thirds.needed(31), 21);
    assert!(!two_thirds.reached(0, 0));
}
