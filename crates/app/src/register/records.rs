//! Reading the register as someone: units, membership lists with eligibility flags, a member's record,
//! history and eligibility. Every read asks the access policy first, and every read of a member's
//! record (or a list of them) by anyone other than that member is written to the access log.
use caucus_domain::access::allowed::Allowed;
use caucus_domain::access::policy::{self, can, Action, Actor, Resource};
use caucus_domain::ballots::BallotType;
use caucus_domain::decision::Decision;
use caucus_domain::organisation::unit::UnitKind;
use caucus_domain::register::eligibility::{self, ListFlags};
use caucus_domain::register::status::{status_on, StatusOn};
use caucus_store::access::accounts as access;
use caucus_store::audit;
use caucus_store::organisation::units::{self, Unit};
pub use caucus_store::register::members::Placement;
use caucus_store::register::members::{self, ListOf, Member, Placed, StatusRow};
use std::sync::Arc;
use time::Date;

use crate::offices::{compliance_of, Compliance};
use crate::organisation::units::find_unit;
use crate::register::list_cache::{PageKey, Version};
use crate::register::member_history::RecordDates;
use crate::{App, AppError, Result};

// Kept at their old paths for the web and the tests.
pub use crate::register::listed::{ListCursor, ListedMember};

/// A page of a list and where the next begins (`None` at the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C = i64> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

pub const MAX_PAGE: i64 = 200;

fn page_of<T, C>(items: Vec<T>, limit: i64, cursor: impl Fn(&T) -> C) -> Page<T, C> {
    let next = next_of(&items, limit, cursor);
    Page { items, next }
}

/// Where the next page begins: after the last item of a full page; `None` after a short one.
fn next_of<T, C>(items: &[T], limit: i64, cursor: impl Fn(&T) -> C) -> Option<C> {
    if items.len() as i64 == limit {
        items.last().map(cursor)
    } else {
        None
    }
}

fn authorise(actor: &Actor, action: Action, resource: &Resource, on: Date) -> Result<Allowed> {
    policy::authorise(actor, action, resource, on).map_err(AppError::Forbidden)
}

fn actor_name(actor: &Actor) -> String {
    format!("account:{}", actor.account_id)
}

/// Writes a read by `actor` to the access log, with the decision that allowed it: only an
/// `Allowed` writes an allowed line, so a read cannot be logged as allowed without its check.
pub(crate) async fn log_read(
    app: &App,
    actor: &Actor,
    action: &str,
    subject: &str,
    why: &Allowed,
) -> Result<()> {
    log_allowed(app, actor, action, subject, why, serde_json::json!({})).await
}

/// `log_read` with more to say than what allowed it (`extra`, a JSON object, is merged into the
/// line's detail beside `allowed_by`).
pub(crate) async fn log_allowed(
    app: &App,
    actor: &Actor,
    action: &str,
    subject: &str,
    why: &Allowed,
    extra: serde_json::Value,
) -> Result<()> {
    let mut detail = serde_json::json!({ "allowed_by": why.reasons() });
    if let (Some(d), serde_json::Value::Object(more)) = (detail.as_object_mut(), extra) {
        d.extend(more);
    }
    log_outcome(
        app,
        actor,
        action,
        subject,
        detail.to_string(),
        access::ALLOWED,
    )
    .await
}

/// Writes a read the access policy refused to the access log, with its reasons: an auditor sees who
/// tried to read what, whatever the reader was told.
pub(crate) async fn log_refused(
    app: &App,
    actor: &Actor,
    action: &str,
    subject: &str,
    why: &Decision,
) -> Result<()> {
    let detail = serde_json::json!({ "refused_by": why.reasons }).to_string();
    log_outcome(app, actor, action, subject, detail, access::REFUSED).await
}

/// Writes an attempt that found nothing (an unknown number, a search with no result) to the access
/// log, with `detail` (JSON).
pub(crate) async fn log_not_found(
    app: &App,
    actor: &Actor,
    action: &str,
    subject: &str,
    detail: String,
) -> Result<()> {
    log_outcome(app, actor, action, subject, detail, access::NOT_FOUND).await
}

