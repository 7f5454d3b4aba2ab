//! `caucus import geography`: postcode lookups (ONSPD, NSPL, or the simple lookup layout) into a
//! boundary set, streamed in batches, then the units the set implies: nations, regions, local
//! authorities, a constituency party per constituency and a branch per ward within it.
//!
//! Columns are matched by pattern because ONS renames them every year (`oslaua`, `laua`, `lad25cd` are
//! one column). Pseudo codes such as `E99999999` mean "none".
use crate::csv_lines::{self, CsvFile};
use crate::organisation::names::{names, ConstituencyList};
use crate::{io_error, App, AppError, Progress, Result, CLI_ACTOR};
use caucus_domain::access::allowed::{Allowed, Operator};
use caucus_domain::organisation::unit::{clp_code, UnitKind};
use caucus_domain::register::postcode::Postcode;
use caucus_store::audit::{self, digest, NewEvent};
use caucus_store::organisation::geography::{self, BoundarySet, PostcodeRow};
use caucus_store::organisation::units::{self, NewUnit};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use time::Date;

#[derive(Debug, Clone, Default)]
pub struct GeographyOptions {
    pub set: String,
    pub pcon_column: Option<String>,
    pub from: Option<Date>,
    pub until: Option<Date>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeographySummary {
    pub layout: String,
    pub pcon_column: String,
    pub rows: u64,
    pub postcodes: u64,
    pub terminated: u64,
    /// (line, reason) of the first bad rows; `bad_rows` counts them all.
    pub bad: Vec<(u64, String)>,
    pub bad_rows: u64,
    pub units_changed: u64,
    pub clps: u64,
    pub branches: u64,
    pub became_current: bool,
}

const BATCH: usize = 5_000;
const BAD_ROWS_KEPT: usize = 100;

struct Columns {
    postcode: usize,
    ward: Option<usize>,
    lad: Option<usize>,
    pcon: usize,
    pcon_name: String,
    region: Option<usize>,
    country: Option<usize>,
    doterm: Option<usize>,
    ward_name: Option<usize>,
    lad_name: Option<usize>,
    pcon_name_col: Option<usize>,
    layout: &'static str,
}

fn find(headers: &[String], patterns: &[&str]) -> Option<usize> {
    for p in patterns {
        let re = Regex::new(&format!("(?i)^(?:{p})$")).ok()?;
        if let Some(i) = headers.iter().position(|h| re.is_match(h)) {
            return Some(i);
        }
    }
    None
}

fn columns(headers: &[String], pcon_column: Option<&str>) -> Result<Columns> {
    let postcode = find(headers, &["pcds", "postcode", "pcd", "pcd7", "pcd8", "pcd2"]).ok_or_else(|| {
        AppError::Invalid(format!(
            "no postcode column found (looked for pcds, postcode, pcd, pcd7, pcd8); the header is: {}",
            headers.join(",")
        ))
    })?;
    let pcon = match pcon_column {
        Some(name) => headers.iter().position(|h| h.eq_ignore_ascii_case(name)).ok_or_else(|| {
            AppError::Invalid(format!("--pcon-column '{name}' is not in the file; its columns are: {}", headers.join(",")))
        })?,
        None => find(headers, &["pcon", r"pcon\d\dcd"]).ok_or_else(|| {
            AppError::Invalid(format!(
                "no constituency column found (looked for pcon, pconNNcd); name it with --pcon-column. The columns are: {}",
                headers.join(",")
            ))
        })?,
    };
    let pcon_header = headers[pcon].clone();
    // The simple layout names its areas beside their codes: pcon24cd/pcon24nm, x_code/x_name.
    let name_of = |code_col: &str| -> Option<usize> {
        let lower = code_col.to_ascii_lowercase();
        let candidate = if let Some(stem) = lower.strip_suffix("_code") {
            format!("{stem}_name")
        } else if let Some(stem) = lower.strip_suffix("cd") {
            format!("{stem}nm")
        } else {
            return None;
        };
        headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(&candidate))
    };
    let simple = headers.iter().any(|h| h.eq_ignore_ascii_case("ward_code"));
    Ok(Columns {
        postcode,
        ward: find(headers, &["osward", "ward", r"wd\d\dcd", "ward_code"]),
        lad: find(headers, &["oslaua", "laua", r"lad\d\dcd", "lad_code"]),
        pcon,
        pcon_name: pcon_header.clone(),
        region: find(headers, &["rgn", r"rgn\d\dcd", "rgn_code"]),
        country: find(headers, &["ctry", r"ctry\d\dcd", "ctry_code"]),
        doterm: find(headers, &["doterm"]),
        ward_name: find(headers, &["ward_name", r"wd\d\dnm"]),
        lad_name: find(headers, &["lad_name", r"lad\d\dnm"]),
        pcon_name_col: name_of(&pcon_header),
        layout: if simple { "lookup" } else { "onspd" },
    })
}

