//! The form on a member's page that records a change of status, for the roles the policy lets
//! change it. It posts the version the page showed, so a change made meanwhile is refused (409)
//! rather than overwritten; the rules' refusals come back with their reasons and clauses.
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use caucus_app::register::members::TransitionRequest;
use caucus_app::{register::transitions, AppError};
use caucus_domain::register::lifecycle::TransitionReason;
use caucus_domain::register::member::MemberStatus;
use serde::Deserialize;

use crate::extract::{Form, Path};
use crate::pages::error::page_refusal;
use crate::pages::session::{session_for_form, CsrfForm};
use crate::AppState;

/// What the form needs to be drawn: shown only when the policy allows the reader to use it.
pub struct TransitionForm {
    pub number: String,
    pub version: i64,
    pub today: String,
    /// (value, label) pairs for the selects.
    pub statuses: Vec<(&'static str, String)>,
    pub reasons: Vec<(&'static str, String)>,
}

impl TransitionForm {
    pub fn new(number: &str, version: i64, today: time::Date) -> TransitionForm {
        TransitionForm {
            number: number.to_string(),
            version,
            today: today.to_string(),
            statuses: MemberStatus::ALL
                .iter()
                .map(|s| (s.as_str(), s.as_str().replace('_', " ")))
                .collect(),
            reasons: TransitionReason::ALL
                .iter()
                .filter(|r| **r != TransitionReason::Imported)
                .map(|r| (r.as_str(), r.as_str().replace('_', " ")))
                .collect(),
        }
    }
}

#[derive(Deserialize)]
pub struct TransitionFields {
    csrf: String,
    version: i64,
    to: String,
    reason: String,
    #[serde(default)]
    effective_on: String,
}

pub async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(form): Form<TransitionFields>,
) -> Response {
    let csrf = CsrfForm {
        csrf: form.csrf.clone(),
    };
    let s = match session_for_form(&state, &headers, &csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let parsed = (|| -> Result<TransitionRequest, AppError> {
        let invalid = |e: caucus_domain::vocabulary::UnknownValue| AppError::Invalid(e.to_string());
        let effective_on = match form.effective_on.trim() {
            "" => None,
            d => Some(caucus_app::clock::parse_date(d).map_err(AppError::Invalid)?),
        };
        Ok(TransitionRequest {
            membership_number: number.clone(),
            to: MemberStatus::parse(&form.to).map_err(invalid)?,
            reason: TransitionReason::parse(&form.reason).map_err(invalid)?,
            effective_on,
            expected_version: Some(form.version),
            nec_decision: false,
        })
    })();
    let outcome = match parsed {
        Ok(req) => transitions::change_status(&state.app, &s.actor, &req).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => Redirect::to(&format!("/members/{}", crate::views::path_segment(&number)))
            .into_response(),
        Err(e) => page_refusal(e, &s),
    }
}
