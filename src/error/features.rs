//! The one place where each feature's error enum becomes a problem type: handlers return
//! their feature's error and `?` converts it here, so the feature code never chooses a status
//! or a `/problems/*` slug itself.

use super::ApiError;

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
            E::Hidden => Self::conflict("prediction-hidden", detail),
            E::Closed => Self::conflict("prediction-closed", detail),
            E::OwnPrediction | E::ReResolutionNotAdmin => Self::forbidden(detail),
            E::ReResolutionWithoutNote => Self::invalid("note", "required", detail),
            // Through the shared mapping (404 for a missing row, 503 for a lost connection or
            // a timeout); a 500 keeps the step in its logged cause.
            E::Database { step, source } => match Self::from(source) {
                Self::Internal(cause) => Self::Internal(cause.context(step)),
                other => other,
            },
            E::Pool(error) => Self::from(error),
            E::Internal(cause) => Self::Internal(cause),
        }
    }
}
