//! What every response passes through: a request id (kept from `X-Request-Id` when the client or a
//! proxy sent a sane one) on a tracing span and echoed back, the security headers, and the counts
//! `/metrics` reports.
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tracing::Instrument;

use crate::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The security headers of every response. The policy allows our own stylesheet and nothing
/// inline: pages carry no script at all.
const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    ),
];

/// Request counts by status class and the total time spent, for Prometheus.
#[derive(Debug, Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
    micros: AtomicU64,
}

impl Metrics {
    fn record(&self, status: u16, micros: u64) {
        let class = usize::from((status / 100).clamp(1, 5)) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        self.micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of the counts.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "# HELP caucus_http_requests_total HTTP requests answered, by status class.\n\
             # TYPE caucus_http_requests_total counter\n",
        );
        for (i, c) in self.by_class.iter().enumerate() {
            out.push_str(&format!(
                "caucus_http_requests_total{{status=\"{}xx\"}} {}\n",
                i + 1,
                c.load(Ordering::Relaxed)
            ));
        }
        out.push_str(
            "# HELP caucus_http_request_seconds_total Time spent answering HTTP requests.\n\
             # TYPE caucus_http_request_seconds_total counter\n",
        );
        out.push_str(&format!(
            "caucus_http_request_seconds_total {:.6}\n",
            self.micros.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out
    }
}

fn sane_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then(|| s.to_string())
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn new_request_id() -> String {
    // A per-process random prefix keeps ids from two servers (or restarts) apart in shared logs.
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let prefix = PREFIX.get_or_init(|| caucus_app::accounts::random_hex(4));
    format!("{prefix}-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(sane_request_id)
        .unwrap_or_else(new_request_id);
    if let Ok(v) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(REQUEST_ID, v);
    }
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path()
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.record(
        status,
        u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
    );
    span.in_scope(|| {
        tracing::info!(status, micros = elapsed.as_micros() as u64, "answered");
    });
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, v);
    }
    for (name, value) in SECURITY_HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        // Pages and API answers hold personal data: no shared cache may keep them.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_id_from_outside_is_kept_only_when_it_is_short_and_plain() {
        assert_eq!(
            sane_request_id(&HeaderValue::from_static("abc-123_x")),
            Some("abc-123_x".to_string())
        );
        assert_eq!(sane_request_id(&HeaderValue::from_static("a b")), None);
        assert_eq!(sane_request_id(&HeaderValue::from_static("")), None);
        let long = "a".repeat(65);
        assert_eq!(
            sane_request_id(&HeaderValue::from_str(&long).unwrap()),
            None
        );
    }

    #[test]
    fn metrics_count_answers_by_status_class() {
        let m = Metrics::default();
        m.record(200, 10);
        m.record(404, 10);
        m.record(403, 10);
        let text = m.render();
        assert!(text.contains("caucus_http_requests_total{status=\"2xx\"} 1"));
        assert!(text.contains("caucus_http_requests_total{status=\"4xx\"} 2"));
    }
}
