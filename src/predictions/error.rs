//! What can go wrong in the predictions feature, as one enum the domain and service functions
//! return. The feature never picks a status or a `/problems/*` type itself: the mapping to
//! problem types is in `crate::error::features` (section `// predictions`).

use diesel::result::Error as DieselError;

use crate::error::{ApiError, FieldError};
use crate::ids::PredictionId;

/// Every way a prediction request can fail.
#[derive(Debug, thiserror::Error)]
pub enum PredictionError {
    /// 422: fields of the request failed their checks (every failing field at once).
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// 404: no such prediction (or its article is deleted).
    #[error("prediction {0} not found")]
    NotFound(PredictionId),
    /// 404: no such user (track record, calibration chart).
    #[error("user {0} not found")]
    UserNotFound(String),
    /// 404: no such live article (leaderboard scope).
    #[error("article {0} not found")]
    ArticleNotFound(String),
    /// 409: forecasting on a prediction whose comment was deleted or removed.
    #[error("the prediction's comment was deleted or removed")]
    Hidden,
    /// 409: forecasting after the deadline or the resolution.
    #[error("the prediction takes no more forecasts")]
    Closed,
    /// 403: an author resolving their own prediction.
    #[error("nobody resolves their own prediction")]
    OwnPrediction,
    /// 403: a moderator re-resolving (only admins may).
    #[error("only admins re-resolve a resolved prediction")]
    ReResolutionNotAdmin,
    /// 422 on `note`: a re-resolution must say why.
    #[error("say why the prediction is re-resolved")]
    ReResolutionWithoutNote,
    /// A statement, the pool, or a broken invariant (500/503; the cause goes to the log).
    #[error(transparent)]
    Failure(#[from] crate::error::Failure),
}

crate::feature_failure!(PredictionError);

impl PredictionError {
    /// The shared validators (`FieldErrors::finish`, `pagination`) answer with an `ApiError`
    /// that is always a 422; its fields join this feature's `Invalid`. Anything else would be
    /// a bug in them, kept as the cause of a 500.
    pub fn from_validation(error: ApiError) -> Self {
        match error {
            ApiError::Validation(fields) => Self::Invalid(fields),
            other => Self::internal(anyhow::Error::new(other)),
        }
    }

    /// A 422 naming one field.
    pub fn invalid(field: &str, code: &str, message: &str) -> Self {
        Self::Invalid(vec![FieldError::new(field, code, message)])
    }
}

/// Names the step of a fallible query, so a 500's log says which statement failed.
pub trait Step<T> {
    /// Wraps the database error with `step`.
    fn step(self, step: &'static str) -> Result<T, PredictionError>;
}

impl<T> Step<T> for Result<T, DieselError> {
    fn step(self, step: &'static str) -> Result<T, PredictionError> {
        self.map_err(PredictionError::at(step))
    }
}
