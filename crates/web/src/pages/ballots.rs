//! The ballot pages: the ballots open to me and those I run, creating one, the ballot with its vote
//! form (plain HTML controls, no script), the receipt, the roll with its reasons, the published
//! result with its rounds, the BLT download and the receipt lookup. Every form carries the session's
//! CSRF token; every decision comes from `caucus_app::ballots`.
use crate::pages::routes::Pages;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use caucus_app::ballots::{self, Ballot, NewBallotRequest};
use caucus_app::offices::groups;
use caucus_app::AppError;
use caucus_domain::ballots::paper;
use caucus_domain::ballots::roll::words;
use caucus_domain::ballots::spec::{BallotSpec, CountingMethod, Marking};
use caucus_domain::ballots::BallotType;
use serde::Deserialize;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::api::organisation::units::DecisionBody;
use crate::auth::PageSession;
use crate::extract::{Form, Path, Query};
use crate::pages::error::page_refusal;
use crate::pages::session::session_for_post;
use crate::views::{render, Layout};
use crate::AppState;

pub(super) fn pages(p: Pages) -> Pages {
    p.get("/ballots", list)
        .get("/ballots/new", new_form)
        .post("/ballots/new", create)
        .get("/ballots/{id}", show)
        .post("/ballots/{id}/vote", vote)
        .post("/ballots/{id}/freeze", freeze)
        .post("/ballots/{id}/close", close)
        .post("/ballots/{id}/publish", publish)
        .get("/ballots/{id}/roll", roll)
        .get("/ballots/{id}/result", result)
        .get("/ballots/{id}/result.html", result_html)
        .get("/ballots/{id}/ballots.blt", blt)
}

pub(super) fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// A line of a list of ballots.
struct Listed {
    id: i64,
    title: String,
    unit: String,
    state: &'static str,
    window: String,
}

fn state_words(b: &Ballot, now: OffsetDateTime) -> &'static str {
    match b.row.state.as_str() {
        "draft" => "being prepared (roll not frozen)",
        "frozen" if now < b.opens_at => "roll frozen; voting not yet open",
        "frozen" if now >= b.closes_at => "voting time over; awaiting the count",
        "frozen" => "open for voting",
        "counted" => "counted; result not yet published",
        _ => "result published",
    }
}

fn listed(b: &Ballot, now: OffsetDateTime) -> Listed {
    Listed {
        id: b.row.id,
        title: b.row.title.clone(),
        unit: b.unit.name.clone(),
        state: state_words(b, now),
        window: format!("{} to {}", words(b.opens_at), words(b.closes_at)),
    }
}

#[derive(Template)]
#[template(path = "ballot_list.html")]
struct ListPage {
    layout: Layout,
    mine: Vec<Listed>,
    managed: Vec<Listed>,
    runs_ballots: bool,
}

async fn list(State(state): State<AppState>, s: PageSession) -> Response {
    let now = state.app.clock.now();
    let mine = match ballots::mine(&state.app, &s.actor).await {
        Ok(b) => b.iter().map(|b| listed(b, now)).collect(),
        Err(e) => return page_refusal(e, &s),
    };
    let managed = match ballots::managed(&state.app, &s.actor).await {
        Ok(b) => b.iter().map(|b| listed(b, now)).collect(),
        Err(e) => return page_refusal(e, &s),
    };
    let runs_ballots = s.actor.grants.iter().any(|g| g.role.runs_ballots());
    render(
        StatusCode::OK,
        &ListPage {
            layout: Layout::of("Ballots", &s),
            mine,
            managed,
            runs_ballots,
        },
    )
}

#[derive(Template)]
#[template(path = "ballot_new.html")]
struct NewPage {
    layout: Layout,
    problem: Option<String>,
    values: Vec<(String, String)>,
    kinds: Vec<&'static str>,
    methods: Vec<&'static str>,
}

impl NewPage {
    fn value(&self, name: &str) -> &str {
        field(&self.values, name)
    }
}

fn new_page(
    s: &PageSession,
    status: StatusCode,
    problem: Option<String>,
    values: Vec<(String, String)>,
) -> Response {
    render(
        status,
        &NewPage {
            layout: Layout::of("New ballot", s),
            problem,
            values,
            kinds: BallotType::ALL.iter().map(|k| k.as_str()).collect(),
            methods: CountingMethod::ALL.iter().map(|m| m.as_str()).collect(),
        },
    )
}

#[derive(Deserialize)]
struct NewQuery {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    kind: String,
}

