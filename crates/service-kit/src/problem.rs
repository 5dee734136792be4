use http::StatusCode;
use serde::Serialize;
pub use todo_domain::FieldError;
use todo_domain::ValidationErrors;

/// An RFC 9457 problem: every error a service returns, in one shape.
/// 4xx problems carry a detail a person can act on; 5xx problems carry a
/// generic detail and the cause is logged once, where it is created.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError>,
    /// The `Allow` header of a 405: the methods the path does take (boxed:
    /// every handler returns `Result<_, Problem>`, so it stays small).
    #[serde(skip)]
    allow: Option<Box<str>>,
}

impl Problem {
    /// A problem with `status` and a human `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        let slug = title.to_lowercase().replace(' ', "-");
        Self {
            kind: format!("https://todo.example/problems/{slug}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            allow: None,
        }
    }

    /// 400: the request cannot be read (malformed JSON, bad query syntax).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// 403: valid credentials for someone else.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 404 for a path and method no route answers.
    pub fn no_route(request: &crate::Incoming) -> Self {
        Self::not_found(format!(
            "no route for {} /{}; see /api/openapi.json",
            request.method,
            request.segments.join("/")
        ))
    }

    /// 405 for a path that exists but does not take this method; `allow`
    /// (the methods it takes) goes in the `Allow` header, as RFC 9110 asks.
    pub fn method_not_allowed(request: &crate::Incoming, allow: &[http::Method]) -> Self {
        let allow = allow
            .iter()
            .map(http::Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        Self {
            allow: Some(allow.clone().into()),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!(
                    "/{} does not take {}; it takes {allow}",
                    request.segments.join("/"),
                    request.method
                ),
            )
        }
    }

    /// The same problem with an `Allow` header (for a 405 with its own detail).
    pub fn with_allow(mut self, allow: &[http::Method]) -> Self {
        let allow: Vec<&str> = allow.iter().map(http::Method::as_str).collect();
        self.allow = Some(allow.join(", ").into());
        self
    }

    /// 422 with the list of invalid fields (the domain's [`ValidationErrors`]
    /// or a `Vec` of its [`FieldError`]s); the detail joins them all.
    pub fn invalid(errors: impl Into<ValidationErrors>) -> Self {
        let errors: ValidationErrors = errors.into();
        let mut problem = Self::new(StatusCode::UNPROCESSABLE_ENTITY, errors.to_string());
        problem.errors = errors.into_vec();
        problem
    }

    /// 422 for one invalid field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid(ValidationErrors::single(field, message))
    }

    /// 503: a dependency (sidecar, store, broker) is unavailable; try again.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::error!(cause = %cause, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "a backing service is unavailable; nothing was changed, try again shortly",
        )
    }

    /// 500 for a bug; the cause is logged, not shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(cause = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "an internal error occurred; it has been logged",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// What went wrong, for a person.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The response, `application/problem+json`.
    pub fn into_response(self) -> crate::Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = http::Response::new(body);
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/problem+json"),
        );
        if let Some(allow) = self
            .allow
            .and_then(|a| http::HeaderValue::from_str(&a).ok())
        {
            response.headers_mut().insert(http::header::ALLOW, allow);
        }
        response
    }
}

impl From<ValidationErrors> for Problem {
    fn from(errors: ValidationErrors) -> Self {
        Self::invalid(errors)
    }
}

impl From<dapr_http::DaprError> for Problem {
    fn from(error: dapr_http::DaprError) -> Self {
        if error.is_transient() {
            Problem::unavailable(error)
        } else {
            Problem::internal(error)
        }
    }
}
