//! `caucus boundaries reallocate`: every member, whatever their status, placed in the constituency
//! party and branch of a new boundary set by postcode, effective on a date; history kept; the set made
//! current. A postcode with no constituency party in the new set is an exception, never a guess.
//! Work goes in ranges of member ids, each committed with its checkpoint, so a killed run resumes.
use crate::{io_error, App, AppError, Progress, Result, CLI_ACTOR};
use caucus_domain::access::allowed::{Allowed, Operator};
use caucus_store::audit::{self, digest, NewEvent};
use caucus_store::organisation::geography;
use caucus_store::organisation::reallocation::{self, Run, SummaryCount};
use caucus_store::Tx;
use std::collections::BTreeMap;
use std::path::Path;
use time::Date;

pub const CHUNK: i64 = 25_000;
const REPORT_PAGE: i64 = 20_000;
/// The tables whose statistics the reallocation's joins depend on.
const PLANNED_TABLES: [&str; 6] = [
    "members",
    "postcode_units",
    "member_placements",
    "postcodes",
    "units",
    "branch_wards",
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClpSummary {
    pub moved_in: u64,
    pub unchanged: u64,
    pub exceptions: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReallocationSummary {
    pub run_id: i64,
    pub from_set: String,
    pub to_set: String,
    pub members: u64,
    pub moved: u64,
    pub unchanged: u64,
    pub exceptions: u64,
    pub resumed: bool,
    pub dry_run: bool,
    /// Per new constituency party (name (code)); exceptions are counted under their old CLP.
    pub per_clp: BTreeMap<String, ClpSummary>,
}

pub struct ReallocateOptions<'a> {
    pub to_set: &'a str,
    pub effective: Option<Date>,
    pub dry_run: bool,
    pub report: Option<&'a Path>,
    /// Members per committed range (normally `CHUNK`); smaller ranges checkpoint more often.
    pub chunk: i64,
}

/// An operator's command (`caucus reallocate`).
pub async fn reallocate(
    app: &App,
    operator: &Operator,
    opts: &ReallocateOptions<'_>,
    progress: &dyn Progress,
) -> Result<ReallocationSummary> {
    let allowed = &Allowed::operator(operator);
    let to_set = opts.to_set;
    let sets = geography::boundary_sets(&app.store).await?;
    let target = sets.iter().find(|s| s.name == to_set).ok_or_else(|| {
        let names: Vec<&str> = sets.iter().map(|s| s.name.as_str()).collect();
        AppError::Invalid(format!(
            "boundary set '{to_set}' has not been imported (the register has: {})",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ))
    })?;
    let effective = opts
        .effective
        .or(target.effective_from)
        .unwrap_or_else(|| app.clock.today());
    let current = geography::current_set(&app.store).await?;
    let existing = reallocation::unfinished(&app.store, to_set, effective).await?;
    let from_set = match (&existing, &current) {
        (Some(run), _) => run.from_set.clone(),
        (None, Some(c)) if c == to_set => {
            return Err(AppError::Invalid(format!(
                "boundary set '{to_set}' is already the register's current set"
            )))
        }
        (None, Some(c)) => c.clone(),
        (None, None) => {
            return Err(AppError::Invalid(
                "no boundary set is current: import geography first".into(),
            ))
        }
    };
    let max_id = reallocation::max_member_id(&app.store).await?;
    app.store.analyze(&PLANNED_TABLES).await?;
    let chunk = opts.chunk.max(1);
    let resumed = existing.is_some() && !opts.dry_run;

    // A dry run does the same work in one transaction and rolls it back.
    let mut dry_tx: Option<Tx> = if opts.dry_run {
        Some(app.store.begin().await?)
    } else {
        None
    };
    let run = match (existing, opts.dry_run) {
        (Some(run), false) => run,
        _ => {
            let started = app.clock.stamp();
            let id = match dry_tx.as_mut() {
                Some(tx) => reallocation::start(tx, to_set, &from_set, effective, &started).await?,
                None => {
                    let mut tx = app.store.begin().await?;
                    let id = reallocation::start(&mut tx, to_set, &from_set, effective, &started)
                        .await?;
                    tx.commit().await?;
                    id
                }
            };
            Run {
                id,
                to_set: to_set.to_string(),
                from_set: from_set.clone(),
                effective_on: effective,
                last_member_id: 0,
            }
        }
    };

    progress.start(
        &format!("reallocating members to {to_set}"),
        Some(max_id.max(0) as u64),
    );
    let mut from = run.last_member_id;
    while from < max_id {
        let to = (from + chunk).min(max_id);
        match dry_tx.as_mut() {
            Some(tx) => {
                apply(app, allowed, tx, &run, from, to).await?;
            }
            None => {
                let mut tx = app.store.begin().await?;
                apply(app, allowed, &mut tx, &run, from, to).await?;
                tx.commit().await?;
            }
        }
        from = to;
        progress.set(to as u64);
    }
    progress.finish();

    let mut summary = ReallocationSummary {
        run_id: run.id,
        from_set,
        to_set: to_set.to_string(),
        resumed,
        dry_run: opts.dry_run,
        ..Default::default()
    };
    // The summary is counted in the database; members are read back one by one only for a report.
    let mut names: BTreeMap<i64, (String, String)> = BTreeMap::new();
    for c in reallocation::summary_counts(&app.store, run.id, dry_tx.as_mut()).await? {
        for id in [c.new_clp, c.old_clp].into_iter().flatten() {
            if let std::collections::btree_map::Entry::Vacant(e) = names.entry(id) {
                if let Some(u) = caucus_store::organisation::units::get(&app.store, id).await? {
                    e.insert((u.name, u.gss_code.unwrap_or(u.code)));
                }
            }
        }
        let label = |id: Option<i64>| {
            id.and_then(|i| names.get(&i))
                .map(|(n, g)| (n.clone(), g.clone()))
        };
        let (new, old) = (label(c.new_clp), label(c.old_clp));
        let n = c.members as u64;
        summary.members += n;
        if c.exception {
            summary.exceptions += n;
            summary
                .per_clp
                .entry(clp_key(old.as_ref()))
                .or_default()
                .exceptions += n;
        } else if old.is_some() && old.as_ref().map(|o| &o.1) == new.as_ref().map(|n| &n.1) {
            summary.unchanged += n;
            summary
                .per_clp
                .entry(clp_key(new.as_ref()))
                .or_default()
                .unchanged += n;
        } else {
            summary.moved += n;
            summary
                .per_clp
                .entry(clp_key(new.as_ref()))
                .or_default()
                .moved_in += n;
        }
    }
    if let Some(path) = opts.report {
        write_report(app, &run, max_id, path, dry_tx.as_mut()).await?;
    }

    match dry_tx {
        Some(tx) => tx.rollback().await?,
        None => {
            let mut tx = app.store.begin().await?;
            reallocation::finish(&mut tx, run.id, &app.clock.stamp()).await?;
            geography::set_current_set(&mut tx, to_set).await?;
            audit::append(
                &mut tx,
                allowed,
                NewEvent {
                    occurred_at: app.clock.stamp(),
                    actor: CLI_ACTOR.into(),
                    action: "boundaries.reallocate.finish".into(),
                    subject: format!("reallocation:{}", run.id),
                    unit: None,
                    before: Some(digest(&summary.from_set)),
                    after: Some(digest(to_set)),
                    detail: serde_json::json!({
                        "from_set": summary.from_set, "to_set": to_set, "effective": effective.to_string(),
                        "members": summary.members, "moved": summary.moved, "unchanged": summary.unchanged,
                        "exceptions": summary.exceptions,
                    }),
                },
            )
            .await?;
            tx.commit().await?;
        }
    }
    Ok(summary)
}

/// Counts a range's placements by (new CLP, previous CLP) from its digest lines
/// (`member,new CLP,new branch,previous CLP`, 0 for none).
fn placement_counts(lines: &str) -> Result<Vec<SummaryCount>> {
    let mut counts: BTreeMap<(Option<i64>, Option<i64>), i64> = BTreeMap::new();
    for line in lines.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        let id = |i: usize| -> Result<Option<i64>> {
            let n: i64 = fields.get(i).and_then(|f| f.parse().ok()).ok_or_else(|| {
                AppError::Invalid(format!("a placement reads back malformed: '{line}'"))
            })?;
            Ok((n != 0).then_some(n))
        };
        *counts.entry((id(1)?, id(3)?)).or_default() += 1;
    }
    Ok(counts
        .into_iter()
        .map(|((new_clp, old_clp), members)| SummaryCount {
            new_clp,
            old_clp,
            exception: false,
            members,
        })
        .collect())
}