async fn new_form(
    State(state): State<AppState>,
    Query(q): Query<NewQuery>,
    s: PageSession,
) -> Response {
    let unit = if q.unit.is_empty() {
        s.actor
            .grants
            .iter()
            .find(|g| g.role.runs_ballots())
            .and_then(|g| g.unit.as_ref().map(|u| u.code.clone()))
            .unwrap_or_default()
    } else {
        q.unit
    };
    // Only to those who may set up a ballot there: the form is of no use to anyone else.
    if let Err(e) = ballots::may_set_up(&state.app, &s.actor, &unit).await {
        return page_refusal(e, &s);
    }
    let mut values = vec![("unit".into(), unit), ("seats".into(), "1".into())];
    // A group leader election elects one person: the single-winner preferential count suits it.
    if let Ok(kind) = BallotType::parse(&q.kind) {
        values.push(("kind".into(), kind.as_str().into()));
        if kind.fills_office() {
            values.push(("method".into(), CountingMethod::Irv.as_str().into()));
        }
    }
    new_page(&s, StatusCode::OK, None, values)
}

fn parse_moment(text: &str, what: &str) -> Result<OffsetDateTime, String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    PrimitiveDateTime::parse(text.trim(), fmt)
        .map(PrimitiveDateTime::assume_utc)
        .map_err(|_| {
            format!(
                "{what} '{}' is not a date and time (YYYY-MM-DDTHH:MM)",
                text.trim()
            )
        })
}

fn parse_day(text: &str, what: &str) -> Result<Date, String> {
    caucus_app::clock::parse_date(text).map_err(|e| format!("{what}: {e}"))
}

fn spec_from(fields: &[(String, String)]) -> Result<BallotSpec, String> {
    Ok(BallotSpec {
        title: field(fields, "title").trim().to_string(),
        kind: BallotType::parse(field(fields, "kind")).map_err(|e| e.to_string())?,
        method: CountingMethod::parse(field(fields, "method")).map_err(|e| e.to_string())?,
        seats: field(fields, "seats")
            .trim()
            .parse()
            .map_err(|_| format!("seats '{}' is not a whole number", field(fields, "seats")))?,
        candidates: field(fields, "candidates")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        opens_at: parse_moment(field(fields, "opens_at"), "voting opens")?,
        closes_at: parse_moment(field(fields, "closes_at"), "voting closes")?,
        freeze_on: parse_day(field(fields, "freeze_on"), "the freeze date")?,
    })
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let s = match session_for_post(&state, &headers, &fields).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let spec = match spec_from(&fields) {
        Ok(spec) => spec,
        Err(problem) => return new_page(&s, StatusCode::BAD_REQUEST, Some(problem), fields),
    };
    let req = NewBallotRequest {
        unit_code: field(&fields, "unit").trim().to_string(),
        spec,
    };
    match ballots::create(&state.app, &s.actor, &req).await {
        Ok(id) => Redirect::to(&format!("/ballots/{id}")).into_response(),
        Err(AppError::Invalid(problem)) => {
            new_page(&s, StatusCode::BAD_REQUEST, Some(problem), fields)
        }
        Err(e) => page_refusal(e, &s),
    }
}

/// A control of the vote form.
struct Choice {
    value: usize,
    name: String,
}

#[derive(Template)]
#[template(path = "ballot_show.html")]
struct ShowPage {
    layout: Layout,
    id: i64,
    title: String,
    unit: String,
    kind: String,
    method: String,
    seats: i64,
    state: &'static str,
    opens: String,
    closes: String,
    freeze_on: String,
    candidates: Vec<String>,
    /// The voter's own line on the roll, when they have one.
    standing: Option<DecisionBody>,
    is_member: bool,
    voted: bool,
    /// How the form is marked: `ranked`, `one` or `several` (with the most allowed); `None` when no
    /// vote can be cast now.
    form: Option<&'static str>,
    ranked: bool,
    one: bool,
    most: String,
    choices: Vec<Choice>,
    ranks: Vec<usize>,
    manage: bool,
    can_freeze: bool,
    can_close: bool,
    can_publish: bool,
    /// The ballot appoints its winner when published (a group leader election).
    fills_office: bool,
    has_result: bool,
}

