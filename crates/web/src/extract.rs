//! The extractors every handler takes its path, query and form through, in place of axum's own: the
//! same `Path`, `Query` and `Form`, but a request they cannot read (invalid UTF-8 in the path, a
//! form missing a field, a query of the wrong type) is answered the way its route answers any
//! failure, and with a 4xx: the API's JSON error under `/api/`, the HTML error page elsewhere. axum's
//! own rejections answer a plain-text body, which is neither.
//!
//! A NUL character (`%00`) is refused the same way, in the address (`refuse_nul`, a layer over every
//! route) and in a form: no text caucus stores may hold one, and PostgreSQL refuses it, so it would
//! otherwise reach the database and come back a 500.
use axum::extract::{FromRequest, FromRequestParts, RawForm, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Why a request could not be read, answered as its route answers failures.
#[derive(Debug)]
pub struct Rejected {
    api: bool,
    status: StatusCode,
    /// For the API: a lower-case sentence, as its other errors.
    message: String,
    /// For a page: what to tell the reader.
    page_message: String,
}

impl Rejected {
    /// `what` names the part of the request that could not be read ("the address"), `detail` is
    /// axum's account of why, `advice` what a reader of the page can do.
    fn new(path: &str, status: StatusCode, what: &str, detail: &str, advice: &str) -> Rejected {
        // A rejection axum answers 5xx (path parameters missing for a route) is a bug of ours, and
        // stays a 5xx; a body too large stays a 413; anything else the client sent is a 400.
        let status = if status.is_server_error() {
            tracing::error!(%status, detail, "an extractor failed on a route");
            status
        } else if status == StatusCode::PAYLOAD_TOO_LARGE {
            status
        } else {
            StatusCode::BAD_REQUEST
        };
        Rejected {
            api: path == "/api" || path.starts_with("/api/"),
            status,
            message: format!("{what} could not be read: {detail}"),
            page_message: format!("{} could not be read ({detail}). {advice}", capital(what)),
        }
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|first| first.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        if self.api {
            ApiError {
                status: self.status,
                code: if self.status.is_server_error() {
                    "internal"
                } else {
                    "bad_request"
                },
                message: self.message,
                reasons: Vec::new(),
            }
            .into_response()
        } else {
            crate::views::error_page(self.status, &self.page_message, &[])
        }
    }
}

/// `axum::extract::Path`, answering a path it cannot read as its route answers failures.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Rejected;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Rejected> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(e) => Err(Rejected::new(
                parts.uri.path(),
                e.status(),
                "the address",
                &e.body_text(),
                "Check the link or the address typed.",
            )),
        }
    }
}

/// `axum::extract::Query`, answering a query it cannot read as its route answers failures.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Rejected;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Rejected> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(e) => Err(Rejected::new(
                parts.uri.path(),
                e.status(),
                "the address's query",
                &e.body_text(),
                "Check the link or the address typed.",
            )),
        }
    }
}

/// Whether URL-encoded text holds a NUL character, encoded (`%00`) or not.
fn has_nul(encoded: &[u8]) -> bool {
    encoded.contains(&0) || encoded.windows(3).any(|w| w == b"%00")
}

const NUL: &str = "it contains a NUL character (%00)";

/// A layer over every route: an address whose path or query holds a NUL character is answered 400
/// in the shape of its route, before any handler reads it.
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    let uri = req.uri();
    if has_nul(uri.path().as_bytes()) || uri.query().is_some_and(|q| has_nul(q.as_bytes())) {
        return Rejected::new(
            uri.path(),
            StatusCode::BAD_REQUEST,
            "the address",
            NUL,
            "Check the link or the address typed.",
        )
        .into_response();
    }
    next.run(req).await
}

/// `axum::extract::Form`, answering a form it cannot read (a field missing, of the wrong kind, a
/// NUL character, or not a form at all) as its route answers failures.
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Rejected;

    async fn from_request(req: Request, state: &S) -> Result<Self, Rejected> {
        const ADVICE: &str = "Please go back, reload the page and try again.";
        let path = req.uri().path().to_string();
        let refused =
            |status, detail: &str| Rejected::new(&path, status, "the form", detail, ADVICE);
        // The form's bytes as axum's Form reads them (its content type checked, within the body
        // limit), then the same decoding.
        let RawForm(bytes) = RawForm::from_request(req, state)
            .await
            .map_err(|e| refused(e.status(), &e.body_text()))?;
        if has_nul(&bytes) {
            return Err(refused(StatusCode::BAD_REQUEST, NUL));
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(Form)
            .map_err(|e| refused(StatusCode::BAD_REQUEST, &e.to_string()))
    }
}

