//! Secret ballots inside caucus: an officer creates a ballot for their unit, freezes its roll from
//! the register's history at the freeze date, members on the roll vote once within the window and
//! keep a receipt, the officer closes and counts it with the counting engine and publishes the
//! result with the anonymised papers as a BLT file that `caucus count` recounts to the same result.
//! The vote's audit event records only that the member voted: never the paper or its receipt.
use crate::organisation::units::find_unit;
use crate::register::member_history::{history, RecordDates};
use crate::{App, AppError, Result};
use caucus_counting::{count, parse, report, CountOptions, Method};
use caucus_domain::access::allowed::Allowed;
use caucus_domain::access::policy::{self, can, Action, Actor, Resource};
use caucus_domain::ballots::paper::{self, Published, RECEIPT_ALPHABET};
use caucus_domain::ballots::roll::{self, Window};
use caucus_domain::ballots::spec::{BallotSpec, CountingMethod};
use caucus_domain::ballots::BallotType;
use caucus_domain::decision::{Decision, Reason};
use caucus_domain::offices::OfficeKind;
use caucus_domain::organisation::unit::UnitKind;
use caucus_store::audit::{self, digest, NewEvent};
use caucus_store::ballots::{self as store, BallotRow, NewBallot, RollRow};
use caucus_store::organisation::units::{self, Unit};
use caucus_store::register::member_batches::status_histories;
use caucus_store::register::members::{self, StatusRow};
use caucus_store::Tx;
use rand::Rng;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// The lot that breaks ties the earlier stages cannot: the `caucus count` default, so a recount of
/// the published file without options agrees.
pub const SEED: u64 = 1;

/// A ballot as its organiser asks for it.
#[derive(Debug, Clone)]
pub struct NewBallotRequest {
    pub unit_code: String,
    pub spec: BallotSpec,
}

/// A ballot with what the pages show of it.
#[derive(Debug, Clone)]
pub struct Ballot {
    pub row: BallotRow,
    pub unit: Unit,
    pub kind: BallotType,
    pub method: CountingMethod,
    pub candidates: Vec<String>,
    pub opens_at: OffsetDateTime,
    pub closes_at: OffsetDateTime,
}

impl Ballot {
    pub fn window(&self) -> Window {
        Window {
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            closed_early: self.row.state != "frozen",
        }
    }

    /// Whether voting is open at `now` (the roll frozen and the clock inside the window).
    pub fn is_open(&self, now: OffsetDateTime) -> bool {
        self.row.state == "frozen" && self.opens_at <= now && now < self.closes_at
    }
}

/// The actor as the audit log names them.
pub(crate) fn actor_name(actor: &Actor) -> String {
    format!("account:{}", actor.account_id)
}

fn parse_time(text: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| AppError::Invalid(format!("the stored time '{text}' is unreadable")))
}

/// A time as stored: RFC 3339 in UTC, to the second.
pub fn time_text(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn invalid(e: impl std::fmt::Display) -> AppError {
    AppError::Invalid(e.to_string())
}

async fn ballot_of(app: &App, row: BallotRow) -> Result<Ballot> {
    let unit = units::get(&app.store, row.unit_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("the unit of ballot {}", row.id)))?;
    Ok(Ballot {
        kind: BallotType::parse(&row.kind).map_err(invalid)?,
        method: CountingMethod::parse(&row.method).map_err(invalid)?,
        candidates: store::candidates(&app.store, row.id).await?,
        opens_at: parse_time(&row.opens_at)?,
        closes_at: parse_time(&row.closes_at)?,
        unit,
        row,
    })
}

/// The ballot with this id, or not found.
pub async fn find(app: &App, id: i64) -> Result<Ballot> {
    let row = store::get(&app.store, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("ballot {id}")))?;
    ballot_of(app, row).await
}