/// A GSS code, or `None` for an empty cell or a pseudo code (`E99999999`, `S99999999`, ...).
fn code(raw: Option<&str>, what: &str) -> std::result::Result<Option<String>, String> {
    let s = raw.unwrap_or("").trim();
    if s.is_empty() || s.ends_with("99999999") {
        return Ok(None);
    }
    let b = s.as_bytes();
    if b.len() == 9 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit) {
        Ok(Some(s.to_string()))
    } else {
        Err(format!("{what} code '{s}' is not a GSS code"))
    }
}

/// ONSPD's `doterm` is `YYYYMM`: terminated in that month (taken as its first day).
fn doterm(raw: Option<&str>) -> std::result::Result<Option<Date>, String> {
    let s = raw.unwrap_or("").trim();
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || format!("doterm '{s}' is not a month (expected YYYYMM)");
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let year: i32 = s[..4].parse().map_err(|_| bad())?;
    let month: u8 = s[4..].parse().map_err(|_| bad())?;
    let month = time::Month::try_from(month).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, 1)
        .map(Some)
        .map_err(|_| bad())
}

/// The country of a code, from its first letter, for files without a country column.
fn country_of(code: &str) -> Option<&'static str> {
    match code.as_bytes().first() {
        Some(b'E') => Some("E92000001"),
        Some(b'S') => Some("S92000003"),
        Some(b'W') => Some("W92000004"),
        Some(b'N') => Some("N92000002"),
        _ => None,
    }
}

fn parse_row(rec: &csv::StringRecord, c: &Columns) -> std::result::Result<PostcodeRow, String> {
    let raw = rec.get(c.postcode).unwrap_or("");
    let postcode = Postcode::parse(raw).map_err(|e| e.to_string())?;
    let ward_code = code(c.ward.and_then(|i| rec.get(i)), "ward")?;
    let lad_code = code(c.lad.and_then(|i| rec.get(i)), "local authority")?;
    let pcon_code = code(rec.get(c.pcon), "constituency")?;
    let region_code = code(c.region.and_then(|i| rec.get(i)), "region")?;
    let mut country_code = code(c.country.and_then(|i| rec.get(i)), "country")?;
    if country_code.is_none() {
        country_code = [&lad_code, &pcon_code, &ward_code]
            .into_iter()
            .flatten()
            .find_map(|c| country_of(c))
            .map(Into::into);
    }
    Ok(PostcodeRow {
        postcode: postcode.as_str().to_string(),
        ward_code,
        lad_code,
        pcon_code,
        region_code,
        country_code,
        terminated_on: doterm(c.doterm.and_then(|i| rec.get(i)))?,
    })
}

