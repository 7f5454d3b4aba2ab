//! Loads a rulebook: walks every clause, reads each with its schema (names, types, ranges) and
//! refuses unknown keys, missing clauses and clauses nobody reads that carry parameters.
use std::collections::{BTreeMap, BTreeSet};
use toml::{Table, Value};

use super::reader::{is_identifier, ClauseReader};
use super::*;
use crate::ballots::BallotType;

/// Walks the clauses, reading each with its schema and remembering which were read, so clauses that
/// no code reads are checked too (they may carry only a title and a source).
pub(super) struct Loader<'a> {
    clauses: &'a Table,
    info: BTreeMap<String, ClauseInfo>,
    done: BTreeSet<&'a str>,
    name: String,
    edition: String,
}

impl<'a> Loader<'a> {
    pub(super) fn new(root: &'a Table) -> Result<Self, RulebookError> {
        if let Some(key) = root.keys().find(|k| *k != "clause" && *k != "rulebook") {
            return Err(RulebookError::Layout(format!(
                "unknown top-level key {key} (expected [rulebook] and [clause.\"<id>\"] tables)"
            )));
        }
        let (name, edition) = match root.get("rulebook") {
            Some(Value::Table(meta)) => {
                let mut r = ClauseReader::new("rulebook", meta);
                let name = r.string("name")?;
                let edition = r.string("edition")?;
                r.finish()?;
                (name, edition)
            }
            Some(_) => return Err(RulebookError::Layout("[rulebook] must be a table".into())),
            None => return Err(RulebookError::Layout("missing the [rulebook] table".into())),
        };
        let Some(Value::Table(clauses)) = root.get("clause") else {
            return Err(RulebookError::Layout(
                "missing the clauses ([clause.\"<id>\"] tables)".into(),
            ));
        };
        let mut info = BTreeMap::new();
        for (id, value) in clauses {
            let Value::Table(table) = value else {
                return Err(RulebookError::Clause {
                    clause: id.clone(),
                    problem: "must be a table".into(),
                });
            };
            let title = match table.get("title") {
                Some(Value::String(t)) if !t.trim().is_empty() => t.clone(),
                Some(_) => return Err(clause_error(id, "title must be a non-empty string")),
                None => return Err(clause_error(id, "missing key title")),
            };
            let source = match table.get("source") {
                Some(Value::String(s)) => Source::parse(s).map_err(|_| {
                    clause_error(
                        id,
                        &format!("source must be \"R\", \"P\" or \"D\", not \"{s}\""),
                    )
                })?,
                Some(_) => return Err(clause_error(id, "source must be \"R\", \"P\" or \"D\"")),
                None => return Err(clause_error(id, "missing key source")),
            };
            info.insert(
                id.clone(),
                ClauseInfo {
                    id: id.clone(),
                    title,
                    source,
                },
            );
        }
        Ok(Loader {
            clauses,
            info,
            done: Default::default(),
            name,
            edition,
        })
    }

