//! `SearchError`: how a search can be refused or fail; mapped in `crate::error::features`.

use crate::error::FieldError;

/// Why a search was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// 422: parameters failed their checks (every one at once).
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// A statement, the pool, or a broken invariant (500/503; the cause goes to the log).
    #[error(transparent)]
    Failure(#[from] crate::error::Failure),
}

crate::feature_failure!(SearchError);
