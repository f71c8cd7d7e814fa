//! Structured errors: every failure answers `{"error": {"code": "...", "message": "..."}}` with
//! a stable `code` a program can branch on (listed in the README and the OpenAPI document) and
//! a plain-English `message` for people.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// One API error: HTTP status, stable code, message.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status sent.
    pub status: StatusCode,
    /// Stable machine code (one of [`CODES`]): clients branch on it, never on the message.
    pub code: &'static str,
    /// What went wrong and what to do, for a person.
    pub message: String,
    /// Seconds to wait before retrying (rate limit, full queue).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with any status.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400: the request itself is wrong; the message says how.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404: no such case, job or page.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 500: a failure on the server's side, not the request's (code `internal`).
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// Add a `Retry-After` header (seconds), for a rate limit or a full queue.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// Every stable error code, for the documentation test.
pub const CODES: &[&str] = &[
    "bad_json",
    "bad_input",
    "body_too_large",
    "body_unreadable",
    "unsupported_media_type",
    "not_email",
    "bad_audio",
    "bad_region",
    "unauthorized",
    "host_not_allowed",
    "cross_origin_refused",
    "rate_limited",
    "timeout",
    "route_not_found",
    "method_not_allowed",
    "probe_target_refused",
    "probe_queue_full",
    "probe_job_not_found",
    "screenshot_not_found",
    "browser_unavailable",
    "audio_unavailable",
    "audio_busy",
    "case_not_found",
    "cases_unavailable",
    "storage_error",
    "internal",
];
