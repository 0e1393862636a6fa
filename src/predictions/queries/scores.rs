//! Resolution and scoring: storing the outcome, scoring forecasts set-based in the resolution's
//! transaction, and adding to (or taking back from) the per-user, per-(user, article) and
//! calibration totals in user-id order, so two resolutions sharing forecasters cannot deadlock.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::db::schema::{forecast_scores, predictions};
use crate::ids::{PredictionId, UserId};
use crate::predictions::state::Outcome;

/// A resolution to apply.
#[derive(Debug)]
pub struct Resolution<'a> {
    /// yes, no or void.
    pub outcome: Outcome,
    /// Why.
    pub note: Option<&'a str>,
    /// Evidence link.
    pub evidence_url: Option<&'a str>,
    /// Who resolves.
    pub resolver_id: UserId,
}

/// Adds (`sign` = 1) or takes back (`sign` = -1) the stored scores of a prediction in the
/// running totals, in user-id order.
#[tracing::instrument(skip_all, fields(prediction_id, sign))]
async fn apply_scores(
    conn: &mut AsyncPgConnection,
    prediction_id: PredictionId,
    sign: i32,
) -> QueryResult<()> {
    let statements = [
        include_str!("add_user_scores.sql"),
        include_str!("add_article_scores.sql"),
        include_str!("add_calibration.sql"),
    ];
    for sql in statements {
        cached(
            diesel::sql_query(sql)
                .bind::<BigInt, _>(prediction_id)
                .bind::<Integer, _>(sign),
        )
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Takes back the scores of an earlier resolution.
#[tracing::instrument(skip_all, fields(prediction_id))]
pub async fn unscore(conn: &mut AsyncPgConnection, prediction_id: PredictionId) -> QueryResult<()> {
    apply_scores(conn, prediction_id, -1).await?;
    diesel::delete(forecast_scores::table.filter(forecast_scores::prediction_id.eq(prediction_id)))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Scores every forecaster's last forecast before `closed_at` against the outcome and adds the
/// scores to the totals. The community's Brier uses the median of the scored forecasts.
#[tracing::instrument(skip_all, fields(prediction_id))]
pub async fn score(
    conn: &mut AsyncPgConnection,
    prediction_id: PredictionId,
    came_true: bool,
    closed_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    cached(
        diesel::sql_query(include_str!("score.sql"))
            .bind::<BigInt, _>(prediction_id)
            .bind::<Bool, _>(came_true)
            .bind::<Timestamptz, _>(closed_at)
            .bind::<Timestamptz, _>(now),
    )
    .execute(conn)
    .await?;
    apply_scores(conn, prediction_id, 1).await
}

/// Stores the resolution itself: the outcome, who and when, and the closing time.
#[tracing::instrument(skip_all, fields(prediction_id = id.get()))]
pub async fn set_outcome(
    conn: &mut AsyncPgConnection,
    id: PredictionId,
    resolution: &Resolution<'_>,
    closed_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(predictions::table.find(id))
        .set((
            predictions::outcome.eq(resolution.outcome),
            predictions::closed_at.eq(closed_at),
            predictions::resolved_at.eq(now),
            predictions::resolved_by.eq(resolution.resolver_id),
            predictions::resolution_note.eq(resolution.note),
            predictions::evidence_url.eq(resolution.evidence_url),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Someone a resolution tells, with their Brier score for the prediction (None: unscored).
#[derive(Debug, QueryableByName)]
pub struct ResolutionRecipient {
    /// The predictor or a forecaster.
    #[diesel(sql_type = BigInt)]
    pub user_id: UserId,
    /// Their Brier score, once scored.
    #[diesel(sql_type = Nullable<Double>)]
    pub brier: Option<f64>,
}

/// The predictor and every forecaster of a prediction with their scores (read after `score`).
#[tracing::instrument(skip_all, fields(prediction_id))]
pub async fn resolution_recipients(
    conn: &mut AsyncPgConnection,
    prediction_id: PredictionId,
) -> QueryResult<Vec<ResolutionRecipient>> {
    cached(
        diesel::sql_query(include_str!("resolution_recipients.sql"))
            .bind::<BigInt, _>(prediction_id),
    )
    .load(conn)
    .await
}