async fn unit_resource(app: &App, u: &Unit) -> Result<Resource> {
    Ok(Resource::Unit {
        kind: UnitKind::parse(&u.kind).unwrap_or(UnitKind::National),
        units: units::ancestors(&app.store, u.id).await?,
    })
}

/// May the actor run the ballots of this unit? The policy's decision (allowed or not).
pub async fn may_manage(app: &App, actor: &Actor, unit: &Unit) -> Result<Decision> {
    let resource = unit_resource(app, unit).await?;
    Ok(can(
        actor,
        Action::ManageBallots,
        &resource,
        app.clock.today(),
    ))
}

/// Whether the actor may set up a ballot of the unit with this code (the new-ballot form), as
/// `create` will judge it; with no code, whether they run ballots nationally. Refused with the
/// policy's reasons.
pub async fn may_set_up(app: &App, actor: &Actor, unit_code: &str) -> Result<Decision> {
    let d = if unit_code.trim().is_empty() {
        let everywhere = Resource::Unit {
            kind: UnitKind::National,
            units: Vec::new(),
        };
        can(actor, Action::ManageBallots, &everywhere, app.clock.today())
    } else {
        may_manage(app, actor, &find_unit(app, unit_code.trim()).await?).await?
    };
    if d.allowed {
        Ok(d)
    } else {
        Err(AppError::Forbidden(d))
    }
}

/// `may_manage`, as the `Allowed` the writes need; refused (`Forbidden`) with the policy's reasons.
async fn authorise(app: &App, actor: &Actor, unit: &Unit) -> Result<Allowed> {
    let resource = unit_resource(app, unit).await?;
    policy::authorise(actor, Action::ManageBallots, &resource, app.clock.today())
        .map_err(AppError::Forbidden)
}

/// The clauses behind a decision, as audit events record them.
pub(crate) fn clauses(why: &Allowed) -> Vec<String> {
    why.reasons().iter().map(|r| r.clause.clone()).collect()
}

/// An audit event of this ballot's unit by the actor, now.
fn event(
    app: &App,
    actor: &Actor,
    unit: &Unit,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> NewEvent {
    NewEvent {
        occurred_at: app.clock.stamp(),
        actor: actor_name(actor),
        action: action.to_string(),
        subject,
        unit: Some(unit.code.clone()),
        before: None,
        after: None,
        detail,
    }
}

/// Creates a draft ballot in a unit the actor runs ballots for.
pub async fn create(app: &App, actor: &Actor, req: &NewBallotRequest) -> Result<i64> {
    let unit = find_unit(app, &req.unit_code).await?;
    let why = authorise(app, actor, &unit).await?;
    let spec = &req.spec;
    let problems = spec.problems();
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems.join("; ")));
    }
    let (candidates, candidate_members) = candidates_of(app, &unit, spec).await?;
    let (opens, closes) = (time_text(spec.opens_at), time_text(spec.closes_at));
    let mut tx = app.store.begin().await?;
    let id = store::insert(
        &mut tx,
        &NewBallot {
            unit_id: unit.id,
            title: spec.title.trim(),
            kind: spec.kind.as_str(),
            method: spec.method.as_str(),
            seats: i64::from(spec.seats),
            opens_at: &opens,
            closes_at: &closes,
            freeze_on: spec.freeze_on,
            created_by: &actor_name(actor),
        },
        &candidates,
    )
    .await?;
    if !candidate_members.is_empty() {
        caucus_store::offices::groups::set_candidate_members(&mut tx, id, &candidate_members)
            .await?;
    }
    audit::append(&mut tx, &why, event(app, actor, &unit, "ballot.create", format!("ballot:{id}"), serde_json::json!({
            "title": spec.title.trim(), "kind": spec.kind.as_str(), "method": spec.method.as_str(),
            "seats": spec.seats, "candidates": candidates, "opens_at": opens, "closes_at": closes,
            "freeze_on": spec.freeze_on.to_string(), "clauses": clauses(&why),
        }))).await?;
    tx.commit().await?;
    Ok(id)
}

