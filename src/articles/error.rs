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
    /// A query failed at a named step (the step goes into the log of a 500).
    #[error("{step}")]
    Query {
        /// What the failing statement was for.
        step: &'static str,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
    },
    /// A statement failed outside a named step.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// No connection could be had from the pool.
    #[error(transparent)]
    Pool(#[from] crate::db::PoolError),
    /// A bug: a state the code should never reach.
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl ArticleError {
    /// Wraps a failed statement with the step it was taken for, so a 500 in the log says
    /// which step failed: `.map_err(ArticleError::at("inserting the article"))`.
    pub fn at(step: &'static str) -> impl FnOnce(diesel::result::Error) -> Self {
        move |source| Self::Query { step, source }
    }
}