/// Whether a JSON value holds a NUL character in any string or key.
fn holds_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// `axum::Json` as a request body (the API's): a body it cannot read (not JSON, not the expected
/// fields, a NUL character in a string) is the API's JSON error, 400.
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Rejected;

    async fn from_request(req: Request, state: &S) -> Result<Self, Rejected> {
        let path = req.uri().path().to_string();
        let refused = |status, detail: &str| {
            Rejected::new(
                &path,
                status,
                "the request body",
                detail,
                "Please try again.",
            )
        };
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(|e| refused(e.status(), &e.body_text()))?;
        if holds_nul(&value) {
            return Err(refused(
                StatusCode::BAD_REQUEST,
                "it contains a NUL character (\\u0000)",
            ));
        }
        serde_json::from_value(value)
            .map(JsonBody)
            .map_err(|e| refused(StatusCode::BAD_REQUEST, &e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_is_a_400_in_the_shape_of_its_route() {
        let page = Rejected::new(
            "/units/x",
            StatusCode::UNPROCESSABLE_ENTITY,
            "the form",
            "missing field `csrf`",
            "Try again.",
        );
        assert!(!page.api);
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            page.page_message,
            "The form could not be read (missing field `csrf`). Try again."
        );
        let api = Rejected::new(
            "/api/v1/members/x",
            StatusCode::BAD_REQUEST,
            "the address",
            "bad",
            "",
        );
        assert!(api.api);
        assert_eq!(api.message, "the address could not be read: bad");
        let big = Rejected::new("/login", StatusCode::PAYLOAD_TOO_LARGE, "the form", "", "");
        assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(!Rejected::new("/apiary", StatusCode::BAD_REQUEST, "x", "", "").api);
    }

    /// Handlers take their path and form through this module: axum's own `Path` and `Form` are
    /// imported nowhere else, and its `Query` only where the handler maps its rejection itself.
    #[test]
    fn no_handler_takes_axums_own_path_form_or_unhandled_query() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        let mut dirs = vec![src];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") || path.ends_with("src/extract.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines().map(str::trim) {
                    let Some(names) = line.strip_prefix("use axum::extract::") else {
                        if line.starts_with("use axum::Form") {
                            offenders.push(format!("{}: {line}", path.display()));
                        }
                        continue;
                    };
                    let names: Vec<&str> = names
                        .trim_matches(|c| matches!(c, '{' | '}' | ';'))
                        .split(',')
                        .map(str::trim)
                        .collect();
                    let unhandled_query =
                        names.contains(&"Query") && !text.contains("QueryRejection");
                    if names.contains(&"Path") || names.contains(&"Form") || unhandled_query {
                        offenders.push(format!("{}: {line}", path.display()));
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "take Path, Query and Form from crate::extract: {offenders:#?}"
        );
    }

    #[test]
    fn a_nul_is_found_in_any_string_or_key_of_a_json_value() {
        for v in [
            serde_json::json!("a\u{0}"),
            serde_json::json!({"email": "x", "list": [1, "\u{0}"]}),
            serde_json::json!({"a\u{0}": 1}),
        ] {
            assert!(holds_nul(&v), "{v}");
        }
        assert!(!holds_nul(
            &serde_json::json!({"a": ["b", 1, null, {"c": "\\u0000"}]})
        ));
    }

    #[test]
    fn a_nul_is_found_encoded_or_not_and_nothing_else_is() {
        for text in ["a%00b", "%00", "a\0b", "csrf=x&email=a%00"] {
            assert!(has_nul(text.as_bytes()), "{text:?}");
        }
        for text in ["", "a%2500b", "%0", "%20%30%30", "q=L1+0AA"] {
            assert!(!has_nul(text.as_bytes()), "{text:?}");
        }
    }
}
