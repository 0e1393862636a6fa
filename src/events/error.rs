//! `EventError`: every way opening a live stream or issuing a ticket can be refused or fail;
//! `src/error/features.rs` maps each to its problem.

/// Why a stream or ticket request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// No live article has this slug.
    #[error("article {0} not found")]
    ArticleNotFound(String),
    /// Neither a valid ticket nor an access token (401).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Too many open streams from this client or for this reader (429).
    #[error("too many open streams (at most {limit})")]
    TooManyStreams {
        /// The limit reached.
        limit: usize,
    },
    /// The instance is shutting down: the client should connect again (to another one).
    #[error("the server is shutting down; connect again")]
    ShuttingDown,
    /// A statement, the pool, or a broken invariant (500/503; the cause goes to the log).
    #[error(transparent)]
    Failure(#[from] crate::error::Failure),
}

crate::feature_failure!(EventError);
