//! The credentials every service checks: HS256 JWTs from clients (the one
//! token format the public API accepts) and the sidecar's app token ([`SidecarToken`]).
//!
//! Pure and free of I/O and clocks (the caller passes `now`), so it builds for
//! the host and for `wasm32-wasip2` alike.
//!
//! A token is `base64url(header).base64url(claims).base64url(signature)`, the
//! header being `{"alg":"HS256"}` (a `typ` is allowed and ignored) and the
//! signature HMAC-SHA256 over the first two parts. Verification checks, in
//! order: the shape, the algorithm (anything but `HS256`, `none` included, is
//! refused), the signature (in constant time), then the claims and their
//! expiry. There is no clock leeway: a token whose `exp` is at or before `now`
//! has expired.
//!
//! Why not `jsonwebtoken` (measured for issue 13): version 12 with its
//! pure-Rust backend (`rust_crypto`) builds for `wasm32-wasip2` and kept every
//! refusal, but grew the todo-api component from 2,519,415 to 3,071,278 bytes
//! (+21.9%: its provider links RSA, ECDSA and Ed25519), and it reads an
//! unknown `alg` such as `none` as malformed JSON, so the header check here
//! would have stayed anyway. HS256 on `hmac`/`sha2` is the part it would replace.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

mod sidecar;
pub use sidecar::{SIDECAR_TOKEN_ENV, SIDECAR_TOKEN_HEADER, SidecarToken};

/// What a token asserts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Claims {
    /// The user the token was issued to.
    pub sub: String,
    /// Expiry, Unix seconds: the token is refused from this instant on.
    pub exp: i64,
    /// Issue time, Unix seconds.
    pub iat: i64,
}

/// Why a token was refused. The messages are meant for the client.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone, Copy)]
pub enum AuthError {
    /// Not three base64url parts, or a header or claims that are not the
    /// expected JSON (claims need `sub`, `exp` and `iat`).
    #[error(
        "the token is malformed: expected three base64url parts holding a JSON header, \
         JSON claims with sub, exp and iat, and a signature"
    )]
    Malformed,
    /// The header names an algorithm other than HS256 (`none` included).
    #[error("the token's algorithm is not supported: only HS256 is accepted")]
    UnsupportedAlgorithm,
    /// The signature does not match (tampered token or another secret).
    #[error("the token's signature is invalid")]
    BadSignature,
    /// `exp` is at or before now.
    #[error("the token has expired: get a new one")]
    Expired,
    /// `nbf` is after now, or `iat` more than [`CLOCK_SKEW_SECS`] ahead of now.
    #[error("the token is not valid yet: check the issuing host's clock")]
    NotYetValid,
    /// Longer than [`MAX_TOKEN_BYTES`]: no token this system issues comes near it.
    #[error("the token is too long")]
    TooLong,
}

/// The longest token accepted; larger ones are refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 4096;

/// How far ahead of this host's clock an issuer's clock may run (`iat`).
pub const CLOCK_SKEW_SECS: i64 = 60;

/// The claims as read, with the optional ones [`Claims`] does not carry.
#[derive(Deserialize)]
struct ReadClaims {
    #[serde(flatten)]
    claims: Claims,
    #[serde(default)]
    nbf: Option<i64>,
}

const ALGORITHM: &str = "HS256";

/// base64url without padding when encoding; decoding also tolerates padding.
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Serialize, Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: std::borrow::Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    typ: Option<std::borrow::Cow<'a, str>>,
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm cannot be reached.
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of any length"),
    }
}

