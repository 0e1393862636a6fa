//! The rules of predictions that do not need the database: what a new prediction and an edit
//! of its terms must satisfy (fields named `prediction.…` in a 422), the deadline window, what
//! a resolution must carry, and who may forecast on or resolve a locked prediction.

use chrono::{DateTime, Duration, Utc};

use crate::auth::Role;
use crate::error::{FieldError, FieldErrors};
use crate::ids::UserId;
use crate::predictions::error::PredictionError;
use crate::predictions::model::{NewPredictionRequest, PredictionEditRequest, ResolutionRequest};
use crate::predictions::queries::{LockedPrediction, NewPrediction};
use crate::predictions::scoring::parse_probability;
use crate::predictions::state::Outcome;
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

/// A forecast's probability as whole percent (a 422 on `probability` otherwise).
pub fn parse_forecast(probability: f64) -> Result<i16, PredictionError> {
    parse_probability(probability, "probability").map_err(|e| PredictionError::Invalid(vec![e]))
}

/// Forecasts go only to a prediction whose comment is visible and which is neither resolved
/// nor past its deadline.
pub fn check_forecastable(
    prediction: &LockedPrediction,
    now: DateTime<Utc>,
) -> Result<(), PredictionError> {
    if !prediction.comment_visible {
        return Err(PredictionError::Hidden);
    }
    if prediction.outcome.is_some() || now >= prediction.resolves_at {
        return Err(PredictionError::Closed);
    }
    Ok(())
}

/// A checked resolution request.
#[derive(Debug)]
pub struct ResolutionInput {
    /// yes, no or void.
    pub outcome: Outcome,
    /// Why (at most 1,000 characters).
    pub note: Option<String>,
    /// A link to the evidence (http or https).
    pub evidence_url: Option<String>,
}

/// Checks the note and the evidence link of a resolution (both failures in one 422).
pub fn parse_resolution(request: ResolutionRequest) -> Result<ResolutionInput, PredictionError> {
    let mut errors = FieldErrors::new();
    let note = errors
        .check(optional_text(request.note, "note", 1_000))
        .flatten();
    let evidence_url = errors.check(check_evidence(request.evidence_url)).flatten();
    errors.finish().map_err(PredictionError::from_validation)?;
    Ok(ResolutionInput {
        outcome: request.outcome,
        note,
        evidence_url,
    })
}

/// An http or https URL of at most 2,000 characters without spaces or control characters;
/// blank means none.
pub fn check_evidence(url: Option<String>) -> Result<Option<String>, FieldError> {
    let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
        return Ok(None);
    };
    let url = url.trim().to_owned();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2_000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(Some(url))
    } else {
        Err(FieldError::new(
            "evidence_url",
            "invalid_format",
            "an http or https URL of at most 2,000 characters",
        ))
    }
}

/// Who may resolve: never the author; a resolved prediction only an admin, saying why.
pub fn check_resolver(
    prediction: &LockedPrediction,
    resolver_id: UserId,
    role: Role,
    note: Option<&str>,
) -> Result<(), PredictionError> {
    if prediction.author_id == resolver_id {
        return Err(PredictionError::OwnPrediction);
    }
    let re_resolution = prediction.outcome.is_some();
    if re_resolution && role != Role::Admin {
        return Err(PredictionError::ReResolutionNotAdmin);
    }
    if re_resolution && note.is_none() {
        return Err(PredictionError::ReResolutionWithoutNote);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ArticleId, CommentId, PredictionId};

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

    fn locked(
        outcome: Option<Outcome>,
        visible: bool,
        resolves_at: DateTime<Utc>,
    ) -> LockedPrediction {
        LockedPrediction {
            id: PredictionId(1),
            article_id: ArticleId(2),
            author_id: UserId(3),
            comment_id: CommentId(4),
            comment_visible: visible,
            resolves_at,
            outcome,
            closed_at: None,
            other_forecasters: 0,
        }
    }

    #[test]
    fn forecasts_need_a_visible_open_prediction() {
        let now = Utc::now();
        let later = now + Duration::hours(2);
        assert!(check_forecastable(&locked(None, true, later), now).is_ok());
        assert!(matches!(
            check_forecastable(&locked(None, false, later), now),
            Err(PredictionError::Hidden)
        ));
        assert!(matches!(
            check_forecastable(&locked(None, true, now), now),
            Err(PredictionError::Closed)
        ));
        assert!(matches!(
            check_forecastable(&locked(Some(Outcome::No), true, later), now),
            Err(PredictionError::Closed)
        ));
    }

    #[test]
    fn authors_never_resolve_and_only_admins_re_resolve_with_a_note() {
        let now = Utc::now();
        let open = locked(None, true, now);
        let resolved = locked(Some(Outcome::Yes), true, now);
        assert!(matches!(
            check_resolver(&open, UserId(3), Role::Admin, None),
            Err(PredictionError::OwnPrediction)
        ));
        assert!(check_resolver(&open, UserId(9), Role::Moderator, None).is_ok());
        assert!(matches!(
            check_resolver(&resolved, UserId(9), Role::Moderator, Some("why")),
            Err(PredictionError::ReResolutionNotAdmin)
        ));
        assert!(matches!(
            check_resolver(&resolved, UserId(9), Role::Admin, None),
            Err(PredictionError::ReResolutionWithoutNote)
        ));
        assert!(check_resolver(&resolved, UserId(9), Role::Admin, Some("why")).is_ok());
    }

    #[test]
    fn evidence_is_an_http_url_or_nothing() {
        assert_eq!(check_evidence(Some("  ".into())).expect("blank"), None);
        assert_eq!(
            check_evidence(Some(" https://example.com/a ".into())).expect("trimmed"),
            Some("https://example.com/a".into())
        );
        assert!(check_evidence(Some("ftp://example.com".into())).is_err());
        assert!(check_evidence(Some("https://exa mple.com".into())).is_err());
    }
}
