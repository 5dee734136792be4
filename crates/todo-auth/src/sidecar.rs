//! Dapr's app API token: how a service knows a call comes from its own
//! sidecar.
//!
//! daprd sends the token it was given (`APP_API_TOKEN` in its environment,
//! or the Secret named by `dapr.io/app-token-secret` on Kubernetes) as the
//! `dapr-api-token` header on every call to its app: deliveries, job
//! callbacks, service invocations, the subscription list. Routes only the
//! sidecar may call check it; everything the sidecar vouches for (such as
//! `dapr-caller-app-id`) is trusted only after that check.

use subtle::ConstantTimeEq as _;

/// The header daprd puts the token in.
pub const SIDECAR_TOKEN_HEADER: &str = "dapr-api-token";

/// The environment variable holding the token, for daprd and its app alike.
pub const SIDECAR_TOKEN_ENV: &str = "APP_API_TOKEN";

/// The token a service expects from its sidecar. Its `Debug` never shows
/// the value, so it cannot leak through a log line.
#[derive(Clone)]
pub struct SidecarToken(String);

impl SidecarToken {
    /// A token, or `None` when `value` is blank: an empty token would let
    /// any request that sends an empty header through.
    pub fn new(value: impl Into<String>) -> Option<Self> {
        let value = value.into();
        let value = value.trim();
        (!value.is_empty()).then(|| Self(value.to_owned()))
    }

    /// Whether `presented` (the header's value) is this token, compared in
    /// constant time so the answer's timing does not reveal how much of a
    /// guess was right.
    pub fn matches(&self, presented: Option<&str>) -> bool {
        presented.is_some_and(|p| bool::from(self.0.as_bytes().ct_eq(p.trim().as_bytes())))
    }
}

impl std::fmt::Debug for SidecarToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SidecarToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_matches() {
        let token = SidecarToken::new("s3cret-token").unwrap();
        assert!(token.matches(Some("s3cret-token")));
        assert!(!token.matches(Some("s3cret-tokeN")));
        assert!(!token.matches(Some("s3cret")));
        assert!(!token.matches(Some("s3cret-token-and-more")));
        assert!(!token.matches(Some("")));
        assert!(!token.matches(None));
    }

    #[test]
    fn a_blank_token_is_no_token() {
        assert!(SidecarToken::new("").is_none());
        assert!(SidecarToken::new("  \n").is_none());
    }

    #[test]
    fn debug_hides_the_value() {
        let token = SidecarToken::new("s3cret-token").unwrap();
        assert!(!format!("{token:?}").contains("s3cret"));
    }
}
