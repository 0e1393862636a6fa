//! `ArticleError`: every way an article request can be refused or fail. The service returns
//! it; `src/error/features.rs` maps each variant to the problem clients have always received.

use crate::error::FieldError;

/// Why an article request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ArticleError {
    /// One or more fields are invalid (a 422 naming each).
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// A cursor that decoded but whose key is not a sane timestamp (forged or stale).
    #[error("not a valid cursor")]
    InvalidCursor,
    /// No live article has this slug.
    #[error("article {0} not found")]
    NotFound(String),
    /// The slug given explicitly belongs to another article (deleted ones too).
    #[error("another article has this slug")]
    SlugTaken,
    /// Every derived slug tried was taken by concurrent creates.
    #[error("could not find a free slug; give one explicitly")]
    NoFreeSlug,
    /// A statement, the pool, or a broken invariant (500/503; the cause goes to the log).
    #[error(transparent)]
    Failure(#[from] crate::error::Failure),
}

crate::feature_failure!(ArticleError);