/// Writes a line by `actor` to the access log with its outcome. Private: an allowed line is written
/// only through `log_read`/`log_allowed`, which take the `Allowed`.
async fn log_outcome(
    app: &App,
    actor: &Actor,
    action: &str,
    subject: &str,
    detail: String,
    outcome: &str,
) -> Result<()> {
    app.access_log
        .write(
            app,
            access::AccessLine {
                occurred_at: app.clock.stamp(),
                actor: actor_name(actor),
                action: action.to_string(),
                subject: subject.to_string(),
                detail,
                outcome: outcome.to_string(),
            },
        )
        .await?;
    Ok(())
}

/// What a reader is told of a member number that does not exist, and of a member they may not
/// read: the same status and the same words, whatever the number (which the access log keeps), so
/// the answer never says that the member exists.
pub(crate) fn member_not_found() -> AppError {
    AppError::NotFound("member".to_string())
}

/// Refuses, before any member is looked up, an actor who may read no member's record at all (the
/// same answer whether the number exists or not), logging the attempt.
pub(crate) async fn may_read_members(
    app: &App,
    actor: &Actor,
    action: &str,
    number: &str,
) -> Result<()> {
    let gate = policy::may_read_any_member(actor, app.clock.today());
    if gate.allowed {
        return Ok(());
    }
    log_refused(app, actor, action, &format!("member:{number}"), &gate).await?;
    Err(AppError::Forbidden(gate))
}

fn unit_kind(u: &Unit) -> UnitKind {
    UnitKind::parse(&u.kind).unwrap_or(UnitKind::National)
}

async fn unit_resource(app: &App, u: &Unit) -> Result<Resource> {
    Ok(Resource::Unit {
        kind: unit_kind(u),
        units: units::ancestors(&app.store, u.id).await?,
    })
}

/// Units, of one kind or all, a page at a time.
pub async fn list_units(
    app: &App,
    actor: &Actor,
    kind: Option<UnitKind>,
    after: i64,
    limit: i64,
) -> Result<Page<Unit>> {
    let directory = Resource::Unit {
        kind: UnitKind::National,
        units: Vec::new(),
    };
    authorise(actor, Action::ReadUnit, &directory, app.clock.today())?;
    let limit = limit.clamp(1, MAX_PAGE);
    let items = units::list(&app.store, kind.map(UnitKind::as_str), after, limit).await?;
    Ok(page_of(items, limit, |u| u.id))
}

/// A unit as someone may read it: the unit, the units above it (nearest first) and the resource the
/// access policy judges (the unit's kind and its chain of ids).
#[derive(Debug, Clone)]
pub struct UnitView {
    pub unit: Unit,
    pub above: Vec<Unit>,
    resource: Resource,
}

/// A unit with the units above it, if the actor may read it.
pub async fn unit(app: &App, actor: &Actor, code: &str) -> Result<UnitView> {
    let mut chain = units::current_chain(&app.store, code).await?;
    if chain.is_empty() {
        return Err(AppError::NotFound(format!("unit {code}")));
    }
    let above = chain.split_off(1);
    let u = chain.remove(0);
    let resource = Resource::Unit {
        kind: unit_kind(&u),
        units: std::iter::once(u.id)
            .chain(above.iter().map(|a| a.id))
            .collect(),
    };
    authorise(actor, Action::ReadUnit, &resource, app.clock.today())?;
    Ok(UnitView {
        unit: u,
        above,
        resource,
    })
}

/// A branch's or CLP's officers today, checked against the gender rule for its kind, with (for a
/// branch) its delegates to the General Committee; `None` for other kinds of unit. Read by those
/// who may read the unit's membership list.
pub async fn unit_officers(
    app: &App,
    actor: &Actor,
    view: &UnitView,
) -> Result<Option<Compliance>> {
    let today = app.clock.today();
    authorise(actor, Action::ListMembers, &view.resource, today)?;
    match unit_kind(&view.unit) {
        UnitKind::Branch | UnitKind::Clp => {
            Ok(Some(compliance_of(app, view.unit.clone(), today).await?))
        }
        _ => Ok(None),
    }
}

/// A page of a unit's membership list, shared with the pages kept in `App::lists`.
#[derive(Debug, Clone)]
pub struct MemberList {
    pub items: Arc<[ListedMember]>,
    pub next: Option<ListCursor>,
}

