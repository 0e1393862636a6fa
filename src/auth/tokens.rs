//! Access tokens (HS256 JWTs, short-lived, carrying the user's token version) and refresh
//! tokens (256 random bits, stored only as a SHA-256 hash, single use, grouped in families).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::queries;
use crate::error::ApiError;

/// Our `iss` claim.
pub const ISSUER: &str = "hindsight";
/// Our `aud` claim.
pub const AUDIENCE: &str = "hindsight-api";
/// The `typ` claim of access tokens; refresh tokens are not JWTs, so they can never pass.
pub const ACCESS_TYPE: &str = "access";
/// The `typ` claim of device tokens (OWASP's device cookie): they vouch that this device once
/// logged in to an account, and never authenticate a request.
pub const DEVICE_TYPE: &str = "device";
/// Lifetime of a device token: a year, renewed at every login.
pub const DEVICE_TTL_SECS: i64 = 365 * 86_400;
/// Leeway on `exp`/`iat`, in seconds (jsonwebtoken's default of 60 is too generous).
pub const LEEWAY_SECS: i64 = 5;

/// The claims of an access token; every one is required.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id, as a string (JWT convention).
    pub sub: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Token type: always `access`.
    pub typ: String,
    /// The user's token version when issued; a password change or deletion bumps it.
    pub ver: i32,
}

/// The claims of a device token: the account it vouches for and its lifetime.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeviceClaims {
    /// The user id, as a string.
    pub sub: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Token type: always `device`.
    pub typ: String,
    /// Random, so that two devices never hold the same token.
    pub jti: String,
}

/// Signing and verification keys with a validation pinned to HS256.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl_secs: i64,
}

impl TokenKeys {
    /// Keys from the secret. Expiry is checked against the service's clock, not jsonwebtoken's
    /// system time, so that tests can move time.
    pub fn new(secret: &[u8], access_ttl: std::time::Duration) -> anyhow::Result<Self> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECS as u64;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["sub", "exp", "iss", "aud"]);
        Ok(Self {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
            access_ttl_secs: i64::try_from(access_ttl.as_secs()).unwrap_or(900),
        })
    }

    /// Lifetime of access tokens, in seconds (`expires_in`).
    pub fn access_ttl_secs(&self) -> i64 {
        self.access_ttl_secs
    }

    /// Signs an access token for `user_id` at `now`.
    pub fn issue_access(
        &self,
        user_id: i64,
        token_version: i32,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let claims = AccessClaims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: now.timestamp() + self.access_ttl_secs,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            typ: ACCESS_TYPE.to_owned(),
            ver: token_version,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// Verifies signature, algorithm, issuer, audience, type and times; returns the claims.
    pub fn verify_access(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims, ApiError> {
        let invalid = || ApiError::Unauthenticated("the access token is invalid or expired");
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| invalid())?;
        let claims = data.claims;
        let now = now.timestamp();
        let fresh = claims.exp + LEEWAY_SECS > now && claims.iat <= now + LEEWAY_SECS;
        if claims.typ != ACCESS_TYPE || !fresh {
            return Err(invalid());
        }
        Ok(claims)
    }
}

