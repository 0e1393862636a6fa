//! The one place where each feature's error enum becomes a problem type: handlers return
//! their feature's error and `?` converts it here, so the feature code never chooses a status
//! or a `/problems/*` slug itself.

use super::{ApiError, FieldError};
use crate::accounts::error::{AccountError, ProblemCode};
use crate::articles::error::ArticleError;
use crate::comments::error::CommentError;
use crate::moderation::error::ModerationError;

// notifications

impl From<crate::notifications::error::NotificationError> for ApiError {
    fn from(error: crate::notifications::error::NotificationError) -> Self {
        use crate::notifications::error::NotificationError as E;
        match error {
            E::Invalid(fields) => Self::Validation(fields),
            E::CommentNotFound(id) => Self::not_found(format!("comment {id}")),
            E::Failure(failure) => failure.into(),
        }
    }
}

// predictions

impl From<crate::predictions::error::PredictionError> for ApiError {
    fn from(error: crate::predictions::error::PredictionError) -> Self {
        use crate::predictions::error::PredictionError as E;
        let detail = error.to_string();
        match error {
            E::Invalid(fields) => Self::Validation(fields),
            E::NotFound(id) => Self::not_found(format!("prediction {id}")),
            E::UserNotFound(username) => Self::not_found(format!("user {username}")),
            E::ArticleNotFound(slug) => Self::not_found(format!("article {slug}")),
            E::Hidden => Self::conflict(crate::error::ProblemKind::PredictionHidden, detail),
            E::Closed => Self::conflict(crate::error::ProblemKind::PredictionClosed, detail),
            E::OwnPrediction | E::ReResolutionNotAdmin => Self::forbidden(detail),
            E::ReResolutionWithoutNote => Self::invalid("note", "required", detail),
            E::Failure(failure) => failure.into(),
        }
    }
}

// moderation

impl From<ModerationError> for ApiError {
    fn from(error: ModerationError) -> Self {
        use ModerationError as E;
        let detail = error.to_string();
        match error {
            E::Invalid(errors) => Self::Validation(errors),
            E::InvalidCursor => {
                Self::Validation(vec![FieldError::new("cursor", "invalid_cursor", detail)])
            }
            E::NotTopLevel => {
                Self::Validation(vec![FieldError::new("pinned", "not_top_level", detail)])
            }
            E::CommentNotFound(id) => Self::not_found(format!("comment {id}")),
            E::ArticleNotFound(slug) => Self::not_found(format!("article {slug}")),
            E::UserNotFound(username) => Self::not_found(format!("user {username}")),
            E::SelfAction | E::Outranked => Self::forbidden(detail),
            E::CommentNotLive | E::PinTargetNotLive => {
                Self::conflict(crate::error::ProblemKind::CommentNotLive, detail)
            }
            E::CommentNotRemoved => {
                Self::conflict(crate::error::ProblemKind::CommentNotRemoved, detail)
            }
            E::TooManyPins => Self::conflict(crate::error::ProblemKind::TooManyPins, detail),
            E::NotBanned => Self::conflict(crate::error::ProblemKind::NotBanned, detail),
            E::AlreadyReported => {
                Self::conflict(crate::error::ProblemKind::AlreadyReported, detail)
            }
            E::NoOpenReports => Self::conflict(crate::error::ProblemKind::NoOpenReports, detail),
            E::Failure(failure) => failure.into(),
        }
    }
}

// articles

impl From<ArticleError> for ApiError {
    fn from(error: ArticleError) -> Self {
        use ArticleError as E;
        let detail = error.to_string();
        match error {
            E::Invalid(errors) => Self::Validation(errors),
            E::InvalidCursor => {
                Self::Validation(vec![FieldError::new("cursor", "invalid_cursor", detail)])
            }
            E::NotFound(slug) => Self::not_found(format!("article {slug}")),
            E::SlugTaken => Self::taken("slug", detail),
            E::NoFreeSlug => Self::conflict(crate::error::ProblemKind::Taken, detail),
            E::Failure(failure) => failure.into(),
        }
    }
}

// comments

