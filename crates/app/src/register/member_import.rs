//! `caucus import members`: the members CSV of SPEC 5.3, upserted by membership number. Rows are
//! validated one by one (a bad row is rejected with its line and reason, the rest imported) and
//! written in batches; each batch commits its members, their history, its rejects, the run's
//! checkpoint and its audit event together, so a killed import leaves whole batches and a rerun of
//! the same file resumes after the last one.
use crate::clock::parse_date;
use crate::csv_lines::{self, CsvFile};
use crate::register::member_history::{self, RecordDates};
use crate::{io_error, App, AppError, Progress, Result, CLI_ACTOR};
use caucus_domain::access::allowed::{Allowed, Operator};
use caucus_domain::register::lifecycle::TransitionReason;
use caucus_domain::register::member::{parse_bool, MemberStatus, PaymentMethod};
use caucus_domain::register::postcode::Postcode;
use caucus_domain::register::status::{imported_change, imported_history};
use caucus_store::audit::member_digests;
use caucus_store::audit::{self, NewEvent};
use caucus_store::organisation::geography::{self, Placement};
use caucus_store::register::imports::{self, ImportRun, Reject};
use caucus_store::register::member_batches;
use caucus_store::register::members::{self, MemberRow, PlacementRow, StatusRow};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use time::Date;

pub const COLUMNS: [&str; 17] = [
    "membership_number",
    "given_name",
    "family_name",
    "email",
    "phone",
    "date_of_birth",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "joined_on",
    "status",
    "rate",
    "payment_method",
    "paid_up_until",
    "registered_to_vote",
    "trade_union",
];
const REQUIRED: [&str; 8] = [
    "membership_number",
    "given_name",
    "family_name",
    "postcode",
    "joined_on",
    "status",
    "rate",
    "payment_method",
];
const KIND: &str = "members";
pub const DEFAULT_BATCH: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportSummary {
    pub run_id: i64,
    pub imported: i64,
    pub updated: i64,
    pub rejected: i64,
    /// Data lines skipped because an earlier, interrupted run of the same file had committed them.
    pub resumed_after_line: i64,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {}, updated {}, rejected {}",
            self.imported, self.updated, self.rejected
        )
    }
}

/// A validated row, before its postcode is placed.
struct Parsed {
    line: i64,
    row: MemberRow,
}

/// Column positions in the file's header.
struct Layout {
    index: [usize; 17],
}

fn layout(headers: &csv::StringRecord) -> Result<Layout> {
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
        .collect();
    let extra: Vec<&str> = names
        .iter()
        .filter(|n| !COLUMNS.contains(&n.as_str()))
        .map(String::as_str)
        .collect();
    if !extra.is_empty() {
        return Err(AppError::Invalid(format!(
            "the header has unknown columns: {}",
            extra.join(", ")
        )));
    }
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| !names.iter().any(|n| n == *c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Invalid(format!(
            "the header lacks the columns: {}",
            missing.join(", ")
        )));
    }
    let mut index = [0usize; 17];
    for (i, c) in COLUMNS.iter().enumerate() {
        let pos = names.iter().position(|n| n == c);
        let twice = names.iter().filter(|n| n == c).count() > 1;
        match pos {
            Some(p) if !twice => index[i] = p,
            _ => {
                return Err(AppError::Invalid(format!(
                    "the header names the column {c} twice"
                )))
            }
        }
    }
    Ok(Layout { index })
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn opt_date(s: &str, column: &str) -> std::result::Result<Option<Date>, String> {
    match s.trim() {
        "" => Ok(None),
        t => parse_date(t)
            .map(Some)
            .map_err(|e| format!("{column}: {e}")),
    }
}

