//! The rules of predictions that do not need the database: what a new prediction and an edit
//! of its terms must satisfy (fields named `prediction.…` in a 422), and the deadline window.

use chrono::{DateTime, Duration, Utc};

use crate::error::{FieldError, FieldErrors};
use crate::predictions::model::{NewPredictionRequest, PredictionEditRequest};
use crate::predictions::queries::NewPrediction;
use crate::predictions::scoring::parse_probability;
use crate::text::{optional_text, required_text};

/// Checks a new prediction (fields named `prediction.…`).
pub fn parse_new(
    request: &NewPredictionRequest,
    now: DateTime<Utc>,
    errors: &mut FieldErrors,
) -> Option<NewPrediction> {
    let claim = errors.check(required_text(
        &request.claim,
        "prediction.claim",
        10,
        280,
        true,
    ));
    let percent = errors.check(parse_probability(
        request.probability,
        "prediction.probability",
    ));
    let resolves_at = errors.check(check_deadline(
        request.resolves_at,
        now,
        "prediction.resolves_at",
    ));
    let criteria = errors
        .check(optional_text(
            request.criteria.clone(),
            "prediction.criteria",
            1_000,
        ))
        .flatten();
    Some(NewPrediction {
        claim: claim?,
        criteria,
        resolves_at: resolves_at?,
        percent: percent?,
    })
}

/// A deadline at least an hour and at most ten years ahead of `now`.
pub fn check_deadline(
    resolves_at: DateTime<Utc>,
    now: DateTime<Utc>,
    field: &str,
) -> Result<DateTime<Utc>, FieldError> {
    if resolves_at < now + Duration::hours(1) {
        return Err(FieldError::new(
            field,
            "too_soon",
            "at least one hour ahead",
        ));
    }
    if resolves_at > now + Duration::days(3_653) {
        return Err(FieldError::new(
            field,
            "too_late",
            "at most ten years ahead",
        ));
    }
    Ok(resolves_at)
}

/// Validated changes to a prediction's terms.
pub struct PredictionEdit {
    /// New claim.
    pub claim: Option<String>,
    /// New criteria (`Some(None)` clears them).
    pub criteria: Option<Option<String>>,
    /// New deadline.
    pub resolves_at: Option<DateTime<Utc>>,
}

/// Checks the changes to a prediction's terms (fields named `prediction.…`).
pub fn parse_edit(
    request: &PredictionEditRequest,
    now: DateTime<Utc>,
    errors: &mut FieldErrors,
) -> PredictionEdit {
    PredictionEdit {
        claim: request
            .claim
            .as_deref()
            .and_then(|c| errors.check(required_text(c, "prediction.claim", 10, 280, true))),
        criteria: request
            .criteria
            .clone()
            .and_then(|c| errors.check(optional_text(c, "prediction.criteria", 1_000))),
        resolves_at: request
            .resolves_at
            .and_then(|t| errors.check(check_deadline(t, now, "prediction.resolves_at"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_are_an_hour_to_ten_years_ahead() {
        let now = Utc::now();
        let check = |offset: Duration| check_deadline(now + offset, now, "resolves_at");
        assert_eq!(
            check(Duration::minutes(59)).expect_err("soon").code,
            "too_soon"
        );
        assert!(check(Duration::hours(1)).is_ok());
        assert!(check(Duration::days(3_653)).is_ok());
        assert_eq!(
            check(Duration::days(3_654)).expect_err("late").code,
            "too_late"
        );
    }

    #[test]
    fn a_new_prediction_names_every_failing_field() {
        let now = Utc::now();
        let request = NewPredictionRequest {
            claim: "short".into(),
            probability: 1.5,
            resolves_at: now,
            criteria: None,
        };
        let mut errors = FieldErrors::new();
        assert!(parse_new(&request, now, &mut errors).is_none());
        let fields: Vec<String> = match errors.finish() {
            Err(crate::error::ApiError::Validation(errors)) => {
                errors.into_iter().map(|e| e.field).collect()
            }
            other => panic!("expected a 422, got {other:?}"),
        };
        assert_eq!(
            fields,
            vec![
                "prediction.claim",
                "prediction.probability",
                "prediction.resolves_at"
            ]
        );
    }
}
