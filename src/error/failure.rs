//! What every feature error shares: the work failed below the feature's rules (a statement, the
//! pool, or a bug). Each feature enum carries it as one variant, `Failure`, so the database
//! plumbing and its mapping to 500/503 exist once, here and in `features.rs`.

use super::ApiError;

/// A failure below the rules of a feature.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// A statement failed at a named step (the step goes into the log of a 500; a lost
    /// connection or a timeout still answers 503).
    #[error("{step}")]
    Query {
        /// What the failing statement was for.
        step: &'static str,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
    },
    /// A statement failed outside a named step (a transaction's BEGIN or COMMIT).
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// No connection could be had from the pool.
    #[error(transparent)]
    Pool(#[from] crate::db::PoolError),
    /// A bug: a state the code should never reach.
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        match failure {
            // Through the shared mapping (404 for a missing row, 503 for a lost connection or
            // a timeout); a 500 keeps the step in its logged cause.
            Failure::Query { step, source } => match ApiError::from(source) {
                ApiError::Internal(cause) => ApiError::Internal(cause.context(step)),
                other => other,
            },
            Failure::Database(source) => source.into(),
            Failure::Pool(source) => source.into(),
            Failure::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

/// Gives a feature error enum with a `Failure(Failure)` variant the conversions `?` needs
/// (database and pool errors) and the constructors its code uses: `at(step)` to name the step
/// of a statement, `internal(cause)` and `bug(what)` for failures that are bugs.
#[macro_export]
macro_rules! feature_failure {
    ($error:ident) => {
        impl From<diesel::result::Error> for $error {
            fn from(error: diesel::result::Error) -> Self {
                Self::Failure($crate::error::Failure::Database(error))
            }
        }

        impl From<$crate::db::PoolError> for $error {
            fn from(error: $crate::db::PoolError) -> Self {
                Self::Failure($crate::error::Failure::Pool(error))
            }
        }

        impl $error {
            /// Wraps a failed statement with the step it was taken for, so a 500 in the log
            /// says which step failed: `.map_err(Error::at("locking the chain"))`.
            pub fn at(step: &'static str) -> impl FnOnce(diesel::result::Error) -> Self {
                move |source| Self::Failure($crate::error::Failure::Query { step, source })
            }

            /// A failure of code below the feature (a 500 whose log keeps the cause).
            pub fn internal(cause: anyhow::Error) -> Self {
                Self::Failure($crate::error::Failure::Internal(cause))
            }

            /// A state the code should never reach (a 500 whose log says what).
            pub fn bug(what: &'static str) -> Self {
                Self::Failure($crate::error::Failure::Internal(anyhow::anyhow!(what)))
            }
        }
    };
}