/// The membership list of a unit with eligibility flags. A local authority's list is of the members
/// whose address lies in its area (what a group leader gets); other units list the members placed in
/// them or beneath them.
pub async fn unit_members(
    app: &App,
    actor: &Actor,
    code: &str,
    after: Option<&ListCursor>,
    limit: i64,
) -> Result<MemberList> {
    let u = find_unit(app, code).await?;
    let resource = unit_resource(app, &u).await?;
    members_of(app, actor, &u, &resource, after, limit).await
}

/// As `unit_members`, for a unit already read with `unit`.
pub async fn unit_members_of(
    app: &App,
    actor: &Actor,
    view: &UnitView,
    after: Option<&ListCursor>,
    limit: i64,
) -> Result<MemberList> {
    members_of(app, actor, &view.unit, &view.resource, after, limit).await
}

async fn members_of(
    app: &App,
    actor: &Actor,
    u: &Unit,
    resource: &Resource,
    after: Option<&ListCursor>,
    limit: i64,
) -> Result<MemberList> {
    let today = app.clock.today();
    let why = match policy::authorise(actor, Action::ListMembers, resource, today) {
        Ok(allowed) => allowed,
        Err(refused) => {
            log_refused(
                app,
                actor,
                "list_members",
                &format!("unit:{}", u.code),
                &refused,
            )
            .await?;
            return Err(AppError::Forbidden(refused));
        }
    };
    let limit = limit.clamp(1, MAX_PAGE);
    // The head is read before the page, so a page is never kept under a state older than its own.
    let (head_seq, head_hash) = audit::head(&app.store).await?;
    let version = Version {
        head_seq,
        head_hash,
        today,
    };
    let key = PageKey {
        unit_id: u.id,
        after: after.cloned(),
        limit,
    };
    let items = match app.lists.get(&version, &key) {
        Some(items) => items,
        None => {
            let items: Arc<[ListedMember]> = read_page(app, u, after, limit, today).await?.into();
            app.lists.put(version, key, items.clone());
            items
        }
    };
    log_read(
        app,
        actor,
        "list_members",
        &format!("unit:{}", u.code),
        &why,
    )
    .await?;
    let next = next_of(&items, limit, |l| ListCursor {
        postcode: l.member.postcode.clone(),
        id: l.member.id,
    });
    Ok(MemberList { items, next })
}

/// A page of the unit's list as the register stands, each member judged on `today`.
async fn read_page(
    app: &App,
    u: &Unit,
    after: Option<&ListCursor>,
    limit: i64,
    today: Date,
) -> Result<Vec<ListedMember>> {
    let after = after.map(|c| (c.postcode.as_str(), c.id));
    let found = match unit_kind(u) {
        UnitKind::LocalAuthority => {
            members::walk_list(&app.store, ListOf::LocalAuthority(&u.code), after, limit).await?
        }
        UnitKind::Clp => {
            members::walk_list(&app.store, ListOf::Clps(&[u.id]), after, limit).await?
        }
        UnitKind::Branch => {
            members::walk_list(&app.store, ListOf::Branches(&[u.id]), after, limit).await?
        }
        _ => {
            let beneath = units::descendants(&app.store, u.id).await?;
            members::walk_list(&app.store, ListOf::Units(&beneath), after, limit).await?
        }
    };
    let mut items = Vec::with_capacity(found.len());
    for m in found {
        let dates = RecordDates {
            joined_on: m.joined_on,
            continuous_since: m.continuous_since,
            paid_up_until: m.paid_up_until,
        };
        let history =
            crate::register::member_history::history(&m.membership_number, dates, &m.history)?;
        let flags =
            eligibility::list_flags(&history, today, m.branch_unit_id.is_some(), &app.rules);
        items.push(ListedMember { member: m, flags });
    }
    Ok(items)
}

/// A member's record as shown to someone entitled to it.
#[derive(Debug, Clone)]
pub struct MemberRecord {
    pub member: Member,
    pub branch: Option<Unit>,
    pub clp: Option<Unit>,
    pub status_today: Option<StatusOn>,
    pub flags: ListFlags,
    /// Why the reader may see it (the grant or rule).
    pub allowed_by: Decision,
}