    /// Reads a required clause with `read`, which receives a reader that already consumed the title
    /// and source, and must consume every parameter.
    fn read<T>(
        &mut self,
        id: &'a str,
        read: impl FnOnce(&mut ClauseReader<'a>) -> Result<T, RulebookError>,
    ) -> Result<T, RulebookError> {
        let Some(Value::Table(table)) = self.clauses.get(id) else {
            return Err(RulebookError::MissingClause(id.to_string()));
        };
        self.done.insert(id);
        let mut r = ClauseReader::new(id, table);
        r.string("title")?;
        r.string("source")?;
        let value = read(&mut r)?;
        r.finish()?;
        Ok(value)
    }

    fn fraction(&mut self, id: &'a str) -> Result<Fraction, RulebookError> {
        self.read(id, |r| read_fraction(r, "numerator", "denominator"))
    }

    pub(super) fn load(&mut self) -> Result<Rulebook, RulebookError> {
        for id in CITED_ONLY {
            self.read(id, |_| Ok(()))?;
        }
        let provisional = self.read(PROVISIONAL, |r| {
            Ok(Provisional {
                weeks: r.positive("weeks")?,
                extension_weeks_max: r.count("extension_weeks_max")?,
                may_vote_at_branch_meetings: r.bool("may_vote_at_branch_meetings")?,
                may_attend_clp_meetings: r.bool("may_attend_clp_meetings")?,
                may_vote_in_ballots: r.bool("may_vote_in_ballots")?,
            })
        })?;
        let rejection_appeal_bar_years =
            self.read(REJECTION, |r| r.count("appeal_bar_prohibited_act_years"))?;
        let other_party_exceptions =
            self.read(CONDITIONS, |r| r.identifiers("other_party_exceptions"))?;
        let prohibited_acts = self.read(PROHIBITED_ACTS, |r| {
            let acts = r.identifiers("acts")?;
            if acts.is_empty() {
                return Err(r.error("acts must list at least one prohibited act"));
            }
            Ok(acts)
        })?;
        let arrears = self.read(ARREARS, |r| {
            Ok(Arrears {
                may_attend_meetings: r.bool("may_attend_meetings")?,
                may_hold_office: r.bool("may_hold_office")?,
            })
        })?;
        let lapse = self.read(LAPSE, |r| {
            Ok(Lapse {
                grace_months: r.count("grace_months")?,
            })
        })?;
        let rejoin_resets_continuity = self.read(REJOIN, |r| r.bool("resets_continuity"))?;
        let readmission = self.read(READMISSION, |r| {
            Ok(Readmission {
                min_years: r.count("min_years")?,
                decided_by: r.identifier("decided_by")?,
            })
        })?;
        let special_measures = self.read(SPECIAL_MEASURES, |r| {
            Ok(SpecialMeasures {
                extra_id_documents: r.count("extra_id_documents")?,
                audit_interval_months: r.positive("audit_interval_months")?,
            })
        })?;
        let minimum_age = self.read(MINIMUM_AGE, |r| r.within("min_age", 0, 120))?;
        let may_hold_office = self.read(SUSPENSION_OFFICE, |r| r.bool("may_hold_office"))?;
        let (may_attend_branch_meetings, may_attend_clp_meetings) =
            self.read(SUSPENSION_MEETINGS, |r| {
                Ok((
                    r.bool("may_attend_branch_meetings")?,
                    r.bool("may_attend_clp_meetings")?,
                ))
            })?;
        let may_vote_in_all_member_ballots = self.read(SUSPENSION_OMOV, |r| {
            r.bool("may_vote_in_all_member_ballots")
        })?;
        let suspension_review = self.read(SUSPENSION_REVIEW, |r| {
            let review = SuspensionReview {
                review_interval_months: r.positive("review_interval_months")?,
                escalate_after_months: r.positive("escalate_after_months")?,
                flag_to_nec_after_months: r.positive("flag_to_nec_after_months")?,
            };
            if review.flag_to_nec_after_months < review.escalate_after_months {
                return Err(r.error(
                    "flag_to_nec_after_months must not be less than escalate_after_months",
                ));
            }
            Ok(review)
        })?;
        let rates = self.rates()?;
        let electoral_register_reverify_months = self.read(CHECK_ELECTORAL_REGISTER, |r| {
            r.positive("reverify_after_months")
        })?;
        let ballots = self.ballots()?;
        let branch_area = self.read(BRANCH_AREA, |r| {
            let area = BranchArea {
                min_wards: r.positive("min_wards")?,
                max_wards: r.positive("max_wards")?,
                within_one_clp: r.bool("within_one_clp")?,
            };
            if area.max_wards < area.min_wards {
                return Err(r.error("max_wards must not be less than min_wards"));
            }
            Ok(area)
        })?;
        let branch_officers_min_women =
            self.read(BRANCH_OFFICERS_WOMEN, |r| r.count("min_women"))?;
        let clp_executive_min_women = self.read(CLP_EXECUTIVE_WOMEN, |r| r.count("min_women"))?;
        let lgc_officers_min_women = self.read(LGC_OFFICERS_WOMEN, |r| r.count("min_women"))?;
        let delegations = self.read(DELEGATIONS_WOMEN, |r| {
            Ok(DelegationBalance {
                min_women_percent: r.within("min_women_percent", 0, 100)?,
                single_delegate_woman_every_years: r
                    .positive("single_delegate_woman_every_years")?,
            })
        })?;
        let group_executive_tolerance_seats =
            self.read(GROUP_EXECUTIVE_BALANCE, |r| r.count("tolerance_seats"))?;
        let gc_delegates = self.read(GC_DELEGATES, |r| {
            Ok(GcDelegates {
                members_per_delegate: r.positive("members_per_delegate")?,
                min_delegates: r.count("min_delegates")?,
            })
        })?;
        let interim_officers_appointed_by =
            self.read(INTERIM_OFFICERS, |r| r.identifier("appointed_by"))?;
        let conference_delegates = self.read(CONFERENCE_DELEGATES, |r| {
            Ok(ConferenceDelegates {
                first_band_members: r.positive("first_band_members")?,
                further_band_members: r.positive("further_band_members")?,
                every_nth_delegate_woman: r.positive("every_nth_delegate_woman")?,
                extra_delegate_women_members: r.positive("extra_delegate_women_members")?,
                extra_delegate_young_labour_members: r
                    .positive("extra_delegate_young_labour_members")?,
            })
        })?;
        let special_gc = self.fraction(SPECIAL_GC)?;
        let group_leader = self.read(GROUP_LEADER, |r| {
            Ok(GroupLeader {
                strong_leader_term_years: r.positive("strong_leader_term_years")?,
                recall: read_fraction(r, "recall_numerator", "recall_denominator")?,
            })
        })?;
        let candidate_membership = self.read(CANDIDATE_MEMBERSHIP, |r| {
            Ok(CandidateMembership {
                min_continuous_months: r.count("min_continuous_months")?,
                nec_waiver: r.bool("nec_waiver")?,
            })
        })?;
        let legal_qualification_months =
            self.read(CANDIDATE_LEGAL_QUALIFICATION, |r| r.count("months"))?;
        let interview_panel = self.read(INTERVIEW_PANEL, |r| {
            Ok(InterviewPanel {
                size: r.positive("size")?,
                chair_from_other_authority: r.bool("chair_from_other_authority")?,
                lgc_members_not_full_members_elsewhere: r
                    .bool("lgc_members_not_full_members_elsewhere")?,
            })
        })?;
        let relatives = self.read(RELATIVES, |r| r.identifiers("relatives"))?;
        let reassessment_every_terms = self.read(REASSESSMENT, |r| r.positive("every_terms"))?;
        let panel_appeal_days = self.read(PANEL_APPEAL, |r| r.positive("days"))?;
        let panel_authority = self.read(PANEL_AUTHORITY, |r| {
            let default_body = r.identifier("default_body")?;
            let mut areas = Vec::new();
            for mut a in r.tables("areas")? {
                let area = AreaAuthority {
                    area: a.string("area")?,
                    body: a.identifier("body")?,
                    from: a.optional_date("from")?,
                    until: a.optional_date("until")?,
                };
                if let (Some(from), Some(until)) = (area.from, area.until) {
                    if until < from {
                        return Err(a.error("until must not be before from"));
                    }
                }
                a.finish()?;
                areas.push(area);
            }
            Ok(PanelAuthority {
                default_body,
                areas,
            })
        })?;
        let all_male_ward_min_women = self.read(ALL_MALE_WARD, |r| r.positive("min_women"))?;
        let trigger = self.fraction(TRIGGER)?;
        let case_timelines = self.case_timelines()?;
        let progress_report_weeks =
            self.read(PROGRESS_REPORTS, |r| r.positive("interval_weeks"))?;
        let appeal_window_days = self.read(APPEAL_WINDOW, |r| r.positive("days"))?;
        let icb_panel = self.read(ICB_PANEL, |r| {
            let panel = IcbPanel {
                size: r.positive("size")?,
                members: r.identifiers("members")?,
                chair: r.identifier("chair")?,
            };
            if panel.members.len() != panel.size as usize {
                return Err(r.error(format!(
                    "members must list {} kinds of member, one per seat",
                    panel.size
                )));
            }
            if !panel.members.contains(&panel.chair) {
                return Err(r.error("chair must be one of the members"));
            }
            Ok(panel)
        })?;
        let whistleblowing = self.read(WHISTLEBLOWING, |r| {
            Ok(Whistleblowing {
                acknowledge_days: r.positive("acknowledge_days")?,
                feedback_months: r.positive("feedback_months")?,
            })
        })?;
        let interests = self.read(INTERESTS, |r| {
            Ok(Interests {
                deadline_days: r.positive("deadline_days")?,
                gift_threshold_pence: r.count("gift_threshold_pence")?,
                securities_nominal_pence: r.count("securities_nominal_pence")?,
                securities_share_denominator: r.positive("securities_share_denominator")?,
            })
        })?;
        let training = self.read(TRAINING, |r| {
            let due_months = r.positive("due_months")?;
            let mut requirements: Vec<TrainingRequirement> = Vec::new();
            for mut t in r.tables("requirements")? {
                let role = t.identifier("role")?;
                let modules = t.identifiers("modules")?;
                if requirements.iter().any(|q| q.role == role) {
                    return Err(t.error(format!("role {role} is listed twice")));
                }
                t.finish()?;
                requirements.push(TrainingRequirement { role, modules });
            }
            Ok(Training {
                due_months,
                requirements,
            })
        })?;
        let suppression_threshold = self.read(SUPPRESSION, |r| r.positive("threshold"))?;

        Ok(Rulebook {
            name: self.name.clone(),
            edition: self.edition.clone(),
            clauses: self.info.clone(),
            provisional,
            rejection_appeal_bar_years,
            other_party_exceptions,
            prohibited_acts,
            arrears,
            lapse,
            rejoin_resets_continuity,
            readmission,
            special_measures,
            minimum_age,
            suspension: SuspensionRights {
                may_hold_office,
                may_attend_branch_meetings,
                may_attend_clp_meetings,
                may_vote_in_all_member_ballots,
            },
            suspension_review,
            rates,
            electoral_register_reverify_months,
            ballots,
            branch_area,
            branch_officers_min_women,
            clp_executive_min_women,
            lgc_officers_min_women,
            delegations,
            group_executive_tolerance_seats,
            gc_delegates,
            interim_officers_appointed_by,
            conference_delegates,
            special_gc,
            group_leader,
            candidate_membership,
            legal_qualification_months,
            interview_panel,
            relatives,
            reassessment_every_terms,
            panel_appeal_days,
            panel_authority,
            all_male_ward_min_women,
            trigger,
            case_timelines,
            progress_report_weeks,
            appeal_window_days,
            icb_panel,
            whistleblowing,
            interests,
            training,
            suppression_threshold,
        })
    }

    fn rates(&mut self) -> Result<Vec<Rate>, RulebookError> {
        let ids: Vec<&'a str> = self.ids_with_prefix(RATE_PREFIX);
        let mut rates = Vec::new();
        for id in ids {
            let rate_id = &id[RATE_PREFIX.len()..];
            if !is_identifier(rate_id) {
                return Err(clause_error(
                    id,
                    "a rate's id (after \"rates.\") must be a lower-case identifier",
                ));
            }
            let title = self
                .info
                .get(id)
                .map(|c| c.title.clone())
                .unwrap_or_default();
            let rate = self.read(id, |r| {
                let per_text = r.string("per")?;
                let per = RatePeriod::parse(&per_text).map_err(|_| {
                    r.error(format!(
                        "per must be \"month\" or \"year\", not \"{per_text}\""
                    ))
                })?;
                let requires = r
                    .identifiers("requires")?
                    .iter()
                    .map(|c| Circumstance::parse(c).map_err(|e| r.error(format!("requires: {e}"))))
                    .collect::<Result<Vec<_>, _>>()?;
                let rate = Rate {
                    id: rate_id.to_string(),
                    clause: id.to_string(),
                    title,
                    amount_pence: r.count("amount_pence")?,
                    per,
                    min_age: r.optional_count("min_age")?,
                    max_age: r.optional_count("max_age")?,
                    requires,
                    direct_debit_required: r.bool("direct_debit_required")?,
                };
                if let (Some(min), Some(max)) = (rate.min_age, rate.max_age) {
                    if max < min {
                        return Err(r.error("max_age must not be less than min_age"));
                    }
                }
                Ok(rate)
            })?;
            rates.push(rate);
        }
        if rates.is_empty() {
            return Err(RulebookError::Layout(
                "no membership rates: add at least one [clause.\"rates.<id>\"]".into(),
            ));
        }
        Ok(rates)
    }

    fn ballots(&mut self) -> Result<Vec<BallotRules>, RulebookError> {
        let mut by_kind = BTreeMap::new();
        for id in self.ids_with_prefix(BALLOT_PREFIX) {
            let kind = BallotType::parse(&id[BALLOT_PREFIX.len()..])
                .map_err(|e| clause_error(id, &e.to_string()))?;
            let rules = self.read(id, |r| {
                Ok(BallotRules {
                    clause: id.to_string(),
                    all_member: r.bool("all_member")?,
                    min_continuous_months: r.count("min_continuous_months")?,
                    in_arrears_may_vote: r.bool("in_arrears_may_vote")?,
                    supporters_may_vote: r.bool("supporters_may_vote")?,
                })
            })?;
            by_kind.insert(kind, rules);
        }
        // In declaration order, which `Rulebook::ballot` indexes by.
        BallotType::ALL
            .iter()
            .map(|kind| {
                by_kind
                    .remove(kind)
                    .ok_or_else(|| RulebookError::MissingClause(format!("{BALLOT_PREFIX}{kind}")))
            })
            .collect()
    }

    fn case_timelines(&mut self) -> Result<BTreeMap<String, CaseTimeline>, RulebookError> {
        let mut timelines = BTreeMap::new();
        for id in self.ids_with_prefix(CASE_PREFIX) {
            let case_type = id[CASE_PREFIX.len()..].to_string();
            if !is_identifier(&case_type) {
                return Err(clause_error(
                    id,
                    "a case type (after \"6.case.\") must be a lower-case identifier",
                ));
            }
            let timeline = self.read(id, |r| {
                let mut stages: Vec<StageTarget> = Vec::new();
                for mut s in r.tables("stages")? {
                    let stage = StageTarget {
                        stage: s.identifier("stage")?,
                        days: s.positive("days")?,
                        working_days: s.bool("working_days")?,
                    };
                    if stages.iter().any(|t| t.stage == stage.stage) {
                        return Err(s.error(format!("stage {} is listed twice", stage.stage)));
                    }
                    s.finish()?;
                    stages.push(stage);
                }
                Ok(CaseTimeline {
                    case_type: case_type.clone(),
                    clause: id.to_string(),
                    stages,
                    completion_months: r.positive("completion_months")?,
                })
            })?;
            timelines.insert(case_type, timeline);
        }
        if !timelines.contains_key(&CASE_NATIONAL[CASE_PREFIX.len()..]) {
            return Err(RulebookError::MissingClause(CASE_NATIONAL.to_string()));
        }
        Ok(timelines)
    }

    fn ids_with_prefix(&self, prefix: &str) -> Vec<&'a str> {
        self.clauses
            .keys()
            .filter(|k| k.starts_with(prefix))
            .map(|k| k.as_str())
            .collect()
    }

    /// Clauses no code reads are kept for citation: they may carry only a title and a source.
    pub(super) fn finish(&self) -> Result<(), RulebookError> {
        for (id, value) in self.clauses {
            if self.done.contains(id.as_str()) {
                continue;
            }
            if let Value::Table(table) = value {
                if let Some(key) = table.keys().find(|k| *k != "title" && *k != "source") {
                    return Err(clause_error(
                        id,
                        &format!(
                            "unknown key {key} (caucus does not read this clause, so it may carry only title and source)"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn read_fraction(
    r: &mut ClauseReader<'_>,
    numerator: &'static str,
    denominator: &'static str,
) -> Result<Fraction, RulebookError> {
    let f = Fraction {
        numerator: r.positive(numerator)?,
        denominator: r.positive(denominator)?,
    };
    if f.numerator > f.denominator {
        return Err(r.error(format!(
            "{numerator}/{denominator} must be a fraction no greater than 1"
        )));
    }
    Ok(f)
}

fn clause_error(id: &str, problem: &str) -> RulebookError {
    RulebookError::Clause {
        clause: id.to_string(),
        problem: problem.to_string(),
    }
}
