//! What every response passes through: a request id (kept from `X-Request-Id` when the client or a
//! proxy sent a sane one) on a tracing span and echoed back, the security headers, and the counts
//! `/metrics` reports.
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
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

/// Strict-Transport-Security when the server is reached over HTTPS: a year, as browsers' preload
/// rules ask, without `includeSubDomains` (other hosts of the domain are not ours to commit).
pub const HSTS: &str = "max-age=31536000";

/// The upper bounds (seconds) of the latency histogram's buckets: the p99 aim (50 ms) sits on one.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

/// One route's latencies: counts per bucket (not cumulative; summed when rendered), total, sum.
#[derive(Debug, Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    micros: u64,
}

/// Requests by route, method and status, and latency histograms by route, for Prometheus. Routes
/// are the router's templates (`/api/v1/members/{number}`), so the label set stays small; paths
/// nothing serves count under `unmatched`.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

/// Escapes a label value as the exposition format requires.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    fn record(&self, route: &str, method: &str, status: u16, micros: u64) {
        let Ok(mut m) = self.inner.lock() else { return };
        *m.requests
            .entry((route.to_string(), method.to_string(), status))
            .or_insert(0) += 1;
        let h = m.latency.entry(route.to_string()).or_default();
        let seconds = micros as f64 / 1e6;
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            h.buckets[i] += 1;
        }
        h.count += 1;
        h.micros = h.micros.saturating_add(micros);
    }

    /// The Prometheus text exposition: requests, latency histograms and the database pool's use.
    pub fn render(&self, pool: caucus_store::PoolUse) -> String {
        let (requests, latency) = match self.inner.lock() {
            Ok(m) => (m.requests.clone(), m.latency.clone()),
            Err(_) => Default::default(),
        };
        let mut out = String::from(
            "# HELP caucus_http_requests_total HTTP requests answered, by route, method and status.\n\
             # TYPE caucus_http_requests_total counter\n",
        );
        for ((route, method, status), n) in &requests {
            out.push_str(&format!(
                "caucus_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}\n",
                label(route)
            ));
        }
        out.push_str(
            "# HELP caucus_http_request_duration_seconds Time to answer HTTP requests, by route.\n\
             # TYPE caucus_http_request_duration_seconds histogram\n",
        );
        for (route, h) in &latency {
            let route = label(route);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.buckets.iter()) {
                cumulative += n;
                out.push_str(&format!(
                    "caucus_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}\n"
                ));
            }
            out.push_str(&format!(
                "caucus_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
                 caucus_http_request_duration_seconds_sum{{route=\"{route}\"}} {:.6}\n\
                 caucus_http_request_duration_seconds_count{{route=\"{route}\"}} {}\n",
                h.count,
                h.micros as f64 / 1e6,
                h.count
            ));
        }
        out.push_str(&format!(
            "# HELP caucus_db_pool_connections Database connections open, by state.\n\
             # TYPE caucus_db_pool_connections gauge\n\
             caucus_db_pool_connections{{state=\"idle\"}} {}\n\
             caucus_db_pool_connections{{state=\"in_use\"}} {}\n\
             # HELP caucus_db_pool_max_connections The most connections the pool opens.\n\
             # TYPE caucus_db_pool_max_connections gauge\n\
             caucus_db_pool_max_connections {}\n",
            pool.idle,
            pool.size.saturating_sub(pool.idle),
            pool.max
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
    let prefix = PREFIX.get_or_init(|| caucus_app::access::accounts::random_hex(4));
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
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().to_string();
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.record(
        &route,
        &method,
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
    if state.config.secure_cookies {
        // Served over HTTPS (that is what the setting says): browsers should never fall back to
        // plain HTTP, where the session cookie would be withheld and the login form exposed.
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
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
    fn metrics_count_by_route_and_status_and_fill_cumulative_buckets() {
        let m = Metrics::default();
        m.record("/api/v1/members/{number}", "GET", 200, 3_000);
        m.record("/api/v1/members/{number}", "GET", 200, 40_000);
        m.record("/api/v1/members/{number}", "GET", 403, 2_000_000);
        let text = m.render(caucus_store::PoolUse {
            size: 4,
            idle: 3,
            max: 8,
        });
        assert!(text.contains(
            "caucus_http_requests_total{route=\"/api/v1/members/{number}\",method=\"GET\",status=\"200\"} 2"
        ), "{text}");
        assert!(text.contains("status=\"403\"} 1"));
        let bucket = |le: &str| {
            format!("caucus_http_request_duration_seconds_bucket{{route=\"/api/v1/members/{{number}}\",le=\"{le}\"}}")
        };
        assert!(text.contains(&format!("{} 0\n", bucket("0.001"))), "{text}");
        assert!(text.contains(&format!("{} 1\n", bucket("0.005"))));
        assert!(text.contains(&format!("{} 2\n", bucket("0.05"))));
        assert!(text.contains(&format!("{} 2\n", bucket("1"))));
        assert!(text.contains(&format!("{} 3\n", bucket("+Inf"))));
        assert!(text.contains("caucus_db_pool_connections{state=\"in_use\"} 1"));
        assert!(text.contains("caucus_db_pool_max_connections 8"));
        assert_eq!(label("a\"b"), "a\\\"b");
    }
}
