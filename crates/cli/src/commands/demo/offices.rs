//! The demo's officers: every constituency party and branch of the current boundary set gets a
//! chair, vice-chair, secretary, treasurer and women's officer (a CLP a membership officer too),
//! appointed through `caucus_app::offices::appoint_all` (the checks and audit of `appoint`, in one
//! transaction), so the eligibility rules and the audit apply as they would to a secretary entering
//! them. Officers are drawn deterministically from the active
//! members of the unit, and give their gender for office by their given name (the generator's
//! names are conventionally women's or men's). Units meet the gender rules, but for one CLP left
//! deliberately short of women, so that its page shows the check failing with its reasons.
use crate::commands::generate::is_womans_name;
use anyhow::Context as _;
use caucus_app::offices::{appoint_all, compliance, Appointment};
use caucus_app::{App, AppError};
use caucus_domain::access::allowed::Operator;
use caucus_domain::offices::{Gender, OfficeKind};
use caucus_store::register::members::{self, Candidate};
use caucus_store::{organisation::geography, organisation::units};
use std::collections::HashMap;

/// A branch's officers.
const BRANCH_OFFICES: [OfficeKind; 5] = [
    OfficeKind::Chair,
    OfficeKind::ViceChair,
    OfficeKind::Secretary,
    OfficeKind::Treasurer,
    OfficeKind::WomensOfficer,
];

/// A CLP's executive officers.
const CLP_OFFICES: [OfficeKind; 6] = [
    OfficeKind::Chair,
    OfficeKind::ViceChair,
    OfficeKind::Secretary,
    OfficeKind::Treasurer,
    OfficeKind::WomensOfficer,
    OfficeKind::MembershipOfficer,
];

/// What was appointed, for the demo's printout.
#[derive(Debug, Default)]
pub struct Officers {
    pub appointed: usize,
    pub clps: usize,
    pub branches: usize,
    /// Units with no active member to appoint.
    pub empty: usize,
    /// Units whose officers fail the gender rule: (name, code, the check's reason).
    pub failing: Vec<(String, String, String)>,
}

/// The demo's step: appoints the officers, leaving `short_of_women` (the CLP of the demo's CLP
/// secretary, whose dashboard then shows the failing check) one woman short, and says so.
pub async fn run(app: &App, short_of_women: &str) -> anyhow::Result<()> {
    println!(
        "6b. Appointing officers in every CLP and branch (chair, vice-chair, secretary, treasurer, \
         women's officer; a CLP's membership officer too)"
    );
    let o = appoint_officers(app, Some(short_of_women)).await?;
    println!(
        "   {} officers in {} constituency parties and {} branches ({} units without an active member)",
        o.appointed, o.clps, o.branches, o.empty
    );
    for (name, code, why) in &o.failing {
        println!(
            "   {name} ({code}) is left short of women on purpose: {why}; the CLP secretary's \
             dashboard shows the gender rule failing"
        );
    }
    Ok(())
}

