//! Resolving: one transaction that locks the prediction, checks who may resolve it, and applies
//! the resolution (close, take back earlier scores, score, log).

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::auth::AuthUser;
use crate::events::{Event, EventKind};
use crate::ids::PredictionId;
use crate::moderation::log::{self, Action, Entry};
use crate::notifications::{NewNotification, NotificationKind};
use crate::predictions::domain;
use crate::predictions::error::{PredictionError, Step};
use crate::predictions::model::{PredictionView, ResolutionRequest};
use crate::predictions::queries::{self, LockedPrediction, Resolution};
use crate::startup::AppState;

/// Resolves (or re-resolves) prediction `id` as `user` (a moderator or admin; the extractor
/// checked the role) and answers with the prediction as they now see it.
#[tracing::instrument(skip_all, fields(prediction_id = id.get(), user_id = user.id.get()))]
pub async fn resolve(
    state: &AppState,
    user: &AuthUser,
    id: PredictionId,
    request: ResolutionRequest,
) -> Result<PredictionView, PredictionError> {
    let input = domain::parse_resolution(request)?;
    let mut conn = state.pool.get().await?;
    let comment_id = conn
        .transaction(async |conn| {
            let prediction = queries::lock(conn, id)
                .await
                .step("locking the prediction")?
                .ok_or(PredictionError::NotFound(id))?;
            // The clock is read under the lock: every forecast committed before it is older.
            let now = state.clock.now();
            let resolver_id = user.id;
            domain::check_resolver(&prediction, resolver_id, user.role, input.note.as_deref())?;
            let resolution = Resolution {
                outcome: input.outcome,
                note: input.note.as_deref(),
                evidence_url: input.evidence_url.as_deref(),
                resolver_id,
            };
            apply_resolution(conn, &prediction, &resolution, now).await?;
            Ok::<_, PredictionError>(prediction.comment_id)
        })
        .await?;
    super::written_view(&mut conn, id, comment_id, user, state.clock.now()).await
}

/// Resolves (or re-resolves) a locked prediction: closes it at the earlier of the deadline and
/// the first resolution, takes back earlier scores, scores yes/no outcomes and writes the log
/// row, all in the caller's transaction. Permission checks are the caller's (the API's
/// `resolve`, or the demo seeder).
#[tracing::instrument(skip_all, fields(prediction_id = prediction.id.get(), outcome = %resolution.outcome))]
pub async fn apply_resolution(
    conn: &mut AsyncPgConnection,
    prediction: &LockedPrediction,
    resolution: &Resolution<'_>,
    now: DateTime<Utc>,
) -> Result<(), PredictionError> {
    let closed_at = prediction
        .closed_at
        .unwrap_or(prediction.resolves_at.min(now));
    if prediction.outcome.is_some() {
        queries::unscore(conn, prediction.id)
            .await
            .step("taking back the earlier scores")?;
    }
    queries::set_outcome(conn, prediction.id, resolution, closed_at, now)
        .await
        .step("storing the outcome")?;
    if resolution.outcome.is_scored() {
        let came_true = resolution.outcome == crate::predictions::state::Outcome::Yes;
        queries::score(conn, prediction.id, came_true, closed_at, now)
            .await
            .step("scoring the forecasts")?;
    }
    log_resolution(conn, prediction, resolution, now)
        .await
        .step("writing the moderation log")?;
    let mut events = vec![Event::prediction(
        EventKind::PredictionResolved,
        prediction.article_id,
        prediction.id,
    )];
    let told = resolution_notices(conn, prediction, resolution).await?;
    events.extend(
        crate::notifications::record(conn, &told, now)
            .await
            .step("recording the notifications")?,
    );
    crate::events::queries::append(conn, &events)
        .await
        .step("appending the live events")
}

/// The `prediction_resolved` notices: to the predictor and every forecaster (the resolver
/// excepted, by `record`), each with the outcome and their own Brier score (null when not
/// scored). A re-resolution notifies everyone again with the new outcome and scores, marked
/// `re_resolved`, since the scores they were told of changed.
async fn resolution_notices(
    conn: &mut AsyncPgConnection,
    prediction: &LockedPrediction,
    resolution: &Resolution<'_>,
) -> Result<Vec<NewNotification>, PredictionError> {
    let recipients = queries::resolution_recipients(conn, prediction.id)
        .await
        .step("reading whom the resolution tells")?;
    let re_resolved = prediction.outcome.is_some();
    Ok(recipients
        .into_iter()
        .map(|r| {
            let data = serde_json::json!({
                "outcome": resolution.outcome.as_str(),
                "brier": r.brier,
                "re_resolved": re_resolved,
            });
            NewNotification::new(
                NotificationKind::PredictionResolved,
                r.user_id,
                Some(resolution.resolver_id),
            )
            .on_comment(prediction.article_id, prediction.comment_id)
            .on_prediction(prediction.id)
            .with_data(data)
        })
        .collect())
}

/// The moderation log row of a resolution; its reason is the note, or "resolved <outcome>".
async fn log_resolution(
    conn: &mut AsyncPgConnection,
    prediction: &LockedPrediction,
    resolution: &Resolution<'_>,
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    let reason = resolution
        .note
        .map_or_else(|| format!("resolved {}", resolution.outcome), str::to_owned);
    log::record(
        conn,
        Entry {
            article_id: Some(prediction.article_id),
            comment_id: Some(prediction.comment_id),
            target_user_id: Some(prediction.author_id),
            prediction_id: Some(prediction.id),
            reason: Some(&reason),
            ..Entry::new(Action::ResolvePrediction, Some(resolution.resolver_id))
        },
        now,
    )
    .await
}