/// The digest that tells an unchanged row: every field as the CSV gives it, normalised.
fn row_digest(r: &MemberRow) -> String {
    let mut h = Sha256::new();
    let d = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
    for part in [
        r.membership_number.as_str(),
        &r.given_name,
        &r.family_name,
        r.email.as_deref().unwrap_or(""),
        r.phone.as_deref().unwrap_or(""),
        &d(r.date_of_birth),
        r.address_line1.as_deref().unwrap_or(""),
        r.address_line2.as_deref().unwrap_or(""),
        r.town.as_deref().unwrap_or(""),
        &r.postcode,
        &r.joined_on.to_string(),
        &r.rate,
        &r.payment_method,
        &d(r.paid_up_until),
        if r.registered_to_vote { "1" } else { "0" },
        r.trade_union.as_deref().unwrap_or(""),
        &r.status,
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

fn parse_record(
    app: &App,
    rec: &csv::StringRecord,
    l: &Layout,
    today: Date,
) -> std::result::Result<MemberRow, String> {
    let get = |i: usize| rec.get(l.index[i]).unwrap_or("");
    for (i, c) in COLUMNS.iter().enumerate() {
        if REQUIRED.contains(c) && get(i).trim().is_empty() {
            return Err(format!("{c} is missing"));
        }
    }
    let postcode = Postcode::parse(get(9)).map_err(|e| format!("postcode: {e}"))?;
    let joined_on = parse_date(get(10)).map_err(|e| format!("joined_on: {e}"))?;
    if joined_on > today {
        return Err(format!("joined_on {joined_on} is in the future"));
    }
    let date_of_birth = opt_date(get(5), "date_of_birth")?;
    if let Some(dob) = date_of_birth {
        if dob >= joined_on {
            return Err(format!(
                "date_of_birth {dob} is not before joined_on {joined_on}"
            ));
        }
    }
    let status = MemberStatus::parse(get(11)).map_err(|e| e.to_string())?;
    let rate = get(12).trim().to_string();
    if app.rules.rate(&rate).is_none() {
        let ids: Vec<&str> = app.rules.rates().iter().map(|r| r.id.as_str()).collect();
        return Err(format!(
            "unknown rate '{rate}' (the rulebook's rates are: {})",
            ids.join(", ")
        ));
    }
    let payment_method = PaymentMethod::parse(get(13)).map_err(|e| e.to_string())?;
    let registered_to_vote = match get(15).trim() {
        "" => false,
        t => parse_bool(t).map_err(|e| format!("registered_to_vote: {e}"))?,
    };
    let mut row = MemberRow {
        membership_number: get(0).trim().to_string(),
        given_name: get(1).trim().to_string(),
        family_name: get(2).trim().to_string(),
        email: opt(get(3)),
        phone: opt(get(4)),
        date_of_birth,
        address_line1: opt(get(6)),
        address_line2: opt(get(7)),
        town: opt(get(8)),
        postcode: postcode.as_str().to_string(),
        joined_on,
        continuous_since: joined_on,
        rate,
        payment_method: payment_method.as_str().to_string(),
        paid_up_until: opt_date(get(14), "paid_up_until")?,
        registered_to_vote,
        // The source vouches for the registration; the register records when it was told so.
        registration_verified_on: registered_to_vote.then_some(today),
        trade_union: opt(get(16)),
        status: status.as_str().to_string(),
        row_digest: String::new(),
    };
    row.row_digest = row_digest(&row);
    Ok(row)
}

fn file_digest(path: &Path) -> Result<String> {
    let shown = path.display().to_string();
    let mut f = std::fs::File::open(path).map_err(io_error(format!("cannot open {shown}")))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(io_error(format!("cannot read {shown}")))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

pub struct ImportOptions {
    pub batch: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            batch: DEFAULT_BATCH,
        }
    }
}

/// An operator's command (`caucus import members`).
pub async fn import_members(
    app: &App,
    operator: &Operator,
    path: &Path,
    opts: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportSummary> {
    let allowed = &Allowed::operator(operator);
    let shown = path.display().to_string();
    let set = geography::current_set(&app.store).await?.ok_or_else(|| {
        AppError::Invalid(
            "no boundary set has been imported yet: run `caucus import geography` first".into(),
        )
    })?;
    let size = std::fs::metadata(path).map(|m| m.len()).ok();
    let mut file = CsvFile::open(path).map_err(io_error(format!("cannot open {shown}")))?;
    let headers = file
        .headers()
        .map_err(|e| AppError::Invalid(format!("cannot read the header of {shown}: {e}")))?
        .clone();
    let layout = layout(&headers)?;
    let fdigest = file_digest(path)?;

    let mut run = match imports::unfinished(&app.store, KIND, &fdigest).await? {
        Some(run) => run,
        None => {
            let mut tx = app.store.begin().await?;
            let id = imports::start(&mut tx, KIND, &shown, &fdigest, &app.clock.stamp()).await?;
            tx.commit().await?;
            ImportRun {
                id,
                lines_done: 0,
                imported: 0,
                updated: 0,
                rejected: 0,
            }
        }
    };
    let resumed_after_line = run.lines_done;
    let today = app.clock.today();
    let batch_size = opts.batch.max(1);

    progress.start(&format!("importing members into {set}"), size);
    // Every membership number seen so far in the file, with its line: a repeat is rejected.
    let mut seen: HashMap<String, i64> = HashMap::new();
    let mut batch: Vec<Parsed> = Vec::with_capacity(batch_size);
    let mut rejects: Vec<Reject> = Vec::new();
    let mut raw = csv::ByteRecord::new();
    // The line the last record read starts on: true physical lines (`csv_lines`), so that resuming
    // after `run.lines_done` and every reject's line mean the same line in any line ending.
    let mut last_line: i64 = 1;
    loop {
        // Ok(Some(line)) is a fresh record, read once; an error is the file failing to read, which
        // ends the import (a rerun resumes after the last whole batch).
        let read = file.next_record(&mut raw).map_err(|e| {
            AppError::Invalid(format!("cannot read {shown} after line {last_line}: {e}"))
        })?;
        let more = read.is_some();
        if let Some(line) = read {
            let line = i64::try_from(line).unwrap_or(i64::MAX);
            last_line = line;
            let number = raw
                .get(layout.index[0])
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .unwrap_or_default();
            let first = if number.is_empty() {
                None
            } else {
                seen.get(&number).copied()
            };
            if !number.is_empty() && first.is_none() {
                seen.insert(number.clone(), line);
            }
            if line > run.lines_done {
                let checked = if raw.len() != headers.len() {
                    Err(format!(
                        "the row has {} fields but the header has {}",
                        raw.len(),
                        headers.len()
                    ))
                } else if let Some(first) = first {
                    Err(format!(
                        "membership number repeated in the file (first on line {first})"
                    ))
                } else {
                    csv_lines::text(&raw, &headers)
                        .and_then(|rec| parse_record(app, &rec, &layout, today))
                };
                match checked {
                    Ok(row) => batch.push(Parsed { line, row }),
                    Err(reason) => rejects.push(Reject {
                        line,
                        // As the file gives it, but storable as text.
                        membership_number: number.replace('\0', "\u{fffd}"),
                        reason,
                    }),
                }
            }
        }
        let pending = batch.len() + rejects.len();
        if pending >= batch_size || (!more && (pending > 0 || last_line > run.lines_done)) {
            write_batch(
                app,
                allowed,
                &set,
                &mut run,
                std::mem::take(&mut batch),
                std::mem::take(&mut rejects),
                last_line,
                today,
            )
            .await?;
            progress.set(file.byte());
        }
        if !more {
            break;
        }
    }
    let mut tx = app.store.begin().await?;
    imports::finish(&mut tx, run.id, &app.clock.stamp()).await?;
    tx.commit().await?;
    app.store
        .analyze(&["members", "member_status_history", "member_placements"])
        .await?;
    progress.finish();
    Ok(ImportSummary {
        run_id: run.id,
        imported: run.imported,
        updated: run.updated,
        rejected: run.rejected,
        resumed_after_line,
    })
}

/// Writes the rejects of a run as CSV `line,membership_number,reason`.
pub async fn write_rejects(app: &App, run_id: i64, path: &Path) -> Result<usize> {
    let rejects = imports::rejects(&app.store, run_id).await?;
    let shown = path.display().to_string();
    let mut w = crate::csv_out::Writer::from_path(path)
        .map_err(|e| AppError::Invalid(format!("cannot write {shown}: {e}")))?;
    let write = |w: &mut crate::csv_out::Writer<std::fs::File>, rec: [&str; 3]| {
        w.write_record(rec)
            .map_err(|e| AppError::Invalid(format!("cannot write {shown}: {e}")))
    };
    write(&mut w, ["line", "membership_number", "reason"])?;
    for r in &rejects {
        write(
            &mut w,
            [&r.line.to_string(), &r.membership_number, &r.reason],
        )?;
    }
    w.flush()
        .map_err(io_error(format!("cannot write {shown}")))?;
    Ok(rejects.len())
}

#[allow(clippy::too_many_arguments)]
async fn write_batch(
    app: &App,
    allowed: &Allowed,
    set: &str,
    run: &mut ImportRun,
    batch: Vec<Parsed>,
    mut rejects: Vec<Reject>,
    last_line: i64,
    today: Date,
) -> Result<()> {
    let mut tx = app.store.begin().await?;
    let numbers: Vec<&str> = batch
        .iter()
        .map(|p| p.row.membership_number.as_str())
        .collect();
    let existing = members::existing(&mut tx, &numbers).await?;
    let mut postcodes: Vec<&str> = batch.iter().map(|p| p.row.postcode.as_str()).collect();
    postcodes.sort_unstable();
    postcodes.dedup();
    let places: HashMap<String, Placement> = geography::placements(&mut tx, set, &postcodes)
        .await?
        .into_iter()
        .map(|p| (p.postcode.clone(), p))
        .collect();

    let pending = audit::reserve(&mut tx, allowed).await?;
    let seq = pending.seq;
    let mut new_rows: Vec<(i64, MemberRow, &Placement)> = Vec::new();
    let mut updates: Vec<(i64, MemberRow, bool, Option<&Placement>)> = Vec::new();
    // The digest of each member row as this batch writes it, stored beside its event
    // (`member_digests`): one SHA-256 per changed row, and one narrow insert per batch.
    let mut written: Vec<(i64, String)> = Vec::new();
    for Parsed { line, row } in batch {
        let current = existing.get(&row.membership_number);
        if let Some(cur) = current {
            if cur.row_digest == row.row_digest {
                continue;
            }
        }
        let moved = current.is_none_or(|c| c.postcode != row.postcode);
        let place = places.get(&row.postcode);
        let place = match place {
            None => {
                rejects.push(Reject {
                    line,
                    membership_number: row.membership_number.clone(),
                    reason: format!("postcode {} is not in boundary set {set}", row.postcode),
                });
                continue;
            }
            Some(p) if moved && p.terminated_on.is_some() => {
                rejects.push(Reject {
                    line,
                    membership_number: row.membership_number.clone(),
                    reason: format!(
                        "postcode {} was terminated on {} and cannot be used for a new address",
                        row.postcode,
                        p.terminated_on.map(|d| d.to_string()).unwrap_or_default()
                    ),
                });
                continue;
            }
            // A postcode the set knows but gives no constituency (new since the set was drawn) is
            // accepted unplaced: the member is kept, and placed by the next reallocation.
            Some(p) => p,
        };
        match current {
            None => new_rows.push((line, row, place)),
            Some(cur) => {
                let status_changed = cur.status != row.status;
                updates.push((cur.id, row, status_changed, moved.then_some(place)));
            }
        }
    }

    let inserted_rows: Vec<MemberRow> = new_rows.iter().map(|(_, r, _)| r.clone()).collect();
    let ids = members::insert_many(&mut tx, &inserted_rows).await?;
    let mut statuses: Vec<StatusRow> = Vec::with_capacity(new_rows.len() * 2);
    let mut placements: Vec<PlacementRow> = Vec::with_capacity(new_rows.len());
    let status_row = |member_id: i64, on: Date, status: &str, reason: TransitionReason| StatusRow {
        member_id,
        effective_on: on,
        status: status.to_string(),
        reason_code: reason.as_str().to_string(),
        actor: CLI_ACTOR.to_string(),
        audit_seq: seq,
    };
    let placement_row =
        |member_id: i64, on: Date, r: &MemberRow, place: &Placement, reason: &str| PlacementRow {
            member_id,
            effective_from: on,
            boundary_set: set.to_string(),
            postcode: r.postcode.clone(),
            ward_code: place.ward_code.clone(),
            branch_unit_id: place.branch_unit_id,
            clp_unit_id: place.clp_unit_id,
            reason_code: reason.to_string(),
            reallocation_run: None,
            audit_seq: seq,
        };
    for (_, row, place) in &new_rows {
        let Some(&id) = ids.get(&row.membership_number) else {
            return Err(AppError::Invalid(format!(
                "member {} was not stored",
                row.membership_number
            )));
        };
        let asserted =
            MemberStatus::parse(&row.status).map_err(|e| AppError::Invalid(e.to_string()))?;
        for t in imported_history(
            row.joined_on,
            row.paid_up_until,
            asserted,
            today,
            &app.rules,
        ) {
            statuses.push(status_row(id, t.effective_on, t.status.as_str(), t.reason));
        }
        placements.push(placement_row(id, row.joined_on, row, place, "joined"));
        written.push((id, row.audit_digest()));
    }
    // A member whose status the source changed gets a recorded change only where the rules, over
    // their history and the source's new dates, do not arrive at it themselves (`imported_change`).
    let changed: Vec<i64> = updates.iter().filter(|u| u.2).map(|u| u.0).collect();
    let mut histories = member_batches::status_histories_in(&mut tx, &changed).await?;
    for (id, row, status_changed, moved) in &updates {
        members::update(&mut tx, *id, row).await?;
        written.push((*id, row.audit_digest()));
        if *status_changed {
            let asserted =
                MemberStatus::parse(&row.status).map_err(|e| AppError::Invalid(e.to_string()))?;
            let dates = RecordDates {
                joined_on: row.joined_on,
                continuous_since: row.continuous_since,
                paid_up_until: row.paid_up_until,
            };
            let recorded = histories.remove(id).unwrap_or_default();
            let history = member_history::history(&row.membership_number, dates, &recorded)?;
            if let Some(t) = imported_change(&history, asserted, today, &app.rules) {
                statuses.push(status_row(*id, t.effective_on, t.status.as_str(), t.reason));
            }
        }
        if let Some(place) = moved {
            placements.push(placement_row(*id, today, row, place, "address_change"));
        }
    }
    members::insert_status_history(&mut tx, &statuses).await?;
    members::insert_placements(&mut tx, &placements).await?;
    rejects.sort_by_key(|r| r.line);
    imports::add_rejects(&mut tx, run.id, &rejects).await?;
    run.imported += new_rows.len() as i64;
    run.updated += updates.len() as i64;
    run.rejected += rejects.len() as i64;
    run.lines_done = last_line;
    imports::advance(&mut tx, run).await?;
    let stored = written.len();
    let after = member_digests::record(&mut tx, seq, written).await?;
    pending
        .write(
            &mut tx,
            NewEvent {
                occurred_at: app.clock.stamp(),
                actor: CLI_ACTOR.into(),
                action: "members.import".into(),
                subject: format!("import:{}", run.id),
                unit: None,
                before: None,
                after: Some(after),
                detail: serde_json::json!({
                    "through_line": last_line, "imported": new_rows.len(), "updated": updates.len(),
                    "rejected": rejects.len(), "boundary_set": set,
                    member_digests::DETAIL_KEY: stored,
                }),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extra_column_is_named_in_the_error() {
        let mut cols: Vec<&str> = COLUMNS.to_vec();
        cols.push("shoe_size");
        let e = layout(&csv::StringRecord::from(cols))
            .err()
            .unwrap()
            .to_string();
        assert_eq!(e, "the header has unknown columns: shoe_size");
    }

    #[test]
    fn a_missing_column_is_named_and_a_bom_is_ignored() {
        let mut cols: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
        cols[0] = format!("\u{feff}{}", cols[0]);
        assert!(layout(&csv::StringRecord::from(cols.clone())).is_ok());
        cols.pop();
        let e = layout(&csv::StringRecord::from(cols))
            .err()
            .unwrap()
            .to_string();
        assert_eq!(e, "the header lacks the columns: trade_union");
    }
}
