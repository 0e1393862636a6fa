//! The one place where each feature's error enum becomes a problem type: handlers return
//! their feature's error and `?` converts it here, so the feature code never chooses a status
//! or a `/problems/*` slug itself.

use super::{ApiError, FieldError};
use crate::articles::error::ArticleError;

/// A statement that failed at a named step: what the database error means for the client
/// (503 for a lost connection, 404 for a missing row…) as `From<diesel::result::Error>`
/// decides, with the step added to the cause of a 500 so the log says which step failed.
fn failed_step(step: &'static str, source: diesel::result::Error) -> ApiError {
    match ApiError::from(source) {
        ApiError::Internal(cause) => ApiError::Internal(cause.context(step)),
        other => other,
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
            E::NoFreeSlug => Self::conflict("taken", detail),
            E::Query { step, source } => failed_step(step, source),
            E::Database(source) => source.into(),
            E::Pool(source) => source.into(),
            E::Internal(cause) => Self::Internal(cause),
        }
    }
}