/// Appoints the officers of every CLP and branch of the current set, from today for a year (to
/// the next AGM). `short_of_women`: the code of the CLP to leave one woman short.
pub async fn appoint_officers(app: &App, short_of_women: Option<&str>) -> anyhow::Result<Officers> {
    let set = geography::current_set(&app.store)
        .await?
        .context("the demo register has no current boundary set")?;
    let mut by_unit: HashMap<i64, Vec<Candidate>> = HashMap::new();
    for c in members::active_candidates(&app.store).await? {
        for unit in [c.clp_unit_id, c.branch_unit_id].into_iter().flatten() {
            by_unit.entry(unit).or_default().push(c.clone());
        }
    }
    let from = app.clock.today();
    let until = from + time::Duration::days(365);
    let mut out = Officers::default();
    let mut appointments = Vec::new();
    let mut short_unit = None;
    for (kind, offices) in [("clp", &CLP_OFFICES[..]), ("branch", &BRANCH_OFFICES[..])] {
        let mut after = 0;
        loop {
            let page = units::list(&app.store, Some(kind), after, 500).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for unit in page.iter().filter(|u| u.boundary_set == set) {
                let candidates = by_unit.remove(&unit.id).unwrap_or_default();
                let short = short_of_women == Some(unit.code.as_str());
                let chosen = choose(&unit.code, offices, candidates, short);
                if chosen.is_empty() {
                    out.empty += 1;
                    continue;
                }
                for (office, member, gender) in chosen {
                    appointments.push(Appointment {
                        unit_code: unit.code.clone(),
                        membership_number: member.membership_number.clone(),
                        office,
                        from,
                        until: Some(until),
                        gender,
                        appointed_by: if kind == "clp" {
                            "clp_agm"
                        } else {
                            "branch_agm"
                        }
                        .to_string(),
                    });
                }
                if short {
                    short_unit = Some((unit.name.clone(), unit.code.clone()));
                }
                if kind == "clp" {
                    out.clps += 1;
                } else {
                    out.branches += 1;
                }
            }
        }
    }
    // One transaction for them all: the demo is not to be noticeably slower for its officers.
    match appoint_all(app, &Operator::at_the_command_line("demo"), &appointments).await {
        Ok(ids) => out.appointed = ids.len(),
        // Active members are eligible; a refusal would be a bug worth seeing.
        Err(AppError::RuleRefused(d)) => anyhow::bail!(
            "an officer was refused: {}",
            d.reasons
                .iter()
                .map(|r| r.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Err(e) => return Err(e.into()),
    }
    if let Some((name, code)) = short_unit {
        let check = compliance(app, &code, from).await?;
        if let Some(g) = check.gender.filter(|g| !g.allowed) {
            let why = g
                .reasons
                .first()
                .map(|r| r.message.clone())
                .unwrap_or_default();
            out.failing.push((name, code, why));
        }
    }
    Ok(out)
}

/// A deterministic order of a unit's members that differs from unit to unit (so one person is not
/// every officer of their branch and CLP): FNV-1a of the unit's code and the membership number.
fn shuffle_key(unit: &str, number: &str) -> u64 {
    unit.bytes()
        .chain([0])
        .chain(number.bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// Who holds each office, and the gender they give: the women's officer a woman, the other
/// offices alternately a woman and a man, so a branch has at least 3 women of 5 and a CLP at
/// least 3 of 6. A unit `short` of women gets only its women's officer and its chair as women.
/// Each person holds one office; a unit with too few members leaves the rest vacant.
fn choose(
    unit: &str,
    offices: &[OfficeKind],
    mut candidates: Vec<Candidate>,
    short: bool,
) -> Vec<(OfficeKind, Candidate, Gender)> {
    candidates.sort_by_cached_key(|m| shuffle_key(unit, &m.membership_number));
    let (mut women, mut men): (Vec<Candidate>, Vec<Candidate>) = candidates
        .into_iter()
        .partition(|m| is_womans_name(&m.given_name));
    let mut chosen = Vec::new();
    let mut others = 0;
    for &office in offices {
        let woman = match office {
            OfficeKind::WomensOfficer => true,
            OfficeKind::Chair => true,
            _ if short => false,
            _ => {
                others += 1;
                others % 2 == 0
            }
        };
        let (first, second) = if woman {
            (&mut women, &mut men)
        } else {
            (&mut men, &mut women)
        };
        // The women's officer must be a woman; another office falls back to whoever is left.
        let pick = match first.pop() {
            Some(m) => Some(m),
            None if office != OfficeKind::WomensOfficer => second.pop(),
            None => None,
        };
        if let Some(m) = pick {
            let gender = if is_womans_name(&m.given_name) {
                Gender::Woman
            } else {
                Gender::Man
            };
            chosen.push((office, m, gender));
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use caucus_domain::offices::{branch_officers_gender, clp_executive_gender, Officeholder};
    use caucus_domain::rulebook::Rulebook;

    fn member(number: usize, given: &str) -> Candidate {
        Candidate {
            membership_number: format!("L{number:07}"),
            given_name: given.to_string(),
            branch_unit_id: None,
            clp_unit_id: None,
        }
    }

    fn members(n: usize) -> Vec<Candidate> {
        (0..n)
            .map(|i| member(i, if i % 2 == 0 { "Olivia" } else { "Noah" }))
            .collect()
    }

    fn holders(chosen: &[(OfficeKind, Candidate, Gender)]) -> Vec<Officeholder> {
        chosen
            .iter()
            .map(|(office, m, gender)| Officeholder {
                person: m.membership_number.clone(),
                office: *office,
                gender: *gender,
            })
            .collect()
    }

    #[test]
    fn the_generators_names_are_told_apart() {
        assert!(is_womans_name("Olivia") && is_womans_name("Patricia"));
        assert!(!is_womans_name("Noah") && !is_womans_name("Tomasz"));
    }

    #[test]
    fn units_meet_the_gender_rules_but_the_one_left_short() {
        let rules = Rulebook::shipped().unwrap();
        let branch = choose("E05015277", &BRANCH_OFFICES, members(40), false);
        assert_eq!(branch.len(), 5);
        assert!(branch_officers_gender(&holders(&branch), &rules).allowed);
        let clp = choose("pcon2024:E14001337", &CLP_OFFICES, members(40), false);
        assert_eq!(clp.len(), 6);
        assert!(clp_executive_gender(&holders(&clp), &rules).allowed);
        let short = choose("pcon2024:E14001337", &CLP_OFFICES, members(40), true);
        assert_eq!(short.len(), 6);
        assert!(!clp_executive_gender(&holders(&short), &rules).allowed);
    }

    #[test]
    fn each_officer_is_a_different_member_who_gives_the_gender_of_their_name() {
        let clp = choose("pcon2024:E14001338", &CLP_OFFICES, members(40), false);
        let mut people: Vec<&str> = clp.iter().map(|c| c.1.membership_number.as_str()).collect();
        people.sort_unstable();
        people.dedup();
        assert_eq!(people.len(), 6);
        for (office, m, gender) in &clp {
            assert_eq!(*gender == Gender::Woman, m.given_name == "Olivia");
            if *office == OfficeKind::WomensOfficer {
                assert_eq!(*gender, Gender::Woman);
            }
        }
    }

    #[test]
    fn the_choice_is_the_same_every_time_and_differs_between_units() {
        let numbers = |unit: &str| {
            choose(unit, &BRANCH_OFFICES, members(60), false)
                .iter()
                .map(|c| c.1.membership_number.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(numbers("E05015277"), numbers("E05015277"));
        assert_ne!(numbers("E05015277"), numbers("E05015278"));
    }

    #[test]
    fn a_small_unit_fills_what_it_can_and_only_a_woman_is_womens_officer() {
        let only_men: Vec<Candidate> = (0..3).map(|i| member(i, "Noah")).collect();
        let chosen = choose("E05015277", &BRANCH_OFFICES, only_men, false);
        assert_eq!(chosen.len(), 3);
        assert!(chosen.iter().all(|c| c.0 != OfficeKind::WomensOfficer));
        assert!(choose("E05015277", &BRANCH_OFFICES, Vec::new(), false).is_empty());
    }
}
