//! `caucus export members`: the membership list of a unit and the units beneath it (SPEC 3.3), with
//! the eligibility flags the domain computes for today, each with its reasons. The list opens with a
//! watermark line naming the requester and the time, and every export is an audit event whose after
//! digest is the digest of the exact bytes handed out.
use crate::organisation::unit_names::UnitNames;
use crate::register::member_history::{history, RecordDates};
use crate::{App, AppError, Result};
use caucus_domain::access::allowed::{Allowed, Operator};
use caucus_domain::access::policy::{self, Action, Actor, Resource};
use caucus_domain::organisation::unit::UnitKind;
use caucus_domain::register::membership_list::{explain, flags_for, ListScope};
use caucus_domain::register::status::status_on;
use caucus_store::audit::{self, NewEvent};
use caucus_store::organisation::units::{self, Unit};
use caucus_store::{organisation::geography, register::member_batches, register::members};
use sha2::{Digest, Sha256};
use std::io::Write;

/// Members per page read from the store.
pub const PAGE: i64 = 2_000;

pub const ACTION: &str = "members.export";

/// The list's columns, after the watermark line.
pub const COLUMNS: [&str; 17] = [
    "membership_number",
    "given_name",
    "family_name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "branch",
    "clp",
    "status",
    "status_since",
    "can_attend",
    "can_vote",
    "can_hold_office",
    "reasons",
];

/// Who asked for a list, by email address. Checked so the name can go into the watermark line and the
/// audit log as it is: one line, no separators a CSV reader or a log reader would trip on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester(String);

