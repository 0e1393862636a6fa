//! `NotificationError`: every way a notifications request can be refused or fail. The
//! mapping to problem types is in `crate::error::features` (section `// notifications`).

use crate::error::{ApiError, FieldError};
use crate::ids::CommentId;

/// Why a notifications request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// 422: fields of the request failed their checks (every failing field at once).
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// 404: muting a comment that does not exist.
    #[error("comment {0} not found")]
    CommentNotFound(CommentId),
    /// A statement, the pool, or a broken invariant (500/503; the cause goes to the log).
    #[error(transparent)]
    Failure(#[from] crate::error::Failure),
}

crate::feature_failure!(NotificationError);

impl NotificationError {
    /// The shared validators (`pagination`) answer with an `ApiError` that is always a 422;
    /// its fields join this feature's `Invalid`. Anything else would be a bug in them.
    pub fn from_validation(error: ApiError) -> Self {
        match error {
            ApiError::Validation(fields) => Self::Invalid(fields),
            other => Self::internal(anyhow::Error::new(other)),
        }
    }
}
