//! `ModerationError`: every way a moderation rule or transaction can refuse or fail. The
//! service returns it so the rules never pick a status; `src/error/features.rs` maps each
//! variant to the problem type clients have always received.

use crate::error::FieldError;
use crate::ids::CommentId;

/// Why a moderation request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
    /// One or more fields of the request are invalid (a 422 naming each).
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// A cursor that decoded but whose key does not fit this list (forged or stale).
    #[error("not a valid cursor")]
    InvalidCursor,
    /// Only top-level comments can be pinned.
    #[error("only top-level comments can be pinned")]
    NotTopLevel,
    /// No comment has this id (or its article is gone).
    #[error("comment {0} not found")]
    CommentNotFound(CommentId),
    /// No live article has this slug.
    #[error("article {0} not found")]
    ArticleNotFound(String),
    /// No user has this name.
    #[error("user {0} not found")]
    UserNotFound(String),
    /// The action may not target the actor.
    #[error("you cannot do this to yourself")]
    SelfAction,
    /// The target holds the tools too (a moderator or an admin).
    #[error("moderators cannot act against moderators or admins, nor admins against admins")]
    Outranked,
    /// Removing or reporting a comment that is already deleted or removed.
    #[error("the comment is already deleted or removed")]
    CommentNotLive,
    /// Pinning a comment that is deleted or removed.
    #[error("the comment is deleted or removed")]
    PinTargetNotLive,
    /// Restoring a comment that is not removed.
    #[error("the comment is not removed")]
    CommentNotRemoved,
    /// A fourth pin on one article.
    #[error("an article has at most 3 pinned comments")]
    TooManyPins,
    /// Lifting a ban that is not there.
    #[error("the user is not banned")]
    NotBanned,
    /// A second open report by the same user on the same comment.
    #[error("you already have an open report on this comment")]
    AlreadyReported,
    /// Resolving reports on a comment that has none open.
    #[error("the comment has no open reports")]
    NoOpenReports,
    /// A statement, the pool, or a broken invariant (500/503; the cause goes to the log).
    #[error(transparent)]
    Failure(#[from] crate::error::Failure),
}

crate::feature_failure!(ModerationError);