/// Signs `claims` with `secret` as an HS256 JWT.
///
/// An empty secret produces a token that [`verify`] never accepts.
pub fn sign(claims: &Claims, secret: &[u8]) -> String {
    let header = Header {
        alg: ALGORITHM.into(),
        typ: Some("JWT".into()),
    };
    // Serializing these plain structs cannot fail.
    let header = serde_json::to_vec(&header).unwrap_or_default();
    let claims = serde_json::to_vec(claims).unwrap_or_default();
    let signing_input = format!("{}.{}", B64.encode(header), B64.encode(claims));
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    let signature = B64.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Checks `token` against `secret` at `now_unix` (Unix seconds) and returns
/// its claims.
///
/// An empty secret is refused outright ([`AuthError::BadSignature`]): a
/// misconfigured service must not accept tokens anyone could sign.
pub fn verify(token: &str, secret: &[u8], now_unix: i64) -> Result<Claims, AuthError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(AuthError::TooLong);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed);
    };

    let header_json = B64.decode(header_b64).map_err(|_| AuthError::Malformed)?;
    let header: Header<'_> =
        serde_json::from_slice(&header_json).map_err(|_| AuthError::Malformed)?;
    if header.alg != ALGORITHM {
        return Err(AuthError::UnsupportedAlgorithm);
    }

    let signature = B64
        .decode(signature_b64)
        .map_err(|_| AuthError::Malformed)?;
    if secret.is_empty() {
        return Err(AuthError::BadSignature);
    }
    let mut mac = mac(secret);
    mac.update(header_b64.as_bytes());
    mac.update(b".");
    mac.update(claims_b64.as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&signature)
        .map_err(|_| AuthError::BadSignature)?;

    let claims_json = B64.decode(claims_b64).map_err(|_| AuthError::Malformed)?;
    let ReadClaims { claims, nbf } =
        serde_json::from_slice(&claims_json).map_err(|_| AuthError::Malformed)?;
    if claims.exp <= now_unix {
        return Err(AuthError::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now_unix) || claims.iat > now_unix + CLOCK_SKEW_SECS {
        return Err(AuthError::NotYetValid);
    }
    Ok(claims)
}