/// Finds the member with where they sit and checks the reader may see them; logs the read unless it
/// is their own, and logs a refused or fruitless one too. An actor who may read no member at all is
/// refused (403) before the number is looked up; to one who may read some, a member they may not
/// read is not found (404), as a number that does not exist is, with the same message.
async fn readable_member(
    app: &App,
    actor: &Actor,
    number: &str,
    what: &str,
) -> Result<(Placed, Allowed)> {
    may_read_members(app, actor, what, number).await?;
    let subject = format!("member:{number}");
    let Some(placed) = members::placed_by_number(&app.store, number).await? else {
        log_not_found(app, actor, what, &subject, "{}".into()).await?;
        return Err(member_not_found());
    };
    let resource = Resource::Member {
        member_id: placed.member.id,
        units: placed.units.clone(),
    };
    let why = match policy::authorise(actor, Action::ReadMember, &resource, app.clock.today()) {
        Ok(allowed) => allowed,
        Err(refused) => {
            log_refused(app, actor, what, &subject, &refused).await?;
            return Err(member_not_found());
        }
    };
    if actor.member_id != Some(placed.member.id) {
        log_read(app, actor, what, &subject, &why).await?;
    }
    Ok((placed, why))
}

/// The member with this number and where they sit; `NotFound` when there is none.
pub(crate) async fn placed_member(app: &App, number: &str) -> Result<Placed> {
    members::placed_by_number(&app.store, number)
        .await?
        .ok_or_else(member_not_found)
}

pub async fn member(app: &App, actor: &Actor, number: &str) -> Result<MemberRecord> {
    let (placed, why) = readable_member(app, actor, number, "read_member").await?;
    let m = placed.member;
    let history = crate::register::members::history_from(&m, &placed.history)?;
    let today = app.clock.today();
    Ok(MemberRecord {
        status_today: status_on(&history, today, &app.rules),
        flags: eligibility::list_flags(&history, today, m.branch_unit_id.is_some(), &app.rules),
        member: m,
        branch: placed.branch,
        clp: placed.clp,
        allowed_by: Decision::allow(why.reasons().to_vec()),
    })
}

/// A member's recorded status transitions and placements, oldest first.
pub async fn member_history(
    app: &App,
    actor: &Actor,
    number: &str,
) -> Result<(Vec<StatusRow>, Vec<Placement>)> {
    let placed = readable_member(app, actor, number, "read_member_history")
        .await?
        .0;
    let placements = members::placements(&app.store, placed.member.id).await?;
    Ok((placed.history, placements))
}

/// The eligibility questions the API answers (`?for=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    AttendBranchMeeting,
    VoteAtBranchMeeting,
    AttendClpMeeting,
    HoldOffice,
    Ballot(BallotType),
}

impl Question {
    pub const SPELLINGS: &'static str =
        "attend_branch_meeting, vote_at_branch_meeting, attend_clp_meeting, \
        hold_office, ballot:leadership, ballot:parliamentary_selection, ballot:local_selection, \
        ballot:trigger, ballot:nec, ballot:meeting";

    pub fn parse(text: &str) -> Result<Question> {
        Ok(match text.trim() {
            "attend_branch_meeting" => Question::AttendBranchMeeting,
            "vote_at_branch_meeting" => Question::VoteAtBranchMeeting,
            "attend_clp_meeting" => Question::AttendClpMeeting,
            "hold_office" => Question::HoldOffice,
            other => match other.strip_prefix("ballot:").map(BallotType::parse) {
                Some(Ok(b)) => Question::Ballot(b),
                _ => {
                    return Err(AppError::Invalid(format!(
                        "unknown eligibility question '{other}' (expected one of: {})",
                        Question::SPELLINGS
                    )))
                }
            },
        })
    }
}

/// Is the member eligible for `question` on `on` (the freeze date, for a ballot)? With reasons.
pub async fn member_eligibility(
    app: &App,
    actor: &Actor,
    number: &str,
    question: Question,
    on: Option<Date>,
) -> Result<Decision> {
    let found = readable_member(app, actor, number, "read_member_eligibility")
        .await?
        .0;
    let history = crate::register::members::history_from(&found.member, &found.history)?;
    let on = on.unwrap_or_else(|| app.clock.today());
    let placed = found.member.branch_unit_id.is_some();
    let rules = &app.rules;
    Ok(match question {
        Question::AttendBranchMeeting => {
            eligibility::attend_branch_meeting(&history, on, placed, rules)
        }
        Question::VoteAtBranchMeeting => {
            eligibility::vote_at_branch_meeting(&history, on, placed, rules)
        }
        Question::AttendClpMeeting => {
            eligibility::attend_clp_meeting(&history, on, found.member.clp_unit_id.is_some(), rules)
        }
        Question::HoldOffice => eligibility::hold_office(&history, on, rules),
        Question::Ballot(kind) => eligibility::vote_in_ballot(&history, kind, on, rules),
    })
}