fn clp_key(clp: Option<&(String, String)>) -> String {
    match clp {
        Some((name, code)) => format!("{name} ({code})"),
        None => "(no constituency party)".to_string(),
    }
}

/// The per-member report of SPEC 5.3, written a range of members at a time.
async fn write_report(
    app: &App,
    run: &Run,
    max_id: i64,
    path: &Path,
    mut tx: Option<&mut Tx>,
) -> Result<()> {
    let mut w = crate::csv_out::Writer::from_path(path).map_err(|e| {
        AppError::Invalid(format!("cannot write the report {}: {e}", path.display()))
    })?;
    let report_err = |e: csv::Error| AppError::Invalid(format!("cannot write the report: {e}"));
    w.write_record([
        "membership_number",
        "postcode",
        "ward",
        "old_constituency",
        "new_constituency",
        "outcome",
    ])
    .map_err(report_err)?;
    let mut after = 0i64;
    while after < max_id {
        let upto = (after + REPORT_PAGE).min(max_id);
        let page =
            reallocation::report_page(&app.store, run.id, after, upto, tx.as_deref_mut()).await?;
        after = upto;
        for row in &page {
            let (new, outcome) = match (&row.exception, &row.new_constituency) {
                (Some(reason), _) => (reason.as_str(), "exception"),
                (None, new) if row.old_constituency.is_some() && row.old_constituency == *new => {
                    (new.as_deref().unwrap_or(""), "unchanged")
                }
                (None, new) => (new.as_deref().unwrap_or(""), "moved"),
            };
            w.write_record([
                row.membership_number.as_str(),
                &row.postcode,
                row.ward.as_deref().unwrap_or(""),
                row.old_constituency.as_deref().unwrap_or(""),
                new,
                outcome,
            ])
            .map_err(report_err)?;
        }
    }
    w.flush().map_err(io_error("cannot write the report"))?;
    Ok(())
}