impl From<CommentError> for ApiError {
    fn from(error: CommentError) -> Self {
        use CommentError as E;
        let detail = error.to_string();
        let field = |field: &str, code: &str| Self::invalid(field, code, detail.clone());
        match error {
            E::Invalid(errors) => Self::Validation(errors),
            E::InvalidCursor => field("cursor", "invalid_cursor"),
            E::NothingToChange => field("body", "required"),
            E::ParentNotFound => field("parent_id", "not_found"),
            E::PredictionNotAllowed => field("prediction", "not_allowed"),
            E::VoteOutOfRange => field("value", "out_of_range"),
            E::NotFound(id) => Self::not_found(format!("comment {id}")),
            E::ArticleNotFound(slug) => Self::not_found(format!("article {slug}")),
            E::UserNotFound(username) => Self::not_found(format!("user {username}")),
            E::NotAuthorOfEdit | E::NotAuthorOfDelete | E::HistoryNotAllowed => {
                Self::forbidden(detail)
            }
            E::OwnComment => Self::Forbidden {
                kind: crate::error::ProblemKind::OwnComment,
                detail,
                code: None,
                extra: serde_json::Map::new(),
            },
            E::ThreadLocked { reason } => {
                let mut extra = serde_json::Map::new();
                extra.insert("lock_reason".to_owned(), serde_json::Value::from(reason));
                Self::Forbidden {
                    kind: crate::error::ProblemKind::ThreadLocked,
                    detail,
                    code: None,
                    extra,
                }
            }
            E::Banned(ban) => ban.problem(),
            E::ParentNotLive => Self::conflict(crate::error::ProblemKind::ParentNotLive, detail),
            E::NotLive => Self::conflict(crate::error::ProblemKind::CommentNotLive, detail),
            E::PredictionClosed => {
                Self::conflict(crate::error::ProblemKind::PredictionClosed, detail)
            }
            E::PredictionHasForecasts => {
                Self::conflict(crate::error::ProblemKind::PredictionHasForecasts, detail)
            }
            E::Failure(failure) => failure.into(),
        }
    }
}

// accounts

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        use AccountError as E;
        let detail = error.to_string();
        match error {
            E::Invalid(errors) => Self::Validation(errors),
            E::NulInLogin => Self::invalid("login", "invalid_characters", detail),
            E::NothingToChange => Self::invalid("body", "required", detail),
            E::Taken { username, email } => {
                let mut errors = Vec::new();
                if username {
                    errors.push(FieldError::new(
                        "username",
                        "taken",
                        E::UsernameTaken.to_string(),
                    ));
                }
                if email {
                    errors.push(FieldError::new("email", "taken", E::EmailTaken.to_string()));
                }
                Self::Conflict {
                    kind: crate::error::ProblemKind::Taken,
                    detail,
                    errors,
                }
            }
            E::UsernameTaken => Self::taken("username", detail),
            E::EmailTaken => Self::taken("email", detail),
            E::DisplayNameTaken => Self::taken("display_name", detail),
            E::Banned(ban) => ban.problem(),
            E::InvalidCredentials => Self::InvalidCredentials,
            E::RefreshRefused => {
                Self::Unauthenticated("the refresh token is invalid, expired or already used")
            }
            E::WrongPassword => Self::Forbidden {
                kind: crate::error::ProblemKind::WrongPassword,
                detail,
                code: Some(ProblemCode::WrongPassword.as_str()),
                extra: serde_json::Map::new(),
            },
            E::UserNotFound(username) => Self::not_found(format!("user {username}")),
            E::AdminRoleViaApi => Self::forbidden(detail),
            E::LastAdmin => Self::conflict(crate::error::ProblemKind::LastAdmin, detail),
            E::AccountDeleted => Self::conflict(crate::error::ProblemKind::AccountDeleted, detail),
            E::Component(error) => error,
            E::Failure(failure) => failure.into(),
        }
    }
}

// live events

impl From<crate::events::error::EventError> for ApiError {
    fn from(error: crate::events::error::EventError) -> Self {
        use crate::events::error::EventError as E;
        match error {
            E::ArticleNotFound(slug) => Self::not_found(format!("article {slug}")),
            E::Unauthenticated(detail) => Self::Unauthenticated(detail),
            // The rate-limit problem: clients already back off on it (Retry-After).
            E::TooManyStreams { limit } => Self::RateLimited {
                limit: u32::try_from(limit).unwrap_or(u32::MAX),
                retry_after: 5,
                reset: 5,
            },
            E::ShuttingDown => Self::Unavailable(E::ShuttingDown.to_string()),
            E::Failure(failure) => failure.into(),
        }
    }
}

// search

impl From<crate::search::error::SearchError> for ApiError {
    fn from(error: crate::search::error::SearchError) -> Self {
        use crate::search::error::SearchError as E;
        match error {
            E::Invalid(fields) => Self::Validation(fields),
            E::Failure(failure) => failure.into(),
        }
    }
}
