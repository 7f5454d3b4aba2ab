//! Who is asking. The API reads a bearer token; pages read the session cookie and check the CSRF
//! token every form carries. Both resolve to the account's `Actor`, which the use cases hand to the
//! access policy; nothing here decides what anyone may see.
use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use caucus_app::{access::accounts, access::api_tokens};
use caucus_domain::access::policy::Actor;
use caucus_domain::access::token_scope::{check_held, Scope};
use cookie::{Cookie, SameSite};
use std::collections::BTreeSet;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "caucus_session";
/// The CSRF token of the login form, which comes before any session (double-submit cookie).
pub const LOGIN_CSRF_COOKIE: &str = "caucus_login_csrf";

/// An API caller, authenticated by a bearer token whose scopes cover the route (the scopes each
/// route needs are those its OpenAPI description declares; see `crate::scopes`).
pub struct ApiCaller {
    pub email: String,
    pub actor: Actor,
    pub token: String,
    pub scopes: BTreeSet<Scope>,
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or_else(|| {
            ApiError::unauthenticated(
                "log in first: send 'Authorization: Bearer TOKEN' with a token from POST /api/v1/session",
            )
        })?;
        let access = api_tokens::access(&state.app, token)
            .await?
            .ok_or_else(|| {
                ApiError::unauthenticated("the token is unknown, expired or revoked: log in again")
            })?;
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        let needs = route
            .and_then(|r| state.scopes.needs(&parts.method, r))
            .ok_or_else(|| {
                // A route that takes a token must say which scopes it needs: refuse rather than
                // serve it to every token.
                tracing::error!(route = ?route, "an API route declares no security requirement");
                ApiError::forbidden_plain("this route declares no scope, so no token may use it")
            })?;
        let held = check_held(&access.scopes, needs);
        if !held.allowed {
            return Err(ApiError::from(caucus_app::AppError::Forbidden(held)));
        }
        Ok(ApiCaller {
            email: access.email,
            actor: access.actor,
            token: token.to_string(),
            scopes: access.scopes,
        })
    }
}

/// A cookie's value from the request's `Cookie` headers (parsed by the `cookie` crate; a pair it
/// cannot read is passed over).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name_raw() == Some(name))
        .and_then(|c| c.value_raw())
}

/// A `Set-Cookie` value: Path=/, HttpOnly and SameSite=Lax always, Secure when the server says so.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(max_age))
        .secure(secure)
        .build()
        .to_string()
}

/// A browser session: the account, the token of the cookie and the CSRF token of its forms.
pub struct PageSession {
    pub email: String,
    pub actor: Actor,
    pub token: String,
    pub csrf: String,
}

/// The session the browser holds, if it is live.
pub async fn page_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<PageSession>, caucus_app::AppError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some((email, actor, csrf)) = accounts::session(&state.app, token).await? else {
        return Ok(None);
    };
    Ok(Some(PageSession {
        email,
        actor,
        token: token.to_string(),
        csrf,
    }))
}

/// Compares two secrets in time that does not depend on where they differ (`subtle`).
pub fn same_secret(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_bearer_token_is_read_whatever_the_case_of_the_scheme() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn cookies_are_found_by_name_among_several() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; caucus_session=xyz; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn a_set_cookie_is_http_only_lax_on_every_path_and_secure_when_asked() {
        let c = set_cookie(SESSION_COOKIE, "xyz", 3600, true);
        for part in [
            "caucus_session=xyz",
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=3600",
            "Secure",
        ] {
            assert!(c.split("; ").any(|p| p == part), "{c} lacks {part}");
        }
        assert!(!set_cookie(SESSION_COOKIE, "", 0, false).contains("Secure"));
    }

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