impl Requester {
    pub fn parse(text: &str) -> Result<Requester> {
        let t = text.trim();
        let bad = |why: &str| AppError::Invalid(format!("'{t}' is not an email address: {why}"));
        let Some((local, domain)) = t.split_once('@') else {
            return Err(bad("it has no @"));
        };
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(bad("expected one @ between a name and a domain"));
        }
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(bad("the domain has no dot"));
        }
        if t.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | ';' | '"' | '#'))
        {
            return Err(bad("it contains spaces or separators"));
        }
        Ok(Requester(t.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who stands behind an export: the command line (whoever holds the database, trusted as the
/// operator), or a logged-in account, whose grants the access policy weighs.
#[derive(Debug, Clone, Copy)]
pub enum Authority<'a> {
    CommandLine(&'a Operator),
    Account(&'a Actor),
}

/// Whether the list of `unit` may be handed out. An account must be entitled to the unit's
/// membership list (the policy's `list_members`, the same decision that shows the list on the unit
/// page); the command line is trusted as the operator's.
async fn authorise(app: &App, authority: Authority<'_>, unit: &Unit) -> Result<Allowed> {
    let actor = match authority {
        Authority::CommandLine(operator) => return Ok(Allowed::operator(operator)),
        Authority::Account(actor) => actor,
    };
    let resource = Resource::Unit {
        kind: UnitKind::parse(&unit.kind).unwrap_or(UnitKind::National),
        units: units::ancestors(&app.store, unit.id).await?,
    };
    policy::authorise(actor, Action::ListMembers, &resource, app.clock.today())
        .map_err(AppError::Forbidden)
}

/// The members of the list, a page at a time after `after_id`: a local authority's list is of the
/// members whose address lies in its area (what its group leader is entitled to, as on the unit
/// page); other units list the members placed in them or beneath them.
async fn page_of(
    app: &App,
    unit: &Unit,
    scope_ids: &[i64],
    after_id: i64,
) -> Result<Vec<members::Member>> {
    Ok(if unit.kind == UnitKind::LocalAuthority.as_str() {
        members::page_in_local_authority(&app.store, &unit.code, after_id, PAGE).await?
    } else {
        members::page(&app.store, Some(scope_ids), after_id, PAGE).await?
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub unit_code: String,
    pub unit_name: String,
    pub rows: u64,
    /// SHA-256 of the exported bytes (watermark included), as the audit event records it.
    pub digest: String,
    pub audit_seq: i64,
}

/// A writer that hashes what passes through it.
struct Hashing<'w> {
    inner: &'w mut (dyn Write + Send),
    hasher: Sha256,
}

impl Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The first line of every list: a comment a CSV reader skips when told `#` starts a comment (one
/// line whatever the unit's name, and no formula for a spreadsheet, which reads it as a row).
pub fn watermark(requester: &Requester, stamp: &str, unit: &Unit) -> String {
    crate::csv_out::comment_line(&format!(
        "Exported for {} at {stamp} from caucus: members of {} ({}); personal data: handle under the party's data protection policy",
        requester.as_str(),
        unit.code,
        unit.name
    ))
}

/// Writes the list of the unit named `unit_code` to `out` for the operator at the command line, then
/// records the export in the audit log. The caller should hand the bytes on only once this returns
/// `Ok`: the log entry is written last.
pub async fn export_members(
    app: &App,
    operator: &Operator,
    unit_code: &str,
    requester: &Requester,
    out: &mut (dyn Write + Send),
) -> Result<ExportSummary> {
    export_members_as(
        app,
        Authority::CommandLine(operator),
        unit_code,
        requester,
        out,
    )
    .await
}

/// Like [`export_members`], for `authority`: an account is refused (with the policy's reasons)
/// unless entitled to the unit's membership list, and nothing is written then.
pub async fn export_members_as(
    app: &App,
    authority: Authority<'_>,
    unit_code: &str,
    requester: &Requester,
    out: &mut (dyn Write + Send),
) -> Result<ExportSummary> {
    let current = geography::current_set(&app.store).await?;
    let unit = units::find_by_code(&app.store, unit_code.trim(), current.as_deref())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("unit '{}'", unit_code.trim())))?;
    let allowed = authorise(app, authority, &unit).await?;
    let scope = if unit.kind == UnitKind::Branch.as_str() {
        ListScope::Branch
    } else {
        ListScope::Constituency
    };
    let scope_ids = units::descendants(&app.store, unit.id).await?;
    let on = app.clock.today();
    let stamp = app.clock.stamp();

    let write_error = |e: std::io::Error| AppError::Io {
        context: "cannot write the membership list".into(),
        source: e,
    };
    let mut hashing = Hashing {
        inner: out,
        hasher: Sha256::new(),
    };
    hashing
        .write_all(watermark(requester, &stamp, &unit).as_bytes())
        .map_err(write_error)?;
    let mut w = crate::csv_out::Writer::from_writer(&mut hashing);
    let csv_error =
        |e: csv::Error| AppError::Invalid(format!("cannot write the membership list: {e}"));
    w.write_record(COLUMNS).map_err(csv_error)?;
    let mut names = UnitNames::default();
    let mut rows = 0u64;
    let mut after_id = 0;
    loop {
        let page = page_of(app, &unit, &scope_ids, after_id).await?;
        let Some(last) = page.last() else { break };
        after_id = last.id;
        let ids: Vec<i64> = page.iter().map(|m| m.id).collect();
        let histories = member_batches::status_histories(&app.store, &ids).await?;
        for m in &page {
            let r = &m.row;
            let dates = RecordDates {
                joined_on: r.joined_on,
                continuous_since: r.continuous_since,
                paid_up_until: r.paid_up_until,
            };
            let h = history(
                &r.membership_number,
                dates,
                histories.get(&m.id).map_or(&[][..], Vec::as_slice),
            )?;
            // A list is of members: those whose membership has ended (or not begun) are left out.
            let Some(status) = status_on(&h, on, &app.rules).filter(|s| s.status.is_member())
            else {
                continue;
            };
            let flags = flags_for(&h, on, scope, &app.rules);
            let branch = names.code(&app.store, m.branch_unit_id).await?;
            let clp = names.code(&app.store, m.clp_unit_id).await?;
            let yes_no = |allowed: bool| if allowed { "true" } else { "false" };
            w.write_record([
                r.membership_number.as_str(),
                &r.given_name,
                &r.family_name,
                r.email.as_deref().unwrap_or(""),
                r.phone.as_deref().unwrap_or(""),
                r.address_line1.as_deref().unwrap_or(""),
                r.address_line2.as_deref().unwrap_or(""),
                r.town.as_deref().unwrap_or(""),
                &r.postcode,
                &branch,
                &clp,
                status.status.as_str(),
                &status.since.to_string(),
                yes_no(flags.can_attend.allowed),
                yes_no(flags.can_vote.allowed),
                yes_no(flags.can_hold_office.allowed),
                &explain(&flags),
            ])
            .map_err(csv_error)?;
            rows += 1;
        }
    }
    w.flush().map_err(write_error)?;
    drop(w);
    let digest = hex::encode(hashing.hasher.finalize());

    let mut tx = app.store.begin().await?;
    let audit_seq = audit::append(
        &mut tx,
        &allowed,
        NewEvent {
            occurred_at: stamp,
            actor: requester.as_str().to_string(),
            action: ACTION.into(),
            subject: unit.code.clone(),
            unit: Some(unit.code.clone()),
            before: None,
            after: Some(digest.clone()),
            detail: serde_json::json!({
                "rows": rows, "on": on.to_string(), "boundary_set": unit.boundary_set,
                "scope": match scope { ListScope::Branch => "branch", ListScope::Constituency => "constituency" },
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ExportSummary {
        unit_code: unit.code,
        unit_name: unit.name,
        rows,
        digest,
        audit_seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requester_is_an_email_address_on_one_line() {
        assert_eq!(
            Requester::parse(" Sec@Example.org ").unwrap().as_str(),
            "sec@example.org"
        );
        for bad in [
            "",
            "secretary",
            "@example.org",
            "sec@",
            "sec@localhost",
            "a@b@c.org",
            "sec@example.org\n# forged",
            "sec,x@example.org",
            "se c@example.org",
        ] {
            assert!(Requester::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_watermark_is_one_comment_line() {
        let unit = Unit {
            id: 1,
            boundary_set: "pcon2024".into(),
            code: "pcon2024:E14001337".into(),
            kind: "clp".into(),
            name: "Liverpool\nRiverside".into(),
            gss_code: None,
            parent_id: None,
            special_measures: false,
            version: 1,
        };
        let r = Requester::parse("sec@example.org").unwrap();
        let line = watermark(&r, "2026-11-22T10:00:00Z", &unit);
        assert!(line.starts_with(
            "# Exported for sec@example.org at 2026-11-22T10:00:00Z from caucus: members of pcon2024:E14001337 (Liverpool Riverside)"
        ));
        assert_eq!(line.matches('\n').count(), 1);
        assert!(line.ends_with('\n'));
    }
}
