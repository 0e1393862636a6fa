//! Password hashing with argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1), run on the
//! blocking pool with at most one hash per core at a time, so a burst of logins cannot stall
//! the async workers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::config::Secret;
use crate::error::ApiError;
use crate::telemetry::spawn_blocking_with_span;

fn argon2() -> Argon2<'static> {
    // Constant, valid parameters: construction cannot fail.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash with the same cost as real ones, verified when the login names no account so that
/// timing does not reveal whether it exists.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_blocking("hindsight-dummy-password-for-timing").unwrap_or_else(|_| String::new())
    })
}

/// Computes the dummy hash before the first request, so that the first login naming no account
/// does not cost two hashes (a timing hint).
pub async fn warm_up() {
    let _ = tokio::task::spawn_blocking(dummy_hash).await;
}

/// The password service of one application.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    dummy_verifications: Arc<AtomicU64>,
}

impl Passwords {
    /// At most `concurrency` hashes run at once.
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_verifications: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: &Secret) -> Result<String, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let password = password.clone();
        spawn_blocking_with_span(move || hash_blocking(password.expose()))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing a password: {e}")))
    }

    /// Verifies `password` against `phc`, or against the dummy hash when there is no account
    /// (always false then, at the same cost).
    pub async fn verify(&self, password: &Secret, phc: Option<String>) -> Result<bool, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let password = password.clone();
        let is_dummy = phc.is_none();
        if is_dummy {
            self.dummy_verifications.fetch_add(1, Ordering::Relaxed);
        }
        let ok = spawn_blocking_with_span(move || match phc {
            Some(phc) => verify_blocking(password.expose(), &phc),
            None => {
                verify_blocking(password.expose(), dummy_hash());
                false
            }
        })
        .await
        .map_err(ApiError::internal)?;
        Ok(ok && !is_dummy)
    }

    /// How many logins were checked against the dummy hash (tests check that it happens).
    pub fn dummy_verifications(&self) -> u64 {
        self.dummy_verifications.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let phc = hash_blocking("correct horse battery staple").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_blocking("correct horse battery staple", &phc));
        assert!(!verify_blocking("wrong", &phc));
        assert!(!verify_blocking("anything", "not a phc string"));
    }
}
