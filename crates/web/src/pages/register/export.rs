//! The CSV export of a unit's membership list (SPEC 3.3): the same list `caucus export members`
//! writes, for the logged-in account when the access policy entitles it to the unit's list, with the
//! account's email in the watermark and the audit event. Refusals are a 403 page naming the reasons.
use crate::auth::PageSession;
use crate::pages::routes::Pages;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use caucus_app::register::member_export::{export_members_as, Authority, Requester};

use crate::extract::Path;
use crate::pages::error::page_refusal;
use crate::AppState;

pub(crate) fn pages(p: Pages) -> Pages {
    p.get("/units/{code}/members.csv", export)
}

/// The download's file name: the unit's code and the day, in characters every system accepts.
fn file_name(code: &str, day: &str) -> String {
    let code: String = code
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("members-{code}-{day}.csv")
}

async fn export(
    State(state): State<AppState>,
    Path(code): Path<String>,
    s: PageSession,
) -> Response {
    let requester = match Requester::parse(&s.email) {
        Ok(r) => r,
        Err(e) => return page_refusal(e, &s),
    };
    // Held whole so nothing is handed out before the export's audit event is committed.
    let mut body = Vec::new();
    let summary = match export_members_as(
        &state.app,
        Authority::Account(&s.actor),
        &code,
        &requester,
        &mut body,
    )
    .await
    {
        Ok(summary) => summary,
        Err(e) => return page_refusal(e, &s),
    };
    let name = file_name(&summary.unit_code, &state.app.clock.today().to_string());
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    // Personal data: never kept by a cache on the way.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_keeps_only_plain_characters() {
        assert_eq!(
            file_name("pcon2024:E14001337", "2026-11-22"),
            "members-pcon2024-E14001337-2026-11-22.csv"
        );
        assert_eq!(file_name("a\"b/c", "d"), "members-a-b-c-d.csv");
    }
}
