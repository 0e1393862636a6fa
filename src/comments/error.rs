//! `CommentError`: every way a comment write, vote or read can refuse or fail. The service and
//! the transactions return it so they never pick a status; `src/error/features.rs` (section
//! `// comments`) maps each variant to the problem type clients have always received.

use crate::auth::extract::Ban;
use crate::error::{ApiError, FieldError};

/// Why a comment request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CommentError {
    /// 422: fields of the request failed their checks (every failing field at once).
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// 422 on `cursor`: it decoded but its key does not fit this list (forged or stale).
    #[error("not a valid cursor")]
    InvalidCursor,
    /// 422 on `body`: an edit that names nothing to change.
    #[error("give at least one field to change")]
    NothingToChange,
    /// 422 on `parent_id`: the parent is no comment of this article (checked under lock).
    #[error("no such comment under this article")]
    ParentNotFound,
    /// 422 on `prediction`: terms sent in an edit of a comment that has no prediction.
    #[error("a prediction can only be made when the comment is posted")]
    PredictionNotAllowed,
    /// 422 on `value`: a vote other than -1, 0 or 1.
    #[error("1 (up), -1 (down) or 0 (clear)")]
    VoteOutOfRange,
    /// 404: no comment has this id (or its article is deleted).
    #[error("comment {0} not found")]
    NotFound(crate::ids::CommentId),
    /// 404: no live article has this slug.
    #[error("article {0} not found")]
    ArticleNotFound(String),
    /// 404: no user has this name (a user's comment history).
    #[error("user {0} not found")]
    UserNotFound(String),
    /// 403: editing someone else's comment.
    #[error("only the author may edit a comment")]
    NotAuthorOfEdit,
    /// 403: deleting someone else's comment.
    #[error("only the author may delete a comment")]
    NotAuthorOfDelete,
    /// 403: reading the edit history of someone else's comment without being a moderator.
    #[error("only the author and moderators may read the edit history")]
    HistoryNotAllowed,
    /// 403 `own-comment`: voting on one's own comment.
    #[error("you cannot vote on your own comment")]
    OwnComment,
    /// 403 `thread-locked`: writing in a locked thread; the problem carries the lock's reason.
    #[error("this thread is locked: no new comments, replies or edits")]
    ThreadLocked {
        /// Why a moderator locked it (the problem's `lock_reason`).
        reason: Option<String>,
    },
    /// 403 `banned`: the author's ban, found again inside the write's transaction.
    #[error("you are banned from contributing")]
    Banned(Ban),
    /// 409 `parent-not-live`: replying to a deleted or removed comment.
    #[error("the comment replied to was deleted or removed")]
    ParentNotLive,
    /// 409 `comment-not-live`: editing or voting on a deleted or removed comment.
    #[error("the comment was deleted or removed")]
    NotLive,
    /// 409 `prediction-closed`: editing terms past the deadline or the resolution.
    #[error("the prediction is closed; its terms are fixed")]
    PredictionClosed,
    /// 409 `prediction-has-forecasts`: editing terms others have already forecast on.
    #[error("others have forecast on this prediction; its terms are fixed")]
    PredictionHasForecasts,
    /// A statement, the pool, or a broken invariant (500/503; the cause goes to the log).
    #[error(transparent)]
    Failure(#[from] crate::error::Failure),
}

impl CommentError {
    /// The shared validators (`FieldErrors::finish`, `pagination`) answer with an `ApiError`
    /// that is always a 422; its fields join this feature's `Invalid`. Anything else would be
    /// a bug in them, kept as the cause of a 500.
    pub fn from_validation(error: ApiError) -> Self {
        match error {
            ApiError::Validation(fields) => Self::Invalid(fields),
            other => Self::Failure(crate::error::Failure::Internal(anyhow::Error::new(other))),
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;

    use super::*;

    fn problem(error: CommentError) -> crate::error::Problem {
        ApiError::from(error).problem()
    }

    #[test]
    fn a_locked_thread_problem_carries_its_reason() {
        let problem = problem(CommentError::ThreadLocked {
            reason: Some("heated".into()),
        });
        assert_eq!(problem.kind, "/problems/thread-locked");
        assert_eq!(problem.status, 403);
        assert_eq!(problem.extra["lock_reason"], "heated");
        let unexplained = self::problem(CommentError::ThreadLocked { reason: None });
        assert!(unexplained.extra["lock_reason"].is_null());
    }

    #[test]
    fn a_ban_found_in_the_transaction_names_reason_and_end() {
        let problem = problem(CommentError::Banned(Ban {
            reason: Some("spam".into()),
            until: None,
        }));
        assert_eq!(problem.kind, "/problems/banned");
        assert_eq!(problem.extra["ban_reason"], "spam");
        assert!(problem.extra["banned_until"].is_null());
    }

    #[test]
    fn refusals_keep_their_problem_types() {
        for (error, kind, status) in [
            (CommentError::OwnComment, "own-comment", 403),
            (CommentError::NotAuthorOfEdit, "forbidden", 403),
            (CommentError::ParentNotLive, "parent-not-live", 409),
            (CommentError::NotLive, "comment-not-live", 409),
            (CommentError::PredictionClosed, "prediction-closed", 409),
            (
                CommentError::PredictionHasForecasts,
                "prediction-has-forecasts",
                409,
            ),
            (
                CommentError::NotFound(crate::ids::CommentId(7)),
                "not-found",
                404,
            ),
        ] {
            let api = ApiError::from(error);
            assert_eq!(api.status_code().as_u16(), status);
            assert_eq!(api.problem().kind, format!("/problems/{kind}"));
        }
    }

    #[test]
    fn field_refusals_name_their_field_and_code() {
        for (error, field, code) in [
            (CommentError::ParentNotFound, "parent_id", "not_found"),
            (
                CommentError::PredictionNotAllowed,
                "prediction",
                "not_allowed",
            ),
            (CommentError::VoteOutOfRange, "value", "out_of_range"),
            (CommentError::NothingToChange, "body", "required"),
            (CommentError::InvalidCursor, "cursor", "invalid_cursor"),
        ] {
            let problem = problem(error);
            assert_eq!(problem.status, 422);
            assert_eq!(
                (
                    problem.errors[0].field.as_str(),
                    problem.errors[0].code.as_str()
                ),
                (field, code)
            );
        }
    }
}

crate::feature_failure!(CommentError);