async fn apply(
    app: &App,
    allowed: &Allowed,
    tx: &mut Tx,
    run: &Run,
    from: i64,
    to: i64,
) -> Result<()> {
    let pending = audit::reserve(tx, allowed).await?;
    let outcome = reallocation::apply_chunk(tx, run, from, to, pending.seq).await?;
    let after = reallocation::chunk_digest_input(tx, run.id, from, to).await?;
    let mut counts = placement_counts(&after)?;
    if outcome.exceptions > 0 {
        counts.extend(reallocation::chunk_exception_counts(tx, run, from, to).await?);
    }
    reallocation::add_counts(tx, run.id, &counts).await?;
    pending
        .write(
            tx,
            NewEvent {
                occurred_at: app.clock.stamp(),
                actor: CLI_ACTOR.into(),
                action: "boundaries.reallocate".into(),
                subject: format!("reallocation:{}", run.id),
                unit: None,
                before: None,
                after: Some(digest(after)),
                detail: serde_json::json!({
                    "to_set": run.to_set, "effective": run.effective_on.to_string(), "member_ids": [from + 1, to],
                    "placed": outcome.placed, "exceptions": outcome.exceptions,
                }),
            },
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements_are_counted_by_new_and_previous_constituency_party() {
        let lines = "1,7,70,3\n2,7,71,3\n3,8,0,0\n4,7,70,4\n";
        let counts = placement_counts(lines).expect("well-formed lines");
        let by_pair: Vec<(Option<i64>, Option<i64>, i64)> = counts
            .iter()
            .map(|c| (c.new_clp, c.old_clp, c.members))
            .collect();
        assert_eq!(
            by_pair,
            vec![
                (Some(7), Some(3), 2),
                (Some(7), Some(4), 1),
                (Some(8), None, 1)
            ]
        );
        assert!(counts.iter().all(|c| !c.exception));
    }

    #[test]
    fn a_malformed_line_is_an_error_not_a_guess() {
        assert!(placement_counts("1,7\n").is_err());
        assert!(placement_counts("").expect("no lines").is_empty());
    }
}