impl TokenKeys {
    /// Signs a device token for `user_id` at `now`, handed out at each successful login so that
    /// the owner's later logins skip the per-account failed-login bucket that strangers fill.
    pub fn issue_device(&self, user_id: i64, now: DateTime<Utc>) -> Result<String, ApiError> {
        let claims = DeviceClaims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: now.timestamp() + DEVICE_TTL_SECS,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            typ: DEVICE_TYPE.to_owned(),
            jti: new_family_id(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// True when `token` is a valid, unexpired device token of `user_id`. Any failure is just
    /// "not vouched for": the login then goes through the per-account bucket as usual.
    pub fn device_vouches_for(&self, token: &str, user_id: i64, now: DateTime<Utc>) -> bool {
        let Ok(data) =
            jsonwebtoken::decode::<DeviceClaims>(token, &self.decoding, &self.validation)
        else {
            return false;
        };
        let claims = data.claims;
        let now = now.timestamp();
        claims.typ == DEVICE_TYPE
            && claims.sub == user_id.to_string()
            && claims.exp > now
            && claims.iat <= now + LEEWAY_SECS
    }
}

/// A new refresh token and the hash under which it is stored.
pub fn new_refresh_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// A new random family id for a login.
pub fn new_family_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a refresh token.
pub fn hash_refresh_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The JWT secret kept in the database: generated by the first instance to start, read by
/// every later one (so restarts and replicas accept each other's tokens).
pub async fn load_or_create_secret(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> QueryResult<Vec<u8>> {
    let mut fresh = [0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    queries::insert_secret_if_absent(conn, JWT_SECRET, &fresh, now).await?;
    queries::secret(conn, JWT_SECRET).await
}

/// The `server_secrets` row holding the JWT signing key.
const JWT_SECRET: &str = "jwt";

/// The `typ` claim of unsubscribe tokens: they let whoever holds a notification mail switch
/// that mail off (RFC 8058 one-click, no login), and never authenticate a request.
pub const UNSUBSCRIBE_TYPE: &str = "unsubscribe";

/// How long an unsubscribe link works: mail is read late, and links in old mail must still
/// stop the mail.
pub const UNSUBSCRIBE_TTL_SECS: i64 = 365 * 86_400;

/// The claims of an unsubscribe token.
#[derive(Debug, Serialize, Deserialize)]
pub struct UnsubscribeClaims {
    /// The user id, as a string.
    pub sub: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Token type: always `unsubscribe`.
    pub typ: String,
    /// The notification kind whose mail it stops, or `all`.
    pub kind: String,
}

impl TokenKeys {
    /// Signs the unsubscribe token of `user_id`'s mail about `kind` (a kind's name, or `all`).
    pub fn issue_unsubscribe(
        &self,
        user_id: i64,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = UnsubscribeClaims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: now.timestamp() + UNSUBSCRIBE_TTL_SECS,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            typ: UNSUBSCRIBE_TYPE.to_owned(),
            kind: kind.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The user id and kind of a valid, unexpired unsubscribe token; None for anything else
    /// (another type of token included).
    pub fn verify_unsubscribe(&self, token: &str, now: DateTime<Utc>) -> Option<(i64, String)> {
        let data =
            jsonwebtoken::decode::<UnsubscribeClaims>(token, &self.decoding, &self.validation)
                .ok()?;
        let claims = data.claims;
        let now = now.timestamp();
        let valid =
            claims.typ == UNSUBSCRIBE_TYPE && claims.exp > now && claims.iat <= now + LEEWAY_SECS;
        valid.then_some(())?;
        Some((claims.sub.parse().ok()?, claims.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(
            b"0123456789abcdef0123456789abcdef",
            std::time::Duration::from_secs(900),
        )
        .expect("keys")
    }

    #[test]
    fn unsubscribe_and_access_tokens_never_stand_in_for_each_other() {
        let keys = keys();
        let now = Utc::now();
        let unsubscribe = keys.issue_unsubscribe(7, "reply", now).expect("sign");
        assert_eq!(
            keys.verify_unsubscribe(&unsubscribe, now),
            Some((7, "reply".to_owned()))
        );
        assert!(keys.verify_access(&unsubscribe, now).is_err());
        let access = keys.issue_access(7, 0, now).expect("sign");
        assert_eq!(keys.verify_unsubscribe(&access, now), None);
        let device = keys.issue_device(7, now).expect("sign");
        assert_eq!(keys.verify_unsubscribe(&device, now), None);
        let later = now + chrono::Duration::seconds(UNSUBSCRIBE_TTL_SECS + 1);
        assert_eq!(
            keys.verify_unsubscribe(&unsubscribe, later),
            None,
            "expired"
        );
        let mut forged = unsubscribe.clone();
        forged.pop();
        assert_eq!(keys.verify_unsubscribe(&forged, now), None);
    }

    #[test]
    fn a_fresh_token_verifies_and_an_expired_one_does_not() {
        let keys = keys();
        let now = Utc::now();
        let token = keys.issue_access(7, 0, now).expect("sign");
        let claims = keys.verify_access(&token, now).expect("valid");
        assert_eq!(claims.sub, "7");
        let later = now + chrono::Duration::seconds(900 + LEEWAY_SECS + 10);
        assert!(keys.verify_access(&token, later).is_err());
    }

    #[test]
    fn device_tokens_vouch_only_for_their_account_and_never_authenticate() {
        let keys = keys();
        let now = Utc::now();
        let device = keys.issue_device(7, now).expect("sign");
        assert!(keys.device_vouches_for(&device, 7, now));
        assert!(!keys.device_vouches_for(&device, 8, now), "another account");
        let later = now + chrono::Duration::seconds(DEVICE_TTL_SECS + 1);
        assert!(!keys.device_vouches_for(&device, 7, later), "expired");
        assert!(
            keys.verify_access(&device, now).is_err(),
            "not an access token"
        );
        let access = keys.issue_access(7, 0, now).expect("sign");
        assert!(
            !keys.device_vouches_for(&access, 7, now),
            "not a device token"
        );
        assert!(!keys.device_vouches_for("garbage", 7, now));
    }

    #[test]
    fn refresh_tokens_are_256_bits_and_hashed() {
        let (token, hash) = new_refresh_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).expect("base64").len(), 32);
        assert_eq!(hash, hash_refresh_token(&token));
        assert_eq!(hash.len(), 32);
    }
}
