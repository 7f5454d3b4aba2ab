//! Petitions to recall a Labour group's leader: an officer opens one for a group, whose members the
//! register gives; each group member signs once; the page shows the count against the rulebook's
//! threshold and whether the recall is triggered, with the clause.
use crate::auth::PageSession;
use crate::pages::routes::Pages;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use caucus_app::offices::recalls;
use caucus_app::AppError;

use crate::api::organisation::units::DecisionBody;
use crate::extract::{Form, Path, Query};
use crate::pages::ballots::field;
use crate::pages::error::page_refusal;
use crate::pages::session::session_for_post;
use crate::views::{render, Layout};
use crate::AppState;

pub(crate) fn pages(p: Pages) -> Pages {
    p.get("/recalls/new", new_form)
        .post("/recalls/new", open)
        .get("/recalls/{id}", show)
        .post("/recalls/{id}/sign", sign)
}

#[derive(Template)]
#[template(path = "recall_new.html")]
struct NewPage {
    layout: Layout,
    problem: Option<String>,
    unit: String,
}

#[derive(serde::Deserialize)]
struct NewQuery {
    #[serde(default)]
    unit: String,
}

async fn new_form(Query(q): Query<NewQuery>, s: PageSession) -> Response {
    render(
        StatusCode::OK,
        &NewPage {
            layout: Layout::of("Open a recall petition", &s),
            problem: None,
            unit: q.unit,
        },
    )
}

async fn open(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let s = match session_for_post(&state, &headers, &fields).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let unit = field(&fields, "unit").trim();
    match recalls::open(&state.app, &s.actor, unit).await {
        Ok(id) => Redirect::to(&format!("/recalls/{id}")).into_response(),
        Err(AppError::Invalid(problem)) => render(
            StatusCode::BAD_REQUEST,
            &NewPage {
                layout: Layout::of("Open a recall petition", &s),
                problem: Some(problem),
                unit: unit.to_string(),
            },
        ),
        Err(e) => page_refusal(e, &s),
    }
}

#[derive(Template)]
#[template(path = "recall_show.html")]
struct ShowPage {
    layout: Layout,
    id: i64,
    unit: String,
    leader: String,
    opened_on: String,
    triggered_on: Option<String>,
    group_size: i64,
    signatures: Vec<(String, String)>,
    decision: DecisionBody,
    may_sign: bool,
}

async fn show(State(state): State<AppState>, Path(id): Path<i64>, s: PageSession) -> Response {
    let p = match recalls::state(&state.app, &s.actor, id).await {
        Ok(p) => p,
        Err(e) => return page_refusal(e, &s),
    };
    let may_sign = match recalls::may_sign(&state.app, &s.actor, id).await {
        Ok(m) => m,
        Err(e) => return page_refusal(e, &s),
    };
    render(
        StatusCode::OK,
        &ShowPage {
            layout: Layout::of("Recall petition", &s),
            id,
            unit: p.unit_name,
            leader: p.leader,
            opened_on: p.row.opened_on.to_string(),
            triggered_on: p.row.triggered_on.map(|d| d.to_string()),
            group_size: p.group_size,
            signatures: p
                .signatures
                .iter()
                .map(|(n, d)| (n.clone(), d.to_string()))
                .collect(),
            decision: DecisionBody::from(&p.decision),
            may_sign,
        },
    )
}

async fn sign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let s = match session_for_post(&state, &headers, &fields).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match recalls::sign(&state.app, &s.actor, id).await {
        Ok(_) => Redirect::to(&format!("/recalls/{id}")).into_response(),
        Err(e) => page_refusal(e, &s),
    }
}