/// The units whose members an actor may read, for narrowing a search: `None` means everywhere.
async fn readable_scope(app: &App, actor: &Actor) -> Result<Option<Vec<i64>>> {
    let today = app.clock.today();
    let mut ids = Vec::new();
    for g in &actor.grants {
        let in_force = g.valid_from <= today && g.valid_until.is_none_or(|u| today <= u);
        let reads = g.role.reads_member_records();
        if !in_force || !reads {
            continue;
        }
        match &g.unit {
            None => return Ok(None),
            Some(u) => match g.role.unit_kind() {
                Some(UnitKind::LocalAuthority) => {
                    ids.extend(units::branches_in_local_authority(&app.store, &u.code).await?)
                }
                _ => ids.extend(units::descendants(&app.store, u.id).await?),
            },
        }
    }
    Ok(Some(ids))
}

/// The longest search text `search_members` takes: more than any name, number or postcode, and short
/// enough that no database refuses the pattern (SQLite's LIKE stops at 50,000 bytes).
pub const MAX_SEARCH_CHARS: usize = 100;

/// Members whose name or number starts with `text`, or whose postcode starts as `text` does (a
/// whole postcode, an outward code, or more), among those the actor may read (at most 25).
/// The narrowing is a convenience: each result is still checked against the policy.
pub async fn search_members(app: &App, actor: &Actor, text: &str) -> Result<Vec<Member>> {
    if text.trim().len() < 2 {
        return Err(AppError::Invalid(
            "type at least two letters or digits to search".to_string(),
        ));
    }
    if text.trim().chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::Invalid(format!(
            "a search is at most {MAX_SEARCH_CHARS} characters: type the start of a name, a \
             membership number or a postcode"
        )));
    }
    let subject = format!("search:{}", text.trim());
    let gate = match policy::authorise_reading_members(actor, app.clock.today()) {
        Ok(allowed) => allowed,
        Err(refused) => {
            // Nothing to search: the page says it found no one, and the log says why.
            log_refused(app, actor, "search_members", &subject, &refused).await?;
            return Ok(Vec::new());
        }
    };
    let scope = readable_scope(app, actor).await?;
    let postcode = caucus_domain::register::postcode::search_prefix(text);
    let found =
        members::search(&app.store, text, postcode.as_deref(), scope.as_deref(), 25).await?;
    let today = app.clock.today();
    let ids: Vec<i64> = found.iter().map(|m| m.id).collect();
    let mut units = members::units_of(&app.store, &ids).await?;
    let mut out = Vec::with_capacity(found.len());
    for m in found {
        let resource = Resource::Member {
            member_id: m.id,
            units: units.remove(&m.id).unwrap_or_default(),
        };
        if can(actor, Action::ReadMember, &resource, today).allowed {
            out.push(m);
        }
    }
    // Logged whether it found anyone or not, with the query as typed: the searches that find
    // someone have always been logged so, and a digest of a name or postcode prefix (a few
    // letters) would be undone by trying them all, so it would hide nothing from anyone while
    // keeping the auditor from reading what was looked for.
    let shown: Vec<&str> = out
        .iter()
        .map(|m| m.row.membership_number.as_str())
        .collect();
    if out.is_empty() {
        let detail = serde_json::json!({ "found": 0 }).to_string();
        log_not_found(app, actor, "search_members", &subject, detail).await?;
    } else {
        let extra = serde_json::json!({ "found": shown.len(), "shown": shown });
        log_allowed(app, actor, "search_members", &subject, &gate, extra).await?;
    }
    Ok(out)
}

/// The membership number of the actor's own member record, if the account belongs to a member.
pub async fn own_number(app: &App, actor: &Actor) -> Result<Option<String>> {
    let Some(id) = actor.member_id else {
        return Ok(None);
    };
    Ok(members::number_of(&app.store, id).await?)
}