async fn show(State(state): State<AppState>, Path(id): Path<i64>, s: PageSession) -> Response {
    let app = &state.app;
    let b = match ballots::find(app, id).await {
        Ok(b) => b,
        Err(e) => return page_refusal(e, &s),
    };
    let standing = match ballots::standing(app, &s.actor, id).await {
        Ok(st) => st,
        Err(e) => return page_refusal(e, &s),
    };
    let manage = match ballots::may_manage(app, &s.actor, &b.unit).await {
        Ok(d) => d.allowed,
        Err(e) => return page_refusal(e, &s),
    };
    let now = app.clock.now();
    let eligible = standing
        .as_ref()
        .and_then(|st| st.on_roll.as_ref())
        .is_some_and(|d| d.allowed);
    let voted = standing.as_ref().is_some_and(|st| st.voted);
    let seats = u32::try_from(b.row.seats).unwrap_or(1);
    let (form, most) = if b.is_open(now) && eligible && !voted {
        match b.method.marking(seats) {
            Marking::Ranked => (Some("ranked"), String::new()),
            Marking::One => (Some("one"), String::new()),
            Marking::UpTo(n) => (Some("several"), format!("up to {n}")),
            Marking::Any => (Some("several"), "as many as you approve of".to_string()),
        }
    } else {
        (None, String::new())
    };
    let page = ShowPage {
        layout: Layout::of(b.row.title.clone(), &s),
        id,
        title: b.row.title.clone(),
        unit: b.unit.name.clone(),
        kind: b.kind.as_str().replace('_', " "),
        method: b.method.as_str().to_string(),
        seats: b.row.seats,
        state: state_words(&b, now),
        opens: words(b.opens_at),
        closes: words(b.closes_at),
        freeze_on: b.row.freeze_on.to_string(),
        choices: b
            .candidates
            .iter()
            .enumerate()
            .map(|(i, n)| Choice {
                value: i + 1,
                name: n.clone(),
            })
            .collect(),
        ranks: (1..=b.candidates.len()).collect(),
        candidates: b.candidates.clone(),
        standing: standing
            .as_ref()
            .and_then(|st| st.on_roll.as_ref())
            .map(DecisionBody::from),
        is_member: standing.is_some(),
        voted,
        ranked: form == Some("ranked"),
        one: form == Some("one"),
        form,
        most,
        manage,
        can_freeze: manage && b.row.state == "draft",
        can_close: manage && b.row.state == "frozen",
        can_publish: manage && b.row.state == "counted",
        fills_office: b.kind.fills_office(),
        has_result: b.row.state == "published" || (manage && b.row.state == "counted"),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "ballot_receipt.html")]
struct ReceiptPage {
    layout: Layout,
    id: i64,
    title: String,
    receipt: String,
}

