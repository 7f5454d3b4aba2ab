//! The HTML pages: login and logout, the dashboard, member search, the member page and the unit
//! page. They work without JavaScript; every form carries a CSRF token checked against the session
//! (or, for the login form, against a cookie set with it). What a page shows comes from the same use
//! cases as the API, so the access policy applies to both alike.
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use caucus_app::access::accounts::{self, Login};
use caucus_app::register::records::{self, ListedMember, Question};
use caucus_app::AppError;
use caucus_domain::ballots::BallotType;
use serde::Deserialize;
use std::net::SocketAddr;

use self::error::{page_error, page_refusal};
use crate::api::organisation::units::DecisionBody;
use crate::auth::{self, PageSession, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::error::ReasonBody;
use crate::extract::{Form, Path, Query};
use crate::views::{render, sentence, Layout};
use crate::AppState;
pub use routes::PageRoute;
use routes::Pages;
use session::{session_for_form, CsrfForm, SECOND_FACTOR_PATH};

pub mod access;
mod audit;
mod ballots;
pub(crate) mod error;
pub mod offices;
pub mod ops;
pub mod register;
pub(crate) mod routes;
pub(crate) mod session;

use access::{password_reset, second_factor, tokens};
use offices::{groups, recalls};
use ops::{dashboard, outbox};
use register::{export, transitions};

fn pages() -> Pages {
    let p = Pages::new();
    let p = ballots::pages(p);
    let p = export::pages(p);
    let p = outbox::pages(p);
    let p = password_reset::pages(p);
    let p = recalls::pages(p);
    let p = second_factor::pages(p);
    p.get("/", dashboard::dashboard)
        .get("/login", login_form)
        .post("/login", login)
        .post("/logout", logout)
        .post("/logout-everywhere", logout_everywhere)
        .get("/members", search)
        .get("/members/{number}", member)
        .post("/members/{number}/transitions", transitions::record)
        .get("/settings/tokens", tokens::list)
        .post("/settings/tokens", tokens::make)
        .post("/settings/tokens/{id}/revoke", tokens::revoke)
        .get("/audit", audit::events)
        .get("/access-log", audit::access)
        .get("/units/{code}", unit)
}

pub fn router() -> Router<AppState> {
    pages().router
}

/// Every page route, as `router` serves them.
pub fn routes() -> Vec<PageRoute> {
    pages().routes
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    layout: Layout,
    csrf: &'a str,
    email: &'a str,
    problem: Option<&'a str>,
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    email: &str,
    problem: Option<&str>,
) -> Response {
    let csrf = accounts::random_hex(16);
    let mut response = render(
        status,
        &LoginPage {
            layout: Layout::anonymous("Log in"),
            csrf: &csrf,
            email,
            problem,
        },
    );
    let cookie = auth::set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, state.config.secure_cookies);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

async fn login_form(State(state): State<AppState>) -> Response {
    login_page(&state, StatusCode::OK, "", None)
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    email: String,
    password: String,
    #[serde(default)]
    totp: String,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || !auth::same_secret(expected, &form.csrf) {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            &form.email,
            Some("The form had expired. Please try again."),
        );
    }
    let address = peer.ip().to_string();
    let totp = form.totp.trim();
    let outcome = accounts::verify(
        &state.app,
        &Login {
            email: &form.email,
            password: &form.password,
            totp: (!totp.is_empty()).then_some(totp),
            address: &address,
        },
    )
    .await;
    let (account_id, must_enrol) = match outcome {
        Ok(accounts::Verified::Account(id)) => (id, false),
        Ok(accounts::Verified::MustEnrol(id)) => (id, true),
        Err(e @ (AppError::Unauthenticated(_) | AppError::TooManyAttempts(_))) => {
            let status = match e {
                AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            return login_page(&state, status, &form.email, Some(&e.to_string()));
        }
        Err(e) => return page_error(e),
    };
    let replacing = auth::cookie(&headers, SESSION_COOKIE);
    let (session, seconds, to) = if must_enrol {
        (
            caucus_app::access::second_factor::start_enrolment_session(
                &state.app, account_id, replacing,
            )
            .await,
            caucus_app::access::second_factor::ENROLMENT_SESSION_SECONDS,
            SECOND_FACTOR_PATH,
        )
    } else {
        (
            accounts::start_session(&state.app, account_id, replacing).await,
            accounts::SESSION_SECONDS,
            "/",
        )
    };
    let session = match session {
        Ok(s) => s,
        Err(e) => return page_error(e),
    };
    let mut response = Redirect::to(to).into_response();
    let secure = state.config.secure_cookies;
    for cookie in [
        auth::set_cookie(SESSION_COOKIE, &session.token, seconds, secure),
        auth::set_cookie(LOGIN_CSRF_COOKIE, "", 0, secure),
    ] {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

fn logged_out(state: &AppState) -> Response {
    let mut response = Redirect::to("/login").into_response();
    let cookie = auth::set_cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let s = match session_for_form(&state, &headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match accounts::end_session(&state.app, &s.token).await {
        Ok(()) => logged_out(&state),
        Err(e) => page_error(e),
    }
}

async fn logout_everywhere(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let s = match session_for_form(&state, &headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match accounts::log_out_everywhere(&state.app, s.actor.account_id).await {
        Ok(()) => logged_out(&state),
        Err(e) => page_error(e),
    }
}

struct SearchResult {
    name: String,
    number: String,
    status: String,
    postcode: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    max_chars: usize,
    searched: bool,
    problem: Option<String>,
    results: Vec<SearchResult>,
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(
    State(state): State<AppState>,
    Query(q): Query<SearchQuery>,
    s: PageSession,
) -> Response {
    let query = q.q.trim().to_string();
    let (searched, problem, results) = if query.is_empty() {
        (false, None, Vec::new())
    } else {
        match records::search_members(&state.app, &s.actor, &query).await {
            Ok(found) => (
                true,
                None,
                found
                    .into_iter()
                    .map(|m| SearchResult {
                        name: format!("{} {}", m.row.given_name, m.row.family_name),
                        number: m.row.membership_number,
                        status: m.row.status,
                        postcode: m.row.postcode,
                    })
                    .collect(),
            ),
            Err(AppError::Invalid(why)) => (false, Some(sentence(&why)), Vec::new()),
            Err(e) => return page_refusal(e, &s),
        }
    };
    // A search the use case refused is answered 400, with the form to try again; the box shows no
    // more of the text than a search may hold.
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let query = query.chars().take(records::MAX_SEARCH_CHARS).collect();
    render(
        status,
        &SearchPage {
            layout: Layout::of("Find a member", &s),
            query,
            max_chars: records::MAX_SEARCH_CHARS,
            searched,
            problem,
            results,
        },
    )
}

struct EligibilityRow {
    question: &'static str,
    decision: DecisionBody,
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    layout: Layout,
    name: String,
    facts: Vec<(&'static str, String)>,
    status_line: String,
    status_reasons: Vec<ReasonBody>,
    units: Vec<(&'static str, String, String)>,
    eligibility: Vec<EligibilityRow>,
    history: Vec<(String, String, String)>,
    placements: Vec<(String, String, String, String, String, String)>,
    allowed_by: String,
    transition: Option<transitions::TransitionForm>,
}

async fn member(
    State(state): State<AppState>,
    Path(number): Path<String>,
    s: PageSession,
) -> Response {
    let r = match records::member(&state.app, &s.actor, &number).await {
        Ok(r) => r,
        Err(e) => return page_refusal(e, &s),
    };
    let (history, placements) = match records::member_history(&state.app, &s.actor, &number).await {
        Ok(h) => h,
        Err(e) => return page_refusal(e, &s),
    };
    let mut eligibility = vec![
        EligibilityRow {
            question: "Attend a branch meeting",
            decision: DecisionBody::from(&r.flags.can_attend),
        },
        EligibilityRow {
            question: "Vote at a branch meeting",
            decision: DecisionBody::from(&r.flags.can_vote),
        },
        EligibilityRow {
            question: "Hold office",
            decision: DecisionBody::from(&r.flags.can_hold_office),
        },
    ];
    for (question, q) in [
        (
            "Vote in a leadership ballot",
            Question::Ballot(BallotType::Leadership),
        ),
        (
            "Vote in a local selection",
            Question::Ballot(BallotType::LocalSelection),
        ),
    ] {
        match records::member_eligibility(&state.app, &s.actor, &number, q, None).await {
            Ok(d) => eligibility.push(EligibilityRow {
                question,
                decision: DecisionBody::from(&d),
            }),
            Err(e) => return page_refusal(e, &s),
        }
    }
    let m = &r.member.row;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "not recorded".to_string());
    let address = [&m.address_line1, &m.address_line2, &m.town]
        .iter()
        .filter_map(|v| v.as_deref())
        .collect::<Vec<_>>()
        .join(", ");
    let facts = vec![
        ("Membership number", m.membership_number.clone()),
        ("Email", opt(&m.email)),
        ("Phone", opt(&m.phone)),
        (
            "Address",
            if address.is_empty() {
                "not recorded".to_string()
            } else {
                address
            },
        ),
        ("Postcode", m.postcode.clone()),
        ("Joined", m.joined_on.to_string()),
        ("Member continuously since", m.continuous_since.to_string()),
        ("Rate", m.rate.clone()),
        ("Pays by", m.payment_method.replace('_', " ")),
        (
            "Paid up until",
            m.paid_up_until
                .map_or_else(|| "not recorded".to_string(), |d| d.to_string()),
        ),
        (
            "Registered to vote",
            if m.registered_to_vote { "yes" } else { "no" }.to_string(),
        ),
    ];
    let (status_line, status_reasons) = match &r.status_today {
        Some(st) => (
            match st.changes_on {
                Some(d) => format!("{} since {}, until {}", st.status, st.since, d),
                None => format!("{} since {}", st.status, st.since),
            },
            st.reasons.iter().map(ReasonBody::from).collect(),
        ),
        None => ("not yet a member".to_string(), Vec::new()),
    };
    let mut units = Vec::new();
    if let Some(b) = &r.branch {
        units.push(("Branch", b.code.clone(), b.name.clone()));
    }
    if let Some(c) = &r.clp {
        units.push(("Constituency party", c.code.clone(), c.name.clone()));
    }
    let none = || "none".to_string();
    let transition =
        match caucus_app::register::transitions::may_change_status(&state.app, &s.actor, &number)
            .await
        {
            Ok(d) if d.allowed => Some(transitions::TransitionForm::new(
                &number,
                r.member.version,
                state.app.clock.today(),
            )),
            Ok(_) => None,
            Err(e) => return page_refusal(e, &s),
        };
    let page = MemberPage {
        layout: Layout::of(format!("{} {}", m.given_name, m.family_name), &s),
        name: format!("{} {}", m.given_name, m.family_name),
        facts,
        status_line,
        status_reasons,
        units,
        eligibility,
        history: history
            .into_iter()
            .map(|h| {
                (
                    h.effective_on.to_string(),
                    h.status,
                    h.reason_code.replace('_', " "),
                )
            })
            .collect(),
        placements: placements
            .into_iter()
            .map(|p| {
                (
                    p.row.effective_from.to_string(),
                    p.row.boundary_set,
                    p.row.postcode,
                    p.branch.unwrap_or_else(none),
                    p.clp.unwrap_or_else(none),
                    p.row.reason_code.replace('_', " "),
                )
            })
            .collect(),
        allowed_by: r.allowed_by.explain(),
        transition,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "unit.html")]
struct UnitPage<'a> {
    layout: Layout,
    name: String,
    code: String,
    kind: String,
    boundary_set: String,
    above: Vec<(String, String, String)>,
    refusal: Option<Vec<ReasonBody>>,
    /// The page of the list, borrowed from the page the app layer keeps.
    members: &'a [ListedMember],
    /// Whether to offer the list as CSV: to those entitled to the list, as the export itself checks.
    may_export: bool,
    next: Option<String>,
    /// For a Labour group: its leader, whip and councillors instead of a membership list.
    group: Option<groups::GroupSection>,
    officers: Option<OfficersSection>,
}

/// A branch's or CLP's officers as its unit page shows them, to those who may read its list.
struct OfficersSection {
    /// Office, name, since.
    rows: Vec<(String, String, String)>,
    gender: Option<DecisionBody>,
    delegates: Option<(u32, Vec<ReasonBody>)>,
}

impl From<&caucus_app::offices::Compliance> for OfficersSection {
    fn from(c: &caucus_app::offices::Compliance) -> Self {
        OfficersSection {
            rows: c
                .officers
                .iter()
                .map(|o| {
                    let office = o.row.office.replace('_', " ");
                    let office = if o.row.interim {
                        format!("{office} (interim)")
                    } else {
                        office
                    };
                    (office, o.name.clone(), o.row.held_from.to_string())
                })
                .collect(),
            gender: c.gender.as_ref().map(DecisionBody::from),
            delegates: c.gc_delegates.as_ref().map(|d| {
                (
                    d.delegates,
                    d.reasons.iter().map(ReasonBody::from).collect(),
                )
            }),
        }
    }
}

#[derive(Deserialize)]
struct CursorQuery {
    #[serde(default)]
    cursor: Option<String>,
}

async fn unit(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<CursorQuery>,
    s: PageSession,
) -> Response {
    let view = match records::unit(&state.app, &s.actor, &code).await {
        Ok(x) => x,
        Err(e) => return page_refusal(e, &s),
    };
    let group = match groups::section(&state.app, &s.actor, &view.unit).await {
        Ok(g) => g,
        Err(e) => return page_refusal(e, &s),
    };
    let after = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(text) => match records::ListCursor::parse(text) {
            Ok(c) => Some(c),
            Err(e) => return page_refusal(e, &s),
        },
    };
    let listed = if group.is_some() {
        Ok(None)
    } else {
        records::unit_members_of(&state.app, &s.actor, &view, after.as_ref(), 50)
            .await
            .map(Some)
    };
    let (refusal, list) = match listed {
        Ok(list) => (None, list),
        Err(AppError::Forbidden(d)) => {
            (Some(d.reasons.iter().map(ReasonBody::from).collect()), None)
        }
        Err(e) => return page_refusal(e, &s),
    };
    let officers = if refusal.is_none() && group.is_none() {
        match records::unit_officers(&state.app, &s.actor, &view).await {
            Ok(c) => c.as_ref().map(OfficersSection::from),
            Err(e) => return page_refusal(e, &s),
        }
    } else {
        None
    };
    render(
        StatusCode::OK,
        &UnitPage {
            layout: Layout::of(view.unit.name.clone(), &s),
            name: view.unit.name.clone(),
            code: view.unit.code.clone(),
            kind: view.unit.kind.replace('_', " "),
            boundary_set: view.unit.boundary_set.clone(),
            above: view
                .above
                .iter()
                .map(|a| (a.kind.replace('_', " "), a.code.clone(), a.name.clone()))
                .collect(),
            may_export: refusal.is_none(),
            refusal,
            members: list.as_ref().map_or(&[], |l| &l.items[..]),
            next: list
                .as_ref()
                .and_then(|l| l.next.as_ref())
                .map(|c| c.text()),
            group,
            officers,
        },
    )
}
