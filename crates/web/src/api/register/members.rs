//! `GET /api/v1/members/{number}`, `.../history` and `.../eligibility?for=`: a member's record, its
//! history and an eligibility decision with reasons. Each read is authorised and, unless the reader
//! is the member, logged by the use case (a refused one too). A member the caller may not read is
//! answered as one that does not exist (404, the same body); a caller who may read no member at all
//! is refused (403) whatever the number.
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use caucus_app::register::records::{self, Question};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::organisation::units::{DecisionBody, UnitItem};
use crate::api::rejected;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody, ReasonBody};
use crate::extract::Path;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusToday {
    pub status: String,
    pub since: String,
    /// The day the status changes by itself unless something is recorded (end of the provisional
    /// period, first day of arrears, lapse).
    pub changes_on: Option<String>,
    pub reasons: Vec<ReasonBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRecord {
    pub membership_number: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub town: Option<String>,
    pub postcode: String,
    pub joined_on: String,
    pub continuous_since: String,
    pub rate: String,
    pub payment_method: String,
    pub paid_up_until: Option<String>,
    pub registered_to_vote: bool,
    pub trade_union: Option<String>,
    /// The status last recorded.
    pub status: String,
    /// The status today by the rules, with why.
    pub status_today: Option<StatusToday>,
    pub branch: Option<UnitItem>,
    pub clp: Option<UnitItem>,
    pub can_attend: DecisionBody,
    pub can_vote: DecisionBody,
    pub can_hold_office: DecisionBody,
    /// The grant or rule that let the caller read this record.
    pub read_allowed_by: Vec<ReasonBody>,
    /// The record's version (also its `ETag`): send it as `If-Match` with a change.
    pub version: i64,
}

/// A member's record.
#[utoipa::path(
    get,
    path = "/api/v1/members/{number}",
    tag = "members",
    params(("number" = String, Path, description = "Membership number")),
    security(("bearer" = ["read:members"])),
    responses(
        (status = 200, description = "The member; the ETag is the record's version", body = MemberRecord),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "The caller may read no member's record at all, with reasons (whatever the number)", body = ErrorBody),
        (status = 404, description = "No such member, or one the caller may not read: the same answer, so it never says the member exists", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let r = records::member(&state.app, &caller.actor, &number).await?;
    let m = &r.member.row;
    let date = |d: Option<time::Date>| d.map(|d| d.to_string());
    let version = r.member.version;
    let mut response = Json(MemberRecord {
        membership_number: m.membership_number.clone(),
        given_name: m.given_name.clone(),
        family_name: m.family_name.clone(),
        email: m.email.clone(),
        phone: m.phone.clone(),
        date_of_birth: date(m.date_of_birth),
        address_line1: m.address_line1.clone(),
        address_line2: m.address_line2.clone(),
        town: m.town.clone(),
        postcode: m.postcode.clone(),
        joined_on: m.joined_on.to_string(),
        continuous_since: m.continuous_since.to_string(),
        rate: m.rate.clone(),
        payment_method: m.payment_method.clone(),
        paid_up_until: date(m.paid_up_until),
        registered_to_vote: m.registered_to_vote,
        trade_union: m.trade_union.clone(),
        status: m.status.clone(),
        status_today: r.status_today.as_ref().map(|s| StatusToday {
            status: s.status.to_string(),
            since: s.since.to_string(),
            changes_on: date(s.changes_on),
            reasons: s.reasons.iter().map(ReasonBody::from).collect(),
        }),
        branch: r.branch.as_ref().map(UnitItem::from),
        clp: r.clp.as_ref().map(UnitItem::from),
        can_attend: DecisionBody::from(&r.flags.can_attend),
        can_vote: DecisionBody::from(&r.flags.can_vote),
        can_hold_office: DecisionBody::from(&r.flags.can_hold_office),
        read_allowed_by: r.allowed_by.reasons.iter().map(ReasonBody::from).collect(),
        version,
    })
    .into_response();
    if let Some(tag) = crate::api::register::transitions::etag(version) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    Ok(response)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChange {
    pub effective_on: String,
    pub status: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlacementBody {
    pub effective_from: String,
    pub boundary_set: String,
    pub postcode: String,
    pub ward_code: Option<String>,
    pub branch: Option<String>,
    pub clp: Option<String>,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberHistory {
    pub membership_number: String,
    pub status: Vec<StatusChange>,
    pub placements: Vec<PlacementBody>,
}

/// A member's recorded status changes and placements, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/members/{number}/history",
    tag = "members",
    params(("number" = String, Path, description = "Membership number")),
    security(("bearer" = ["read:members"])),
    responses(
        (status = 200, description = "The history", body = MemberHistory),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "The caller may read no member's record at all, with reasons (whatever the number)", body = ErrorBody),
        (status = 404, description = "No such member, or one the caller may not read: the same answer, so it never says the member exists", body = ErrorBody),
    )
)]
pub async fn history(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(number): Path<String>,
) -> Result<Json<MemberHistory>, ApiError> {
    let (status, placements) = records::member_history(&state.app, &caller.actor, &number).await?;
    Ok(Json(MemberHistory {
        membership_number: number,
        status: status
            .into_iter()
            .map(|s| StatusChange {
                effective_on: s.effective_on.to_string(),
                status: s.status,
                reason: s.reason_code,
            })
            .collect(),
        placements: placements
            .into_iter()
            .map(|p| PlacementBody {
                effective_from: p.row.effective_from.to_string(),
                boundary_set: p.row.boundary_set,
                postcode: p.row.postcode,
                ward_code: p.row.ward_code,
                branch: p.branch,
                clp: p.clp,
                reason: p.row.reason_code,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EligibilityQuery {
    /// attend_branch_meeting, vote_at_branch_meeting, attend_clp_meeting, hold_office, or
    /// ballot:KIND (leadership, parliamentary_selection, local_selection, trigger, nec, meeting,
    /// group_leader).
    #[serde(rename = "for")]
    #[param(rename = "for")]
    pub question: String,
    /// The day (a ballot's freeze date), YYYY-MM-DD; today if omitted.
    #[param(format = Date)]
    pub on: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EligibilityBody {
    pub membership_number: String,
    #[serde(rename = "for")]
    #[schema(rename = "for")]
    pub question: String,
    pub on: String,
    pub allowed: bool,
    pub reasons: Vec<ReasonBody>,
}

/// Is the member eligible, and why: each reason names its rulebook clause.
#[utoipa::path(
    get,
    path = "/api/v1/members/{number}/eligibility",
    tag = "members",
    params(("number" = String, Path, description = "Membership number"), EligibilityQuery),
    security(("bearer" = ["read:members"])),
    responses(
        (status = 200, description = "The decision with its reasons", body = EligibilityBody),
        (status = 400, description = "Unknown question or bad date", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "The caller may read no member's record at all, with reasons (whatever the number)", body = ErrorBody),
        (status = 404, description = "No such member, or one the caller may not read: the same answer, so it never says the member exists", body = ErrorBody),
    )
)]
pub async fn eligibility(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(number): Path<String>,
    query: Result<Query<EligibilityQuery>, QueryRejection>,
) -> Result<Json<EligibilityBody>, ApiError> {
    let Query(q) = query.map_err(rejected)?;
    let question = Question::parse(&q.question)?;
    let on = match q.on.as_deref() {
        None | Some("") => state.app.clock.today(),
        Some(d) => caucus_app::clock::parse_date(d).map_err(ApiError::bad_request)?,
    };
    let d =
        records::member_eligibility(&state.app, &caller.actor, &number, question, Some(on)).await?;
    Ok(Json(EligibilityBody {
        membership_number: number,
        question: q.question.trim().to_string(),
        on: on.to_string(),
        allowed: d.allowed,
        reasons: d.reasons.iter().map(ReasonBody::from).collect(),
    }))
}