/// The candidates' names as the papers show them, and (for a ballot that fills an office) the
/// member behind each. A group leader election is held in a Labour group and names its candidates
/// by membership number: each must sit in the group on the freeze date, and the paper shows their
/// name (with the number where two share one). A Labour group holds no other kind of ballot: its
/// electorate is the group, which only that kind's roll reads.
async fn candidates_of(
    app: &App,
    unit: &Unit,
    spec: &BallotSpec,
) -> Result<(Vec<String>, Vec<i64>)> {
    let in_group = unit.kind == UnitKind::LabourGroup.as_str();
    if in_group != spec.kind.fills_office() {
        return Err(AppError::Invalid(if in_group {
            format!("{} holds group leader elections only", unit.name)
        } else {
            format!(
                "a {} ballot is held in a Labour group, not in {}",
                spec.kind.as_str().replace('_', " "),
                unit.name
            )
        }));
    }
    let names: Vec<String> = spec
        .candidates
        .iter()
        .map(|c| c.trim().to_string())
        .collect();
    if !in_group {
        return Ok((names, Vec::new()));
    }
    let seated = caucus_store::offices::held_on(&app.store, unit.id, spec.freeze_on).await?;
    let mut found = Vec::with_capacity(names.len());
    for number in &names {
        let seat = seated
            .iter()
            .find(|h| h.row.office == OfficeKind::Councillor.as_str() && h.membership_number == *number)
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "candidate {number} is not a councillor in {} on the freeze date {} (give membership numbers, one per line)",
                    unit.name, spec.freeze_on
                ))
            })?;
        found.push(seat);
    }
    // A name travels in the published ballot file, where a double quote cannot be written.
    let shown = found
        .iter()
        .map(|h| {
            let name = h.name.replace(['"', '\n', '\r'], "'");
            if found.iter().filter(|o| o.name == h.name).count() > 1 {
                format!("{name} ({})", h.membership_number)
            } else {
                name
            }
        })
        .collect();
    Ok((shown, found.iter().map(|h| h.row.member_id).collect()))
}

/// The roll once frozen: how many are on it and how many were judged and left off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollSummary {
    pub included: usize,
    pub excluded: usize,
}

/// Judges everyone ever placed in the ballot's unit (or beneath it) on the register as it stood on
/// the freeze date, and keeps the result, reasons and all, as the ballot's roll.
pub async fn freeze(app: &App, actor: &Actor, id: i64) -> Result<RollSummary> {
    let b = find(app, id).await?;
    let why = authorise(app, actor, &b.unit).await?;
    if b.row.state != "draft" {
        return Err(AppError::Invalid(format!(
            "the roll of this ballot is already frozen (the ballot is {})",
            b.row.state
        )));
    }
    let today = app.clock.today();
    if today < b.row.freeze_on {
        return Err(AppError::Invalid(format!(
            "the roll can be frozen on or after the freeze date {}, not before",
            b.row.freeze_on
        )));
    }
    let rows = judge_roll(app, &b).await?;
    let included = rows.iter().filter(|r| r.included).count();
    let excluded = rows.len() - included;
    let fingerprint = digest(
        rows.iter()
            .map(|r| format!("{}:{}", r.member_id, r.included))
            .collect::<Vec<_>>()
            .join(","),
    );
    let mut tx = app.store.begin().await?;
    store::set_state(&mut tx, id, "draft", "frozen", b.row.version)
        .await
        .map_err(AppError::from_store)?;
    store::insert_roll(&mut tx, id, &rows).await?;
    audit::append(&mut tx, &why, NewEvent { after: Some(fingerprint), ..event(app, actor, &b.unit, "ballot.freeze", format!("ballot:{id}"), serde_json::json!({
            "freeze_on": b.row.freeze_on.to_string(), "included": included, "excluded": excluded,
            "clauses": clauses(&why),
        })) }).await?;
    tx.commit().await?;
    Ok(RollSummary { included, excluded })
}

