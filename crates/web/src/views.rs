//! What every page is drawn with: the layout, rendering a template, the error page (for a visitor
//! and inside a reader's layout), and the small text helpers pages share.
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::auth::PageSession;
use crate::error::ReasonBody;

/// A path segment with everything but unreserved characters percent-encoded (for redirects).
pub(crate) fn path_segment(text: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}

/// What the layout needs: the title, and who is logged in (for the header and its logout form).
pub struct Layout {
    pub title: String,
    pub email: Option<String>,
    pub csrf: String,
}

impl Layout {
    pub(crate) fn anonymous(title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            email: None,
            csrf: String::new(),
        }
    }

    pub(crate) fn of(title: impl Into<String>, s: &PageSession) -> Layout {
        Layout {
            title: title.into(),
            email: Some(s.email.clone()),
            csrf: s.csrf.clone(),
        }
    }
}

/// A use case's sentence as a sentence of the page.
pub(crate) fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => {
            let rest: String = c.collect();
            let end = if rest.ends_with('.') { "" } else { "." };
            format!("{}{rest}{end}", first.to_uppercase())
        }
        None => String::new(),
    }
}

pub(crate) fn render(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Error</title><p>Something went wrong on our side; it has been logged.</p>".to_string()),
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    message: &'a str,
    reasons: &'a [ReasonBody],
}

fn error_title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::UNPROCESSABLE_ENTITY => "Refused by the rules",
        StatusCode::CONFLICT => "Changed by someone else",
        StatusCode::BAD_REQUEST => "Something is wrong with the request",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        _ => "Something went wrong",
    }
}

/// The error page for a visitor who is not logged in (or whose session could not be read).
pub(crate) fn error_page(status: StatusCode, message: &str, reasons: &[ReasonBody]) -> Response {
    error_page_in(
        Layout::anonymous(error_title(status)),
        status,
        message,
        reasons,
    )
}

/// The error page inside the logged-in layout, so a refusal leaves the reader their navigation and
/// their Log out button.
pub(crate) fn session_error_page(
    s: &PageSession,
    status: StatusCode,
    message: &str,
    reasons: &[ReasonBody],
) -> Response {
    error_page_in(Layout::of(error_title(status), s), status, message, reasons)
}

fn error_page_in(
    layout: Layout,
    status: StatusCode,
    message: &str,
    reasons: &[ReasonBody],
) -> Response {
    render(
        status,
        &ErrorPage {
            layout,
            message,
            reasons,
        },
    )
}