/// An operator's command (`caucus import geography`).
pub async fn import_geography(
    app: &App,
    operator: &Operator,
    path: &Path,
    opts: &GeographyOptions,
    progress: &dyn Progress,
) -> Result<GeographySummary> {
    let allowed = &Allowed::operator(operator);
    let set = opts.set.trim();
    if set.is_empty()
        || !set
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(AppError::Invalid(format!(
            "boundary set name '{set}' must be letters, digits, '-' or '_' (e.g. pcon2024)"
        )));
    }
    if let (Some(f), Some(u)) = (opts.from, opts.until) {
        if u < f {
            return Err(AppError::Invalid(format!(
                "--until {u} is before --from {f}"
            )));
        }
    }
    let shown = path.display().to_string();
    let size = std::fs::metadata(path).map(|m| m.len()).ok();
    let mut file = CsvFile::open(path).map_err(io_error(format!("cannot open {shown}")))?;
    let header_record = file
        .headers()
        .map_err(|e| AppError::Invalid(format!("cannot read the header of {shown}: {e}")))?
        .clone();
    let headers: Vec<String> = header_record
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let cols = columns(&headers, opts.pcon_column.as_deref())?;
    let mut summary = GeographySummary {
        layout: cols.layout.to_string(),
        pcon_column: cols.pcon_name.clone(),
        ..Default::default()
    };

    let mut tx = app.store.begin().await?;
    geography::upsert_boundary_set(
        &mut tx,
        &BoundarySet {
            name: set.to_string(),
            effective_from: opts.from,
            effective_until: opts.until,
        },
        &app.clock.stamp(),
    )
    .await?;
    tx.commit().await?;

    progress.start(&format!("importing postcodes into {set}"), size);
    let mut area_names: HashMap<String, String> = HashMap::new();
    let mut batch: Vec<PostcodeRow> = Vec::with_capacity(BATCH);
    let mut raw = csv::ByteRecord::new();
    // True physical lines (`csv_lines`), whatever the line endings.
    let mut first_line = 2u64;
    let mut last_line = 1u64;
    loop {
        // Ok(Some(line)) is a fresh record; an error is the file failing to read.
        let read = file.next_record(&mut raw).map_err(|e| {
            AppError::Invalid(format!("{shown}: cannot read after line {last_line}: {e}"))
        })?;
        let more = read.is_some();
        if let Some(line) = read {
            summary.rows += 1;
            last_line = line;
            let parsed = csv_lines::text(&raw, &header_record)
                .and_then(|rec| parse_row(&rec, &cols).map(|row| (rec, row)));
            match parsed {
                Ok((rec, row)) => {
                    for (code, col) in [
                        (&row.ward_code, cols.ward_name),
                        (&row.lad_code, cols.lad_name),
                        (&row.pcon_code, cols.pcon_name_col),
                    ] {
                        if let (Some(code), Some(name)) = (code, col.and_then(|i| rec.get(i))) {
                            if !name.trim().is_empty() && !area_names.contains_key(code) {
                                area_names.insert(code.clone(), name.trim().to_string());
                            }
                        }
                    }
                    if row.terminated_on.is_some() {
                        summary.terminated += 1;
                    }
                    batch.push(row);
                }
                Err(reason) => {
                    summary.bad_rows += 1;
                    if summary.bad.len() < BAD_ROWS_KEPT {
                        summary.bad.push((line, reason));
                    }
                }
            }
        }
        if batch.len() >= BATCH || (!more && !batch.is_empty()) {
            write_batch(app, allowed, set, &batch, first_line, last_line).await?;
            summary.postcodes += batch.len() as u64;
            batch.clear();
            first_line = last_line + 1;
            progress.set(file.byte());
        }
        if !more {
            break;
        }
    }
    progress.finish();

    app.store.analyze(&["postcodes"]).await?;
    let (changed, clps, branches) = build_units(app, allowed, set, opts, &area_names).await?;
    app.store.analyze(&["units", "branch_wards"]).await?;
    summary.units_changed = changed;
    summary.clps = clps;
    summary.branches = branches;

    let mut tx = app.store.begin().await?;
    if geography::current_set_tx(&mut tx).await?.is_none() {
        geography::set_current_set(&mut tx, set).await?;
        summary.became_current = true;
    }
    audit::append(
        &mut tx,
        allowed,
        NewEvent {
            occurred_at: app.clock.stamp(),
            actor: CLI_ACTOR.into(),
            action: "geography.import".into(),
            subject: format!("boundary_set:{set}"),
            unit: None,
            before: None,
            after: Some(digest(format!(
                "{}:{}:{}",
                summary.postcodes, summary.clps, summary.branches
            ))),
            detail: serde_json::json!({
                "file": shown, "layout": summary.layout, "pcon_column": summary.pcon_column,
                "rows": summary.rows, "postcodes": summary.postcodes, "bad_rows": summary.bad_rows,
                "units_changed": changed, "became_current": summary.became_current,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

async fn write_batch(
    app: &App,
    allowed: &Allowed,
    set: &str,
    rows: &[PostcodeRow],
    first_line: u64,
    last_line: u64,
) -> Result<()> {
    let mut tx = app.store.begin().await?;
    geography::upsert_postcodes(&mut tx, set, rows).await?;
    let mut content = String::with_capacity(rows.len() * 48);
    for r in rows {
        content.push_str(&format!("{r:?}\n"));
    }
    audit::append(
        &mut tx,
        allowed,
        NewEvent {
            occurred_at: app.clock.stamp(),
            actor: CLI_ACTOR.into(),
            action: "geography.postcodes".into(),
            subject: format!("boundary_set:{set}"),
            unit: None,
            before: None,
            after: Some(digest(content)),
            detail: serde_json::json!({ "lines": [first_line, last_line], "postcodes": rows.len() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Builds (or refreshes) the units of a set from its postcodes. Returns (units changed, CLPs, branches).
async fn build_units(
    app: &App,
    allowed: &Allowed,
    set: &str,
    opts: &GeographyOptions,
    area_names: &HashMap<String, String>,
) -> Result<(u64, u64, u64)> {
    let prefer = match opts.until {
        Some(u) if u < time::macros::date!(2024 - 07 - 04) => ConstituencyList::Set2010,
        _ if set.contains("2010") => ConstituencyList::Set2010,
        _ => ConstituencyList::Set2024,
    };
    let known = names();
    let name_for = |code: &str| -> String {
        area_names
            .get(code)
            .map(String::as_str)
            .or_else(|| known.area(code))
            .unwrap_or(code)
            .to_string()
    };
    let mut tx = app.store.begin().await?;
    let combos = geography::combinations(&mut tx, set).await?;
    let mut changed = 0u64;
    let mut count = |c: bool| {
        if c {
            changed += 1;
        }
    };

    let (national, c) = units::upsert(
        &mut tx,
        &NewUnit {
            boundary_set: "",
            code: "national",
            kind: UnitKind::National.as_str(),
            name: "National",
            gss_code: None,
            parent_id: None,
        },
    )
    .await?;
    count(c);

    // Nations, regions and authorities belong to no boundary set.
    let mut nation_ids: BTreeMap<String, i64> = BTreeMap::new();
    let mut region_ids: BTreeMap<String, i64> = BTreeMap::new();
    let countries: BTreeSet<&str> = combos
        .iter()
        .filter_map(|c| c.country_code.as_deref())
        .collect();
    for country in countries {
        let name = name_for(country);
        let (id, c) = units::upsert(
            &mut tx,
            &NewUnit {
                boundary_set: "",
                code: country,
                kind: UnitKind::Nation.as_str(),
                name: &name,
                gss_code: Some(country),
                parent_id: Some(national),
            },
        )
        .await?;
        count(c);
        nation_ids.insert(country.to_string(), id);
    }
    let regions: BTreeSet<(&str, Option<&str>)> = combos
        .iter()
        .filter_map(|c| {
            c.region_code
                .as_deref()
                .map(|r| (r, c.country_code.as_deref()))
        })
        .collect();
    for (region, country) in regions {
        let name = name_for(region);
        let parent = country
            .and_then(|c| nation_ids.get(c).copied())
            .or(Some(national));
        let (id, c) = units::upsert(
            &mut tx,
            &NewUnit {
                boundary_set: "",
                code: region,
                kind: UnitKind::Region.as_str(),
                name: &name,
                gss_code: Some(region),
                parent_id: parent,
            },
        )
        .await?;
        count(c);
        region_ids.insert(region.to_string(), id);
    }
    let parent_area = |region: Option<&str>, country: Option<&str>| -> Option<i64> {
        region
            .and_then(|r| region_ids.get(r).copied())
            .or_else(|| country.and_then(|c| nation_ids.get(c).copied()))
            .or(Some(national))
    };
    let lads: BTreeMap<&str, (Option<&str>, Option<&str>)> = combos
        .iter()
        .filter_map(|c| {
            c.lad_code
                .as_deref()
                .map(|l| (l, (c.region_code.as_deref(), c.country_code.as_deref())))
        })
        .collect();
    for (lad, (region, country)) in lads {
        let name = name_for(lad);
        let (_, c) = units::upsert(
            &mut tx,
            &NewUnit {
                boundary_set: "",
                code: lad,
                kind: UnitKind::LocalAuthority.as_str(),
                name: &name,
                gss_code: Some(lad),
                parent_id: parent_area(region, country),
            },
        )
        .await?;
        count(c);
    }

    // A constituency party per constituency; its region is the list's, else its postcodes' commonest.
    type RegionAndCountry<'a> = (Option<&'a str>, Option<&'a str>);
    let mut pcon_regions: BTreeMap<&str, BTreeMap<RegionAndCountry, i64>> = BTreeMap::new();
    for c in &combos {
        if let Some(p) = c.pcon_code.as_deref() {
            *pcon_regions
                .entry(p)
                .or_default()
                .entry((c.region_code.as_deref(), c.country_code.as_deref()))
                .or_default() += c.postcodes;
        }
    }
    let mut clp_ids: BTreeMap<&str, (i64, String)> = BTreeMap::new();
    for (pcon, regions) in &pcon_regions {
        let listed = known.constituency(pcon, prefer);
        let name = area_names
            .get(*pcon)
            .cloned()
            .or_else(|| listed.map(|(n, _)| n.to_string()))
            .unwrap_or_else(|| pcon.to_string());
        let commonest = regions
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(k, _)| *k)
            .unwrap_or((None, None));
        let region = listed
            .and_then(|(_, r)| r)
            .filter(|r| region_ids.contains_key(*r))
            .or(commonest.0);
        let code = clp_code(set, pcon);
        let (id, c) = units::upsert(
            &mut tx,
            &NewUnit {
                boundary_set: set,
                code: &code,
                kind: UnitKind::Clp.as_str(),
                name: &name,
                gss_code: Some(pcon),
                parent_id: parent_area(region, commonest.1),
            },
        )
        .await?;
        count(c);
        clp_ids.insert(pcon, (id, name));
    }

    // A branch per ward within a CLP. A ward split between constituencies gives a branch per part,
    // so every branch lies inside one CLP; a whole ward's branch is coded by its ward code alone.
    let mut ward_parts: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for c in &combos {
        if let (Some(w), Some(p)) = (c.ward_code.as_deref(), c.pcon_code.as_deref()) {
            ward_parts.entry(w).or_default().insert(p);
        }
    }
    let mut branches = 0u64;
    for (ward, pcons) in &ward_parts {
        let ward_name = name_for(ward);
        for pcon in pcons {
            let Some((clp_id, clp_name)) = clp_ids.get(pcon) else {
                continue;
            };
            let (code, name) = if pcons.len() == 1 {
                (ward.to_string(), ward_name.clone())
            } else {
                (
                    format!("{ward}:{pcon}"),
                    format!("{ward_name} ({clp_name} part)"),
                )
            };
            let (id, c) = units::upsert(
                &mut tx,
                &NewUnit {
                    boundary_set: set,
                    code: &code,
                    kind: UnitKind::Branch.as_str(),
                    name: &name,
                    gss_code: Some(ward),
                    parent_id: Some(*clp_id),
                },
            )
            .await?;
            count(c);
            units::add_branch_ward(&mut tx, id, set, ward, *clp_id).await?;
            branches += 1;
        }
    }
    geography::refresh_postcode_units(&mut tx, set).await?;
    if changed > 0 {
        audit::append(
            &mut tx,
            allowed,
            NewEvent {
                occurred_at: app.clock.stamp(),
                actor: CLI_ACTOR.into(),
                action: "units.build".into(),
                subject: format!("boundary_set:{set}"),
                unit: None,
                before: None,
                after: Some(digest(format!("{}:{}", clp_ids.len(), branches))),
                detail: serde_json::json!({ "units_changed": changed, "clps": clp_ids.len(), "branches": branches }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok((changed, clp_ids.len() as u64, branches))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(cols: &str) -> Vec<String> {
        cols.split(',').map(String::from).collect()
    }

    #[test]
    fn onspd_columns_are_found_by_pattern_in_both_schemas() {
        let aug = columns(
            &h("pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,ctry,rgn,pcon"),
            None,
        )
        .unwrap();
        assert_eq!(
            (aug.postcode, aug.lad, aug.ward, aug.pcon, aug.doterm),
            (2, Some(7), Some(8), 12, Some(4))
        );
        let nov = columns(
            &h("pcd7,pcd8,pcds,dointr,doterm,lad25cd,wd25cd,ctry25cd,rgn25cd,pcon24cd"),
            None,
        )
        .unwrap();
        assert_eq!(
            (nov.postcode, nov.lad, nov.ward, nov.pcon, nov.region),
            (2, Some(5), Some(6), 9, Some(8))
        );
        assert_eq!(nov.layout, "onspd");
    }

    #[test]
    fn the_lookup_layout_takes_the_named_constituency_column_and_its_names() {
        let hs = h("postcode,lad_code,lad_name,ward_code,ward_name,pcon_2010set_code,pcon_2010set_name,pcon24cd,pcon24nm,rgn_code");
        let c = columns(&hs, Some("pcon_2010set_code")).unwrap();
        assert_eq!((c.pcon, c.pcon_name_col, c.layout), (5, Some(6), "lookup"));
        let c = columns(&hs, None).unwrap();
        assert_eq!((c.pcon, c.pcon_name_col), (7, Some(8)));
        let e = columns(&hs, Some("nope")).err().unwrap().to_string();
        assert!(e.contains("--pcon-column 'nope' is not in the file"), "{e}");
    }

    #[test]
    fn pseudo_codes_are_none_and_malformed_codes_are_bad_rows() {
        assert_eq!(code(Some("E99999999"), "ward"), Ok(None));
        assert_eq!(code(Some(""), "ward"), Ok(None));
        assert_eq!(
            code(Some("E05015277"), "ward"),
            Ok(Some("E05015277".into()))
        );
        assert!(code(Some("E0501527"), "ward")
            .unwrap_err()
            .contains("not a GSS code"));
    }

    #[test]
    fn doterm_is_a_month() {
        assert_eq!(
            doterm(Some("199405")),
            Ok(Some(time::macros::date!(1994 - 05 - 01)))
        );
        assert_eq!(doterm(Some("")), Ok(None));
        assert!(doterm(Some("199413")).is_err());
        assert!(doterm(Some("19x405")).is_err());
    }
}