/// The marks of the vote form: `rank` fields (one per preference, in order, an empty one for a
/// preference not used; a paper must start at 1 and have no gaps) or `mark` fields (unordered
/// choices, empty ones passed over), each a 1-based candidate number.
fn marks_from(fields: &[(String, String)]) -> Result<Vec<usize>, String> {
    let candidate = |v: &str| match v.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n - 1),
        _ => Err(format!("'{v}' is not a candidate on this ballot")),
    };
    let preferences = fields
        .iter()
        .filter(|(k, _)| k == "rank")
        .map(|(_, v)| match v.trim() {
            "" => Ok(None),
            v => candidate(v).map(Some),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut marks = paper::ranked_marks(&preferences)?;
    for (_, v) in fields
        .iter()
        .filter(|(k, v)| k == "mark" && !v.trim().is_empty())
    {
        marks.push(candidate(v)?);
    }
    Ok(marks)
}

async fn vote(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let s = match session_for_post(&state, &headers, &fields).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let marks = match marks_from(&fields) {
        Ok(m) => m,
        Err(problem) => return page_refusal(AppError::Invalid(problem), &s),
    };
    match ballots::cast(&state.app, &s.actor, id, &marks).await {
        Ok(receipt) => {
            let title = ballots::find(&state.app, id)
                .await
                .map(|b| b.row.title)
                .unwrap_or_default();
            render(
                StatusCode::OK,
                &ReceiptPage {
                    layout: Layout::of("Your receipt", &s),
                    id,
                    title,
                    receipt,
                },
            )
        }
        Err(e) => page_refusal(e, &s),
    }
}

async fn step(
    state: AppState,
    headers: HeaderMap,
    id: i64,
    fields: Vec<(String, String)>,
    what: &str,
) -> Response {
    let s = match session_for_post(&state, &headers, &fields).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let app = &state.app;
    let done = match what {
        "freeze" => ballots::freeze(app, &s.actor, id).await.map(|_| ()),
        "close" => ballots::close_and_count(app, &s.actor, id).await,
        _ => match field(&fields, "takes_office_on").trim() {
            "" => groups::publish_ballot(app, &s.actor, id, None).await,
            day => match parse_day(day, "the day the winner takes office") {
                Ok(day) => groups::publish_ballot(app, &s.actor, id, Some(day)).await,
                Err(problem) => Err(AppError::Invalid(problem)),
            },
        },
    };
    match done {
        Ok(()) => Redirect::to(&format!("/ballots/{id}")).into_response(),
        Err(e) => page_refusal(e, &s),
    }
}

async fn freeze(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    step(state, headers, id, fields, "freeze").await
}

async fn close(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    step(state, headers, id, fields, "close").await
}

async fn publish(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    step(state, headers, id, fields, "publish").await
}

struct RollRow {
    name: String,
    number: String,
    standing: DecisionBody,
}

#[derive(Template)]
#[template(path = "ballot_roll.html")]
struct RollPage {
    layout: Layout,
    id: i64,
    title: String,
    freeze_on: String,
    included: usize,
    lines: Vec<RollRow>,
}

async fn roll(State(state): State<AppState>, Path(id): Path<i64>, s: PageSession) -> Response {
    let (b, lines) = match ballots::roll_of(&state.app, &s.actor, id).await {
        Ok(x) => x,
        Err(e) => return page_refusal(e, &s),
    };
    render(
        StatusCode::OK,
        &RollPage {
            layout: Layout::of(format!("Roll: {}", b.row.title), &s),
            id,
            title: b.row.title.clone(),
            freeze_on: b.row.freeze_on.to_string(),
            included: lines.iter().filter(|l| l.standing.allowed).count(),
            lines: lines
                .iter()
                .map(|l| RollRow {
                    name: l.name.clone(),
                    number: l.membership_number.clone(),
                    standing: DecisionBody::from(&l.standing),
                })
                .collect(),
        },
    )
}

/// One round of the count as the result page tabulates it.
struct RoundColumn {
    number: String,
    tallies: Vec<String>,
}

#[derive(Template)]
#[template(path = "ballot_result.html")]
struct ResultPage {
    layout: Layout,
    id: i64,
    title: String,
    published: bool,
    roll: i64,
    voted: i64,
    elected: Vec<String>,
    rounds: Vec<String>,
    /// Per candidate: the name and the tally at the end of each round.
    tallies: Vec<(String, Vec<String>)>,
    sheet: String,
    code: String,
    found: Option<Option<Vec<String>>>,
    recount: String,
}

#[derive(Deserialize)]
struct ReceiptQuery {
    #[serde(default)]
    code: String,
}

/// The rounds of the JSON result (SPEC 5.4) as columns of tallies in candidate order.
fn rounds_of(json: &serde_json::Value, candidates: &[String]) -> Vec<RoundColumn> {
    json["rounds"]
        .as_array()
        .map(|rounds| {
            rounds
                .iter()
                .map(|r| RoundColumn {
                    number: r["round"].to_string(),
                    tallies: candidates
                        .iter()
                        .map(|c| r["tallies"][c].as_str().unwrap_or("").to_string())
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn result(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<ReceiptQuery>,
    s: PageSession,
) -> Response {
    let o = match ballots::outcome(&state.app, &s.actor, id).await {
        Ok(o) => o,
        Err(e) => return page_refusal(e, &s),
    };
    let found = if q.code.trim().is_empty() {
        None
    } else {
        match ballots::find_receipt(&state.app, &s.actor, id, &q.code).await {
            Ok(f) => Some(f),
            Err(e) => return page_refusal(e, &s),
        }
    };
    let json: serde_json::Value = serde_json::from_str(&o.json).unwrap_or_default();
    let elected = json["elected"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let b = &o.ballot;
    render(
        StatusCode::OK,
        &ResultPage {
            layout: Layout::of(format!("Result: {}", b.row.title), &s),
            id,
            title: b.row.title.clone(),
            published: b.row.state == "published",
            roll: o.roll,
            voted: o.voted,
            elected,
            rounds: rounds_of(&json, &b.candidates)
                .iter()
                .map(|r| r.number.clone())
                .collect(),
            tallies: b
                .candidates
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let row = rounds_of(&json, &b.candidates)
                        .into_iter()
                        .map(|r| r.tallies.get(i).cloned().unwrap_or_default())
                        .collect();
                    (c.clone(), row)
                })
                .collect(),
            sheet: o.text.clone(),
            code: q.code.trim().to_string(),
            found,
            recount: format!(
                "caucus count ballot-{id}.blt --method {} --seats {}",
                b.method.as_str(),
                b.row.seats
            ),
        },
    )
}

async fn result_html(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    s: PageSession,
) -> Response {
    match ballots::outcome(&state.app, &s.actor, id).await {
        // A report with its own styles, which this site's policy would not apply: a download.
        Ok(o) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"ballot-{id}-result.html\""),
                ),
            ],
            o.html,
        )
            .into_response(),
        Err(e) => page_refusal(e, &s),
    }
}

async fn blt(State(state): State<AppState>, Path(id): Path<i64>, s: PageSession) -> Response {
    match ballots::outcome(&state.app, &s.actor, id).await {
        Ok(o) => (
            [
                (
                    header::CONTENT_TYPE,
                    "text/plain; charset=utf-8".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"ballot-{id}.blt\""),
                ),
            ],
            o.blt,
        )
            .into_response(),
        Err(e) => page_refusal(e, &s),
    }
}
