//! How failures reach the client. The API answers SPEC 5.2's JSON `{"error": {code, message,
//! reasons}}` with the matching status; pages answer a short HTML page. The user reads a plain
//! sentence; the detail of an internal failure goes to the log only, under the request's id.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use caucus_app::AppError;
use caucus_domain::decision::Reason;
use caucus_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Failures of starting the server.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("cannot listen on {0}: {1}")]
    Bind(String, #[source] std::io::Error),
    #[error("cannot send mail: {0}")]
    Mail(String),
}

/// One reason of a decision, naming its rulebook clause.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReasonBody {
    /// The rulebook clause id, e.g. `access.grants` or `2.I.provisional`.
    pub clause: String,
    pub message: String,
}

impl From<&Reason> for ReasonBody {
    fn from(r: &Reason) -> Self {
        ReasonBody {
            clause: r.clause.clone(),
            message: r.message.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `bad_request`, `unauthenticated`, `forbidden`, `not_found`, `conflict`, `refused`,
    /// `precondition_required`, `too_many_attempts` or `internal`.
    pub code: String,
    pub message: String,
    pub reasons: Vec<ReasonBody>,
}

/// The body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// An error as the API answers it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub reasons: Vec<ReasonBody>,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
            reasons: Vec::new(),
        }
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthenticated",
            message: message.into(),
            reasons: Vec::new(),
        }
    }

    /// A refusal that is not the policy's (which carries reasons): a route misdeclared.
    pub fn forbidden_plain(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: message.into(),
            reasons: Vec::new(),
        }
    }

    /// A write sent without `If-Match` (RFC 6585's 428): the caller must say which version it saw.
    pub fn precondition_required(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::PRECONDITION_REQUIRED,
            code: "precondition_required",
            message: message.into(),
            reasons: Vec::new(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
            reasons: Vec::new(),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let (status, code) = match &e {
            AppError::Invalid(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::NotFound(_) | AppError::Store(StoreError::NotFound(_)) => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            AppError::Stale { .. } | AppError::Store(StoreError::Stale { .. }) => {
                (StatusCode::CONFLICT, "conflict")
            }
            AppError::RuleRefused(_) => (StatusCode::UNPROCESSABLE_ENTITY, "refused"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let reasons = match &e {
            AppError::Forbidden(d) | AppError::RuleRefused(d) => {
                d.reasons.iter().map(ReasonBody::from).collect()
            }
            _ => Vec::new(),
        };
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "request failed");
            "something went wrong on our side; it has been logged".to_string()
        } else {
            e.to_string()
        };
        ApiError {
            status,
            code,
            message,
            reasons,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthenticated = self.status == StatusCode::UNAUTHORIZED;
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code.to_string(),
                    message: self.message,
                    reasons: self.reasons,
                },
            }),
        )
            .into_response();
        if unauthenticated {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"caucus\""),
            );
        }
        response
    }
}