/// The roll's lines: each candidate member judged by the domain's rules at the freeze date.
async fn judge_roll(app: &App, b: &Ballot) -> Result<Vec<RollRow>> {
    if b.kind == BallotType::GroupLeader {
        return judge_group_roll(app, b).await;
    }
    let beneath = units::descendants(&app.store, b.unit.id).await?;
    let people = store::roll_candidates(&app.store, &beneath).await?;
    let ids: Vec<i64> = people.iter().map(|p| p.member_id).collect();
    let mut transitions = status_histories(&app.store, &ids).await?;
    let freeze = b.row.freeze_on;
    let mut out = Vec::with_capacity(people.len());
    for p in people {
        let rows: Vec<StatusRow> = transitions.remove(&p.member_id).unwrap_or_default();
        let hist = history(
            &p.membership_number,
            RecordDates {
                joined_on: p.joined_on,
                continuous_since: p.continuous_since,
                paid_up_until: p.paid_up_until,
            },
            &rows,
        )?;
        let in_unit = placed_in(&p.placements, freeze, &beneath);
        let d = roll::judge(&hist, in_unit, &b.unit.name, b.kind, freeze, &app.rules);
        out.push(RollRow {
            member_id: p.member_id,
            included: d.allowed,
            reasons: serde_json::to_string(&d.reasons).map_err(invalid)?,
        });
    }
    Ok(out)
}

/// A group leader election's roll: everyone who has ever sat in the group, judged on whether they
/// sat in it on the freeze date and on the ballot type's freeze rules.
async fn judge_group_roll(app: &App, b: &Ballot) -> Result<Vec<RollRow>> {
    let people = caucus_store::offices::groups::ever_seated(&app.store, b.unit.id).await?;
    let ids: Vec<i64> = people.iter().map(|p| p.member_id).collect();
    let mut transitions = status_histories(&app.store, &ids).await?;
    let freeze = b.row.freeze_on;
    let mut out = Vec::with_capacity(people.len());
    for p in people {
        let rows: Vec<StatusRow> = transitions.remove(&p.member_id).unwrap_or_default();
        let hist = history(
            &p.membership_number,
            RecordDates {
                joined_on: p.joined_on,
                continuous_since: p.continuous_since,
                paid_up_until: p.paid_up_until,
            },
            &rows,
        )?;
        let d = roll::judge_group(&hist, p.seated_on(freeze), &b.unit.name, freeze, &app.rules);
        out.push(RollRow {
            member_id: p.member_id,
            included: d.allowed,
            reasons: serde_json::to_string(&d.reasons).map_err(invalid)?,
        });
    }
    Ok(out)
}

/// Whether the placement in force on `on` (the latest from on or before it) is in one of `units`.
fn placed_in(placements: &[store::Placed], on: Date, units: &[i64]) -> bool {
    placements
        .iter()
        .rev()
        .find(|(from, _, _)| *from <= on)
        .is_some_and(|(_, branch, clp)| {
            branch.is_some_and(|b| units.contains(&b)) || clp.is_some_and(|c| units.contains(&c))
        })
}

fn reasons_of(text: &str) -> Vec<Reason> {
    #[derive(serde::Deserialize)]
    struct Stored {
        clause: String,
        message: String,
    }
    serde_json::from_str::<Vec<Stored>>(text)
        .unwrap_or_default()
        .into_iter()
        .map(|s| Reason::new(s.clause, s.message))
        .collect()
}

fn standing_of(row: &RollRow) -> Decision {
    let reasons = reasons_of(&row.reasons);
    if row.included {
        Decision::allow(reasons)
    } else {
        Decision::deny(reasons)
    }
}

/// Where a member stands in a ballot: their line on the roll (if any) and whether they have voted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub on_roll: Option<Decision>,
    pub voted: bool,
}

