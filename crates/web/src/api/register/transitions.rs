//! `POST /api/v1/members/{number}/transitions`: a change of a member's status, with a reason code
//! and an effective date. The caller sends the version it read (`If-Match`, from the member's
//! `ETag` or `version`): without it the answer is 428, with a stale one 409; the policy refuses with
//! 403, the party's rules with 422, each with reasons naming their clauses.
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use caucus_app::register::members::TransitionRequest;
use caucus_app::register::transitions;
use caucus_domain::register::lifecycle::TransitionReason;
use caucus_domain::register::member::MemberStatus;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::rejected;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, Path};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// The new status: provisional, active, in_arrears, lapsed, suspended, expelled, excluded,
    /// rejected, resigned or deceased.
    pub to: String,
    /// The reason code, e.g. complaint_suspension, suspension_lifted, resigned, deceased.
    pub reason: String,
    /// YYYY-MM-DD; today if omitted.
    #[serde(default)]
    pub effective_on: Option<String>,
    /// A recorded NEC decision authorises it (readmission, an appeal).
    #[serde(default)]
    pub nec_decision: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionResult {
    pub membership_number: String,
    /// The status recorded now.
    pub status: String,
    pub reason: String,
    pub effective_on: String,
    /// The record's new version: send it as `If-Match` with the next change.
    pub version: i64,
}

/// The version in an `If-Match` header: `"7"` (an entity tag as the member's `ETag` gives it) or a
/// bare `7`. Missing is 428; anything else is 400.
pub fn if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(ApiError::precondition_required(
            "send If-Match with the version you read (the member's ETag), so a change made \
             meanwhile is not overwritten",
        ));
    };
    let text = value.to_str().unwrap_or("").trim();
    let bare = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    bare.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| {
        ApiError::bad_request(format!(
            "If-Match '{text}' is not a version of this record (expected e.g. \"3\")"
        ))
    })
}

/// The `ETag` of a member at a version.
pub fn etag(version: i64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("\"{version}\"")).ok()
}

/// Record a change of the member's status.
#[utoipa::path(
    post,
    path = "/api/v1/members/{number}/transitions",
    tag = "members",
    params(
        ("number" = String, Path, description = "Membership number"),
        ("If-Match" = String, Header, description = "The version read, e.g. \"3\" (the member's ETag)"),
    ),
    request_body = TransitionBody,
    security(("bearer" = ["write:members"])),
    responses(
        (status = 201, description = "Recorded; the new version is in the body and the ETag", body = TransitionResult),
        (status = 400, description = "Malformed request, unknown status or reason, bad date", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Refused by the access policy, with reasons", body = ErrorBody),
        (status = 404, description = "No such member, or one the caller may not read: the same answer, so it never says the member exists", body = ErrorBody),
        (status = 409, description = "The record changed since the version sent", body = ErrorBody),
        (status = 422, description = "Refused by the party's rules, with reasons and clauses", body = ErrorBody),
        (status = 428, description = "If-Match missing", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(number): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<TransitionBody>,
) -> Result<Response, ApiError> {
    let version = if_match(&headers)?;
    let to = MemberStatus::parse(&b.to).map_err(rejected)?;
    let reason = TransitionReason::parse(&b.reason).map_err(rejected)?;
    let effective_on = match b.effective_on.as_deref() {
        None | Some("") => None,
        Some(d) => Some(caucus_app::clock::parse_date(d).map_err(ApiError::bad_request)?),
    };
    let req = TransitionRequest {
        membership_number: number.clone(),
        to,
        reason,
        effective_on,
        expected_version: Some(version),
        nec_decision: b.nec_decision,
    };
    let m = transitions::change_status(&state.app, &caller.actor, &req).await?;
    let mut response = (
        StatusCode::CREATED,
        Json(TransitionResult {
            membership_number: m.row.membership_number.clone(),
            status: m.row.status.clone(),
            reason: reason.to_string(),
            effective_on: effective_on
                .unwrap_or_else(|| state.app.clock.today())
                .to_string(),
            version: m.version,
        }),
    )
        .into_response();
    if let Some(tag) = etag(m.version) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_takes_a_quoted_or_bare_version_and_refuses_the_rest() {
        let mut h = HeaderMap::new();
        assert_eq!(
            if_match(&h).unwrap_err().status,
            StatusCode::PRECONDITION_REQUIRED
        );
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"7\""));
        assert_eq!(if_match(&h).unwrap(), 7);
        h.insert(header::IF_MATCH, HeaderValue::from_static("7"));
        assert_eq!(if_match(&h).unwrap(), 7);
        for bad in ["*", "W/\"7\"", "\"x\"", "0"] {
            h.insert(header::IF_MATCH, HeaderValue::from_static(bad));
            assert_eq!(
                if_match(&h).unwrap_err().status,
                StatusCode::BAD_REQUEST,
                "{bad}"
            );
        }
    }
}
