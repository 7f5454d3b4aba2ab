//! `GET /api/v1/units`, `GET /api/v1/units/{code}` and `GET /api/v1/units/{code}/members` (the
//! membership list with eligibility flags, for the roles entitled to it).
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use caucus_app::register::records::{self, ListedMember};
use caucus_domain::decision::Decision;
use caucus_domain::organisation::unit::UnitKind;
use caucus_store::organisation::units::Unit;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{cursor, limit, rejected};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody, ReasonBody};
use crate::extract::Path;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitItem {
    pub code: String,
    pub name: String,
    /// national, nation, region, local_authority, clp, branch, labour_group, womens_branch,
    /// young_labour or affiliate.
    pub kind: String,
    /// The boundary set of a CLP or branch; empty for units that belong to no set.
    pub boundary_set: String,
}

impl From<&Unit> for UnitItem {
    fn from(u: &Unit) -> Self {
        UnitItem {
            code: u.code.clone(),
            name: u.name.clone(),
            kind: u.kind.clone(),
            boundary_set: u.boundary_set.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitPage {
    pub items: Vec<UnitItem>,
    /// Pass as `?cursor=` for the next page; null at the end.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitListQuery {
    /// Only units of this kind.
    pub kind: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The directory of units, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/units",
    tag = "units",
    params(UnitListQuery),
    security(("bearer" = ["read:units"])),
    responses(
        (status = 200, description = "A page of units", body = UnitPage),
        (status = 400, description = "Bad kind, cursor or limit", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Refused, with reasons", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<UnitListQuery>, QueryRejection>,
) -> Result<Json<UnitPage>, ApiError> {
    let Query(q) = query.map_err(rejected)?;
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(k) => Some(UnitKind::parse(k).map_err(rejected)?),
    };
    let page = records::list_units(
        &state.app,
        &caller.actor,
        kind,
        cursor(q.cursor.as_deref())?,
        limit(q.limit)?,
    )
    .await?;
    Ok(Json(UnitPage {
        items: page.items.iter().map(UnitItem::from).collect(),
        next: page.next.map(|n| n.to_string()),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub unit: UnitItem,
    pub gss_code: Option<String>,
    pub special_measures: bool,
    /// The units above this one, nearest first.
    pub above: Vec<UnitItem>,
}

/// One unit, by code (a CLP's code is `SET:GSS`, e.g. `pcon2024:E14001337`).
#[utoipa::path(
    get,
    path = "/api/v1/units/{code}",
    tag = "units",
    params(("code" = String, Path, description = "The unit's code")),
    security(("bearer" = ["read:units"])),
    responses(
        (status = 200, description = "The unit", body = UnitDetail),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Refused, with reasons", body = ErrorBody),
        (status = 404, description = "No such unit", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(code): Path<String>,
) -> Result<Json<UnitDetail>, ApiError> {
    let records::UnitView { unit, above, .. } =
        records::unit(&state.app, &caller.actor, &code).await?;
    Ok(Json(UnitDetail {
        unit: UnitItem::from(&unit),
        gss_code: unit.gss_code.clone(),
        special_measures: unit.special_measures,
        above: above.iter().map(UnitItem::from).collect(),
    }))
}

/// A decision as the API shows it: allowed or not, and why, each reason naming its clause.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionBody {
    pub allowed: bool,
    pub reasons: Vec<ReasonBody>,
}

impl From<&Decision> for DecisionBody {
    fn from(d: &Decision) -> Self {
        DecisionBody {
            allowed: d.allowed,
            reasons: d.reasons.iter().map(ReasonBody::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberItem {
    pub membership_number: String,
    pub given_name: String,
    pub family_name: String,
    pub status: String,
    pub can_attend: DecisionBody,
    pub can_vote: DecisionBody,
    pub can_hold_office: DecisionBody,
}

impl From<&ListedMember> for MemberItem {
    fn from(l: &ListedMember) -> Self {
        MemberItem {
            membership_number: l.member.membership_number.clone(),
            given_name: l.member.given_name.clone(),
            family_name: l.member.family_name.clone(),
            status: l.member.status.clone(),
            can_attend: DecisionBody::from(&l.flags.can_attend),
            can_vote: DecisionBody::from(&l.flags.can_vote),
            can_hold_office: DecisionBody::from(&l.flags.can_hold_office),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPage {
    pub items: Vec<MemberItem>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The membership list of a unit, with eligibility flags and their reasons. A local authority's
/// list is of the members living in its area (what a group leader gets).
#[utoipa::path(
    get,
    path = "/api/v1/units/{code}/members",
    tag = "units",
    params(("code" = String, Path, description = "The unit's code"), PageQuery),
    security(("bearer" = ["read:members"])),
    responses(
        (status = 200, description = "A page of members", body = MemberPage),
        (status = 400, description = "Bad cursor or limit", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Refused, with reasons", body = ErrorBody),
        (status = 404, description = "No such unit", body = ErrorBody),
    )
)]
pub async fn members(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(code): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<MemberPage>, ApiError> {
    let Query(q) = query.map_err(rejected)?;
    let after = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(text) => Some(records::ListCursor::parse(text)?),
    };
    let page = records::unit_members(
        &state.app,
        &caller.actor,
        &code,
        after.as_ref(),
        limit(q.limit)?,
    )
    .await?;
    Ok(Json(MemberPage {
        items: page.items.iter().map(MemberItem::from).collect(),
        next: page.next.map(|n| n.text()),
    }))
}