/// The actor's own standing in a ballot; `None` for an account that is no member.
pub async fn standing(app: &App, actor: &Actor, id: i64) -> Result<Option<Standing>> {
    let Some(member_id) = actor.member_id else {
        return Ok(None);
    };
    let mut tx = app.store.begin_read().await?;
    let entry = store::roll_entry(&mut tx, id, member_id).await?;
    let voted = store::has_voted(&mut tx, id, member_id).await?;
    tx.commit().await?;
    Ok(Some(Standing {
        on_roll: entry.as_ref().map(standing_of),
        voted,
    }))
}

fn receipt() -> String {
    let mut rng = rand::rng();
    let mut symbols = [0u8; 16];
    for s in &mut symbols {
        *s = rng.random_range(0..RECEIPT_ALPHABET.len() as u8);
    }
    paper::receipt_from(symbols)
}

/// Casts the actor's vote: `marks` are candidate positions (0-based) in the order marked. Refused
/// with the roll's reasons for a voter not on it or excluded from it, outside the window, and for a
/// second vote. Returns the receipt code, which only the voter is ever shown.
pub async fn cast(app: &App, actor: &Actor, id: i64, marks: &[usize]) -> Result<String> {
    let b = find(app, id).await?;
    let member_id = actor.member_id.ok_or_else(|| {
        AppError::RuleRefused(Decision::deny(vec![Reason::new(
            caucus_domain::rulebook::ACCESS_SELF,
            "this account belongs to no member, so it has no vote",
        )]))
    })?;
    let number = members::number_of(&app.store, member_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("member {member_id}")))?;
    let mut tx = app.store.begin().await?;
    let current = store::get_tx(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("ballot {id}")))?;
    if current.state == "draft" {
        return Err(AppError::RuleRefused(Decision::deny(vec![Reason::new(
            app.rules.ballot(b.kind).clause.clone(),
            "voting has not opened: the roll is not yet frozen",
        )])));
    }
    let entry = store::roll_entry(&mut tx, id, member_id).await?;
    let voted = store::has_voted(&mut tx, id, member_id).await?;
    let window = Window {
        closed_early: current.state != "frozen",
        ..b.window()
    };
    let standing = entry.as_ref().map(standing_of);
    let decision = roll::may_cast(
        standing.as_ref(),
        voted,
        app.clock.now(),
        window,
        &b.unit.name,
        b.kind,
        &app.rules,
    );
    if !decision.allowed {
        return Err(AppError::RuleRefused(decision));
    }
    paper::check_marks(
        marks,
        b.candidates.len(),
        b.method.marking(b.row.seats as u32),
    )
    .map_err(AppError::Invalid)?;
    if !store::mark_voted(&mut tx, id, member_id).await? {
        return Err(AppError::RuleRefused(roll::may_cast(
            standing.as_ref(),
            true,
            app.clock.now(),
            window,
            &b.unit.name,
            b.kind,
            &app.rules,
        )));
    }
    let text = paper::encode(marks);
    let mut code = receipt();
    // 80 random bits: a collision is all but impossible, but a taken code must never be reused.
    let mut tries = 0;
    while !store::insert_paper(&mut tx, id, &code, &text).await? {
        tries += 1;
        if tries > 8 {
            return Err(AppError::Invalid(
                "could not draw a fresh receipt code; please try again".to_string(),
            ));
        }
        code = receipt();
    }
    // Only that this member voted: no paper, no receipt, nothing that identifies the paper.
    // The voter's own vote, allowed by the roll (`roll::may_cast` above), not by a grant.
    audit::append(
        &mut tx,
        &Allowed::own_account(actor.account_id, "casting its own vote"),
        event(
            app,
            actor,
            &b.unit,
            "ballot.vote",
            format!("member:{number}"),
            serde_json::json!({ "ballot": id, "voted": true }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

fn counting_method(m: CountingMethod) -> Method {
    match m {
        CountingMethod::Fptp => Method::Fptp,
        CountingMethod::Block => Method::Block,
        CountingMethod::Approval => Method::Approval,
        CountingMethod::Irv => Method::Irv,
        CountingMethod::StvScottish => Method::StvScottish,
        CountingMethod::StvMeek => Method::StvMeek,
    }
}

/// The options `caucus count FILE --method M --seats N` uses, so the published recount agrees.
pub fn count_options(method: CountingMethod, seats: u32) -> CountOptions {
    let mut opts = CountOptions::new(counting_method(method));
    opts.seats = Some(if method == CountingMethod::Irv {
        1
    } else {
        seats
    });
    opts.seed = SEED;
    opts
}

fn blt_of(b: &Ballot, papers: &[(String, String)]) -> Result<String> {
    let published = papers
        .iter()
        .map(|(receipt, marks)| {
            Ok(Published {
                receipt: receipt.clone(),
                marks: paper::decode(marks, b.candidates.len()).map_err(AppError::Invalid)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(paper::blt(
        &b.row.title,
        &b.candidates,
        b.row.seats as u32,
        &published,
    ))
}

/// Closes voting and counts: the papers leave the ballot box for the kept papers in one transaction
/// (`store::seal`, so nothing kept follows the order of voting), are written out as the BLT file that
/// will be published, and that very file is what the engine counts.
pub async fn close_and_count(app: &App, actor: &Actor, id: i64) -> Result<()> {
    let b = find(app, id).await?;
    let why = authorise(app, actor, &b.unit).await?;
    if b.row.state != "frozen" {
        return Err(AppError::Invalid(format!(
            "only a ballot whose roll is frozen can be closed (this one is {})",
            b.row.state
        )));
    }
    let mut tx = app.store.begin().await?;
    store::set_state(&mut tx, id, "frozen", "counted", b.row.version)
        .await
        .map_err(AppError::from_store)?;
    let papers = store::seal(&mut tx, id).await?;
    let blt = blt_of(&b, &papers)?;
    let profile = parse::parse(blt.as_bytes())
        .map_err(|e| AppError::Invalid(format!("the ballot file could not be read back: {e}")))?;
    let result = count(&profile, &count_options(b.method, b.row.seats as u32))
        .map_err(|e| AppError::Invalid(format!("the count failed: {e}")))?;
    let json = report::json(&result);
    store::set_result(
        &mut tx,
        id,
        &json,
        &report::text(&result),
        &report::html(&result),
    )
    .await?;
    let elected: Vec<&str> = result
        .elected
        .iter()
        .map(|i| result.candidates[*i].as_str())
        .collect();
    audit::append(
        &mut tx,
        &why,
        NewEvent {
            after: Some(digest(&json)),
            ..event(
                app,
                actor,
                &b.unit,
                "ballot.count",
                format!("ballot:{id}"),
                serde_json::json!({
                    "papers": papers.len(), "elected": elected, "ballot_file_sha256": digest(&blt),
                    "method": b.method.as_str(), "seats": b.row.seats, "clauses": clauses(&why),
                }),
            )
        },
    )
    .await?;
    tx.commit().await?;
    // The count stands whether or not the space is reclaimed now; a later close reclaims it too.
    if let Err(e) = store::reclaim_box(&app.store).await {
        tracing::warn!(ballot = id, error = %e, "could not vacuum the ballot box after the count");
    }
    Ok(())
}

/// What publishing a ballot decided, for the caller to act on in the publication's transaction:
/// the ballot (its kind and unit), whom it elected to an office, the day they take it, and the
/// policy's decision that allowed the publication.
#[derive(Debug, Clone)]
pub struct Decided {
    pub ballot: Ballot,
    /// For a ballot that fills an office (a group leader election), the member the count elected;
    /// empty for any other ballot.
    pub winners: Vec<members::Member>,
    /// The day the winners take office.
    pub takes_office_on: Date,
    pub why: Allowed,
}

/// Publishes a counted ballot's result and its anonymised papers. A ballot that fills an office is
/// published with its winner's appointment, by `offices::groups::publish_ballot`, and refused here.
pub async fn publish(app: &App, actor: &Actor, id: i64) -> Result<()> {
    let (tx, decided) = publish_in(app, actor, id, None).await?;
    if decided.ballot.kind.fills_office() {
        tx.rollback().await?;
        return Err(AppError::Invalid(format!(
            "ballot {id} fills an office: it is published with its winner's appointment"
        )));
    }
    tx.commit().await?;
    Ok(())
}

/// Publishes a counted ballot in a transaction it begins and hands back uncommitted, with what was
/// decided: for a ballot that fills an office, its winner, who takes office from `takes_office_on`
/// (default: the day of publication, and never before it). The caller appoints the winner in that
/// transaction and commits it, so the result and the appointment are published together or not at
/// all.
pub async fn publish_in(
    app: &App,
    actor: &Actor,
    id: i64,
    takes_office_on: Option<Date>,
) -> Result<(Tx, Decided)> {
    let b = find(app, id).await?;
    let why = authorise(app, actor, &b.unit).await?;
    if b.row.state != "counted" {
        return Err(AppError::Invalid(format!(
            "only a counted ballot can be published (this one is {})",
            b.row.state
        )));
    }
    let today = app.clock.today();
    let start = takes_office_on.unwrap_or(today);
    if b.kind.fills_office() && start < today {
        return Err(AppError::Invalid(format!(
            "the winner cannot take office on {start}, before the result is published on {today}"
        )));
    }
    let mut tx = app.store.begin().await?;
    store::set_state(&mut tx, id, "counted", "published", b.row.version)
        .await
        .map_err(AppError::from_store)?;
    audit::append(
        &mut tx,
        &why,
        NewEvent {
            after: b.row.result_json.as_ref().map(digest),
            ..event(
                app,
                actor,
                &b.unit,
                "ballot.publish",
                format!("ballot:{id}"),
                serde_json::json!({ "clauses": clauses(&why) }),
            )
        },
    )
    .await?;
    let winners = if b.kind.fills_office() {
        vec![winner_of(app, &mut tx, &b).await?]
    } else {
        Vec::new()
    };
    Ok((
        tx,
        Decided {
            ballot: b,
            winners,
            takes_office_on: start,
            why,
        },
    ))
}

/// The member the count elected, from the stored result and the ballot's candidate members.
async fn winner_of(app: &App, tx: &mut Tx, b: &Ballot) -> Result<members::Member> {
    let result: serde_json::Value =
        serde_json::from_str(b.row.result_json.as_deref().unwrap_or("null")).map_err(invalid)?;
    let elected = result["elected"]
        .as_array()
        .and_then(|e| e.first())
        .and_then(|e| e.as_str())
        .ok_or_else(|| AppError::Invalid(format!("ballot {} elected no one", b.row.id)))?;
    let position = b
        .candidates
        .iter()
        .position(|c| c == elected)
        .ok_or_else(|| AppError::Invalid(format!("the winner {elected} is not a candidate")))?;
    let member_id =
        caucus_store::offices::groups::candidate_member(tx, b.row.id, position as i64 + 1)
            .await?
            .ok_or_else(|| {
                AppError::Invalid(format!("the candidate {elected} has no member record"))
            })?;
    let number = members::number_of(&app.store, member_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("member {member_id}")))?;
    members::by_number(&app.store, &number)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("member {number}")))
}

/// The ballots on whose roll the actor's member record stands (included or not), newest first.
pub async fn mine(app: &App, actor: &Actor) -> Result<Vec<Ballot>> {
    let Some(member_id) = actor.member_id else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for row in store::on_roll_of(&app.store, member_id).await? {
        out.push(ballot_of(app, row).await?);
    }
    Ok(out)
}

/// The ballots of the units the actor runs ballots for, newest first.
pub async fn managed(app: &App, actor: &Actor) -> Result<Vec<Ballot>> {
    let today = app.clock.today();
    let mut unit_ids: Vec<i64> = Vec::new();
    let mut national = false;
    for g in &actor.grants {
        let in_force = g.valid_from <= today && g.valid_until.is_none_or(|u| today <= u);
        if !in_force || !g.role.runs_ballots() {
            continue;
        }
        match &g.unit {
            Some(u) => unit_ids.extend(units::descendants(&app.store, u.id).await?),
            None => national = true,
        }
    }
    unit_ids.sort_unstable();
    unit_ids.dedup();
    let rows = if national {
        store::all(&app.store).await?
    } else {
        store::in_units(&app.store, &unit_ids).await?
    };
    let mut out = Vec::new();
    for row in rows {
        out.push(ballot_of(app, row).await?);
    }
    Ok(out)
}

/// A line of the roll as the officers see it.
#[derive(Debug, Clone)]
pub struct RollLine {
    pub membership_number: String,
    pub name: String,
    pub standing: Decision,
}

/// The frozen roll with every exclusion's reasons, for the officers who run the ballot; the read is
/// logged, as any read of a list of members is.
pub async fn roll_of(app: &App, actor: &Actor, id: i64) -> Result<(Ballot, Vec<RollLine>)> {
    let b = find(app, id).await?;
    let why = authorise(app, actor, &b.unit).await?;
    let lines = store::roll(&app.store, id).await?;
    crate::register::records::log_read(
        app,
        actor,
        "read_ballot_roll",
        &format!("ballot:{id}"),
        &why,
    )
    .await?;
    Ok((
        b,
        lines
            .into_iter()
            .map(|l| RollLine {
                standing: standing_of(&l.row),
                membership_number: l.membership_number,
                name: l.name,
            })
            .collect(),
    ))
}

/// A published ballot's result and papers.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ballot: Ballot,
    pub json: String,
    pub text: String,
    pub html: String,
    pub blt: String,
    /// Included on the roll, and papers cast.
    pub roll: i64,
    pub voted: i64,
}

/// The result of a ballot: published ones to any logged-in account (the papers carry no names);
/// a counted but unpublished one only to its officers.
pub async fn outcome(app: &App, actor: &Actor, id: i64) -> Result<Outcome> {
    let b = find(app, id).await?;
    match b.row.state.as_str() {
        "published" => {}
        "counted" => {
            authorise(app, actor, &b.unit).await?;
        }
        _ => {
            return Err(AppError::NotFound(format!(
                "a result for ballot {id} (it has not been counted)"
            )))
        }
    }
    let papers = store::papers_published(&app.store, id).await?;
    let blt = blt_of(&b, &papers)?;
    let (roll, voted) = store::turnout(&app.store, id).await?;
    Ok(Outcome {
        json: b.row.result_json.clone().unwrap_or_default(),
        text: b.row.result_text.clone().unwrap_or_default(),
        html: b.row.result_html.clone().unwrap_or_default(),
        blt,
        roll,
        voted,
        ballot: b,
    })
}

/// The paper with this receipt code in a published (or, for its officers, counted) ballot: its
/// marks as candidate names in order, or `None` if no paper has that code.
pub async fn find_receipt(
    app: &App,
    actor: &Actor,
    id: i64,
    code: &str,
) -> Result<Option<Vec<String>>> {
    let o = outcome(app, actor, id).await?;
    let wanted = paper::normalise_receipt(code);
    let papers = store::papers_published(&app.store, id).await?;
    let Some((_, marks)) = papers.iter().find(|(r, _)| *r == wanted) else {
        return Ok(None);
    };
    let marks = paper::decode(marks, o.ballot.candidates.len()).map_err(AppError::Invalid)?;
    Ok(Some(
        marks
            .into_iter()
            .map(|m| o.ballot.candidates[m].clone())
            .collect(),
    ))
}