/// Extracts the token from an `Authorization: Bearer <t>` header value.
///
/// The scheme is matched case-insensitively and surrounding whitespace is
/// ignored; `None` for another scheme, an empty token or one with spaces.
pub fn bearer(header_value: &str) -> Option<&str> {
    let value = header_value.trim();
    let (scheme, token) = value.split_once([' ', '\t'])?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    if token.is_empty() || token.contains(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    Some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a-test-secret-of-reasonable-length";
    const NOW: i64 = 1_700_000_000;

    fn claims() -> Claims {
        Claims {
            sub: "alice".into(),
            exp: NOW + 3600,
            iat: NOW,
        }
    }

    /// Builds a token from raw JSON parts, signed with `secret`.
    fn raw_token(header: &str, claims: &str, secret: &[u8]) -> String {
        let input = format!("{}.{}", B64.encode(header), B64.encode(claims));
        let mut m = mac(secret);
        m.update(input.as_bytes());
        format!("{input}.{}", B64.encode(m.finalize().into_bytes()))
    }

    #[test]
    fn round_trip() {
        let token = sign(&claims(), SECRET);
        assert_eq!(token.split('.').count(), 3);
        assert!(!token.contains('='), "base64url without padding");
        assert_eq!(verify(&token, SECRET, NOW), Ok(claims()));
    }

    #[test]
    fn header_is_hs256_jwt() {
        let token = sign(&claims(), SECRET);
        let header = B64.decode(token.split('.').next().unwrap()).unwrap();
        assert_eq!(header, br#"{"alg":"HS256","typ":"JWT"}"#);
    }

    #[test]
    fn accepts_header_without_typ_and_padded_parts() {
        let token = raw_token(
            r#"{"alg":"HS256"}"#,
            r#"{"sub":"bob","exp":1700003600,"iat":1700000000}"#,
            SECRET,
        );
        assert_eq!(verify(&token, SECRET, NOW).unwrap().sub, "bob");

        let padded = base64::engine::general_purpose::URL_SAFE;
        let input = format!(
            "{}.{}",
            padded.encode(r#"{"alg":"HS256"}"#),
            padded.encode(r#"{"sub":"bob","exp":1700003600,"iat":1700000000}"#)
        );
        assert!(input.contains('='));
        let mut m = mac(SECRET);
        m.update(input.as_bytes());
        let token = format!("{input}.{}", padded.encode(m.finalize().into_bytes()));
        assert_eq!(verify(&token, SECRET, NOW).unwrap().sub, "bob");
    }

    #[test]
    fn matches_a_token_signed_elsewhere() {
        // Made with Python's hmac/hashlib, as scripts/stack does.
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
                     eyJzdWIiOiJhbGljZSIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ.\
                     V0o9HT2hqC4CWxm3BRfzAfpluYLIvP39xcri4TQhHBE";
        assert_eq!(verify(token, b"secret", NOW), Ok(claims()));
    }

    #[test]
    fn tampered_payload_is_refused() {
        let token = sign(&claims(), SECRET);
        let parts: Vec<&str> = token.split('.').collect();
        let forged = B64.encode(br#"{"sub":"mallory","exp":1700003600,"iat":1700000000}"#);
        let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
        assert_eq!(verify(&tampered, SECRET, NOW), Err(AuthError::BadSignature));
    }

    #[test]
    fn tampered_signature_is_refused() {
        let token = sign(&claims(), SECRET);
        let (input, signature) = token.rsplit_once('.').unwrap();
        let mut signature = B64.decode(signature).unwrap();
        signature[0] ^= 1;
        let token = format!("{input}.{}", B64.encode(&signature));
        assert_eq!(verify(&token, SECRET, NOW), Err(AuthError::BadSignature));
        let truncated = format!("{input}.{}", B64.encode(&signature[..16]));
        assert_eq!(
            verify(&truncated, SECRET, NOW),
            Err(AuthError::BadSignature)
        );
        let empty = format!("{input}.");
        assert_eq!(verify(&empty, SECRET, NOW), Err(AuthError::BadSignature));
    }

    #[test]
    fn wrong_secret_is_refused() {
        let token = sign(&claims(), SECRET);
        assert_eq!(
            verify(&token, b"another-secret", NOW),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn empty_secret_is_refused() {
        let token = sign(&claims(), b"");
        assert_eq!(verify(&token, b"", NOW), Err(AuthError::BadSignature));
    }

    #[test]
    fn expired_without_leeway() {
        let token = sign(&claims(), SECRET);
        let exp = claims().exp;
        assert!(verify(&token, SECRET, exp - 1).is_ok());
        assert_eq!(verify(&token, SECRET, exp), Err(AuthError::Expired));
        assert_eq!(verify(&token, SECRET, exp + 1), Err(AuthError::Expired));
    }

    #[test]
    fn not_yet_valid_tokens_are_refused() {
        let nbf = raw_token(
            r#"{"alg":"HS256"}"#,
            &format!(
                r#"{{"sub":"alice","exp":{},"iat":{NOW},"nbf":{}}}"#,
                NOW + 3600,
                NOW + 10
            ),
            SECRET,
        );
        assert_eq!(verify(&nbf, SECRET, NOW), Err(AuthError::NotYetValid));
        assert!(verify(&nbf, SECRET, NOW + 10).is_ok());
        let issued_ahead = Claims {
            iat: NOW + CLOCK_SKEW_SECS + 1,
            ..claims()
        };
        let token = sign(&issued_ahead, SECRET);
        assert_eq!(verify(&token, SECRET, NOW), Err(AuthError::NotYetValid));
        let within_skew = Claims {
            iat: NOW + CLOCK_SKEW_SECS,
            ..claims()
        };
        assert!(verify(&sign(&within_skew, SECRET), SECRET, NOW).is_ok());
    }

    #[test]
    fn an_oversized_token_is_refused_before_decoding() {
        let big = format!("{}.{}.x", "a".repeat(MAX_TOKEN_BYTES), "b");
        assert_eq!(verify(&big, SECRET, NOW), Err(AuthError::TooLong));
    }

    /// Key-locating headers are never followed: a token naming the
    /// attacker's key (`jku`, `jwk`, `kid`) and signed with it is refused.
    #[test]
    fn key_headers_point_nowhere() {
        let claims = r#"{"sub":"alice","exp":1700003600,"iat":1700000000}"#;
        for header in [
            r#"{"alg":"HS256","kid":"../../dev/null"}"#,
            r#"{"alg":"HS256","jku":"http://127.0.0.1:9/keys.json"}"#,
            r#"{"alg":"HS256","jwk":{"kty":"oct","k":"YXR0YWNrZXI"}}"#,
        ] {
            let token = raw_token(header, claims, b"attacker");
            assert_eq!(
                verify(&token, SECRET, NOW),
                Err(AuthError::BadSignature),
                "{header}"
            );
        }
    }

    #[test]
    fn alg_none_is_refused() {
        let claims = r#"{"sub":"alice","exp":1700003600,"iat":1700000000}"#;
        let unsigned = format!(
            "{}.{}.",
            B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            B64.encode(claims)
        );
        assert_eq!(
            verify(&unsigned, SECRET, NOW),
            Err(AuthError::UnsupportedAlgorithm)
        );
        // Even when "signed" with the right secret.
        for alg in ["none", "None", "HS512", "RS256", "hs256"] {
            let token = raw_token(&format!(r#"{{"alg":"{alg}"}}"#), claims, SECRET);
            assert_eq!(
                verify(&token, SECRET, NOW),
                Err(AuthError::UnsupportedAlgorithm),
                "{alg}"
            );
        }
        let no_alg = raw_token(r#"{"typ":"JWT"}"#, claims, SECRET);
        assert_eq!(verify(&no_alg, SECRET, NOW), Err(AuthError::Malformed));
    }

    #[test]
    fn garbage_is_malformed() {
        for token in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "....",
            "!!!.???.***",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0",
            "bm90IGpzb24.bm90IGpzb24.c2ln",
        ] {
            assert_eq!(
                verify(token, SECRET, NOW),
                Err(AuthError::Malformed),
                "{token:?}"
            );
        }
        // A valid signature over claims that are not JSON.
        let not_json = raw_token(r#"{"alg":"HS256"}"#, "not json", SECRET);
        assert_eq!(verify(&not_json, SECRET, NOW), Err(AuthError::Malformed));
    }

    #[test]
    fn missing_exp_is_malformed() {
        let token = raw_token(
            r#"{"alg":"HS256"}"#,
            r#"{"sub":"alice","iat":1700000000}"#,
            SECRET,
        );
        assert_eq!(verify(&token, SECRET, NOW), Err(AuthError::Malformed));
        let string_exp = raw_token(
            r#"{"alg":"HS256"}"#,
            r#"{"sub":"alice","exp":"later","iat":1700000000}"#,
            SECRET,
        );
        assert_eq!(verify(&string_exp, SECRET, NOW), Err(AuthError::Malformed));
    }

    #[test]
    fn messages_are_human() {
        assert!(
            AuthError::Malformed
                .to_string()
                .starts_with("the token is malformed: expected three base64url parts")
        );
        assert_eq!(
            AuthError::Expired.to_string(),
            "the token has expired: get a new one"
        );
    }

    #[test]
    fn bearer_extracts_the_token() {
        assert_eq!(bearer("Bearer abc.def.ghi"), Some("abc.def.ghi"));
        assert_eq!(bearer("bearer abc"), Some("abc"));
        assert_eq!(bearer("  BEARER   abc  "), Some("abc"));
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer a b"), None);
        assert_eq!(bearer("abc"), None);
        assert_eq!(bearer(""), None);
    }
}
