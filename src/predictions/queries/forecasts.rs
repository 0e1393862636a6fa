//! Writing predictions and forecasts: the insert with the author's first forecast, the row
//! locks every forecast and resolution takes, recording a forecast (current row, history and
//! the stored median), and the terms an edit changes.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::db::schema::{forecast_history, forecasts, predictions};
use crate::ids::{ArticleId, CommentId, PredictionId, UserId};
use crate::predictions::state::Outcome;

/// A prediction to store with its comment.
#[derive(Debug, Clone)]
pub struct NewPrediction {
    /// Claim.
    pub claim: String,
    /// Criteria.
    pub criteria: Option<String>,
    /// Deadline.
    pub resolves_at: DateTime<Utc>,
    /// The author's first forecast, whole percent.
    pub percent: i16,
}

/// Inserts the prediction of a new comment with the author's first forecast.
#[tracing::instrument(skip_all, fields(comment_id, article_id))]
pub async fn insert(
    conn: &mut AsyncPgConnection,
    comment_id: CommentId,
    article_id: ArticleId,
    author_id: UserId,
    prediction: &NewPrediction,
    now: DateTime<Utc>,
) -> QueryResult<PredictionId> {
    let id: PredictionId = diesel::insert_into(predictions::table)
        .values((
            predictions::comment_id.eq(comment_id),
            predictions::article_id.eq(article_id),
            predictions::author_id.eq(author_id),
            predictions::claim.eq(&prediction.claim),
            predictions::criteria.eq(&prediction.criteria),
            predictions::resolves_at.eq(prediction.resolves_at),
            predictions::created_at.eq(now),
        ))
        .returning(predictions::id)
        .get_result(conn)
        .await?;
    record_forecast(conn, id, article_id, author_id, prediction.percent, now).await?;
    Ok(id)
}

/// What a forecast or a resolution needs to know, read under the prediction's row lock.
#[derive(Debug, QueryableByName)]
pub struct LockedPrediction {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: PredictionId,
    /// Article.
    #[diesel(sql_type = BigInt)]
    pub article_id: ArticleId,
    /// Author.
    #[diesel(sql_type = BigInt)]
    pub author_id: UserId,
    /// Comment.
    #[diesel(sql_type = BigInt)]
    pub comment_id: CommentId,
    /// Whether the comment is visible (neither deleted nor removed): forecasts need it.
    #[diesel(sql_type = Bool)]
    pub comment_visible: bool,
    /// Deadline.
    #[diesel(sql_type = Timestamptz)]
    pub resolves_at: DateTime<Utc>,
    /// Outcome.
    #[diesel(sql_type = Nullable<Text>)]
    pub outcome: Option<Outcome>,
    /// When forecasting stopped (set at the first resolution).
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub closed_at: Option<DateTime<Utc>>,
    /// Forecasters other than the author.
    #[diesel(sql_type = BigInt)]
    pub other_forecasters: i64,
}

#[derive(QueryableByName)]
struct LockedId {
    #[diesel(sql_type = BigInt)]
    id: CommentId,
}

/// Locks a prediction of a live article; every forecast and resolution of it is serialised.
///
/// Three statements, in the lock order every writer uses (comments, then predictions): the
/// comment's row is share-locked first, so a removal, deletion or edit of the comment and a
/// forecast commit one after the other, never interleaved; then the prediction's row; then the
/// state is read by a statement that starts only once both locks are held. (A statement that
/// waits for a lock sees every other table, and its subqueries, as they were when it began:
/// reading in the locking statement would miss a removal or a forecast committed while it
/// waited.)
#[tracing::instrument(skip_all, fields(prediction_id = id.get()))]
pub async fn lock(
    conn: &mut AsyncPgConnection,
    id: PredictionId,
) -> QueryResult<Option<LockedPrediction>> {
    let comment = cached(diesel::sql_query(include_str!("lock_comment.sql")).bind::<BigInt, _>(id))
        .get_result::<LockedId>(conn)
        .await
        .optional()?
        .map(|row| row.id);
    if comment.is_none() {
        return Ok(None);
    }
    let prediction: Option<PredictionId> = predictions::table
        .find(id)
        .select(predictions::id)
        .for_no_key_update()
        .get_result(conn)
        .await
        .optional()?;
    if prediction != Some(id) {
        return Ok(None);
    }
    cached(diesel::sql_query(include_str!("locked_state.sql")).bind::<BigInt, _>(id))
        .get_result(conn)
        .await
        .optional()
}

/// The prediction of a comment, locked.
#[tracing::instrument(skip_all, fields(comment_id))]
pub async fn lock_for_comment(
    conn: &mut AsyncPgConnection,
    comment_id: CommentId,
) -> QueryResult<Option<LockedPrediction>> {
    let id: Option<PredictionId> = predictions::table
        .filter(predictions::comment_id.eq(comment_id))
        .select(predictions::id)
        .first(conn)
        .await
        .optional()?;
    match id {
        Some(id) => lock(conn, id).await,
        None => Ok(None),
    }
}

#[derive(QueryableByName)]
struct Community {
    #[diesel(sql_type = Nullable<Double>)]
    median: Option<f64>,
    #[diesel(sql_type = BigInt)]
    forecasters: i64,
}

/// Replaces the user's current forecast, appends it to the history and refreshes the stored
/// median and count (the caller holds the prediction's lock).
#[tracing::instrument(skip_all, fields(prediction_id, user_id))]
pub async fn record_forecast(
    conn: &mut AsyncPgConnection,
    prediction_id: PredictionId,
    article_id: ArticleId,
    user_id: UserId,
    percent: i16,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(forecasts::table)
        .values((
            forecasts::prediction_id.eq(prediction_id),
            forecasts::user_id.eq(user_id),
            forecasts::article_id.eq(article_id),
            forecasts::percent.eq(percent),
            forecasts::created_at.eq(now),
            forecasts::updated_at.eq(now),
        ))
        .on_conflict((forecasts::prediction_id, forecasts::user_id))
        .do_update()
        .set((
            forecasts::percent.eq(percent),
            forecasts::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    let community: Community =
        cached(diesel::sql_query(include_str!("community.sql")).bind::<BigInt, _>(prediction_id))
            .get_result(conn)
            .await?;
    let median = community.median.unwrap_or(f64::from(percent) / 100.0);
    let forecasters = i32::try_from(community.forecasters).unwrap_or(i32::MAX);
    diesel::update(predictions::table.find(prediction_id))
        .set((
            predictions::forecaster_count.eq(forecasters),
            predictions::community_probability.eq(median),
        ))
        .execute(conn)
        .await?;
    diesel::insert_into(forecast_history::table)
        .values((
            forecast_history::prediction_id.eq(prediction_id),
            forecast_history::user_id.eq(user_id),
            forecast_history::article_id.eq(article_id),
            forecast_history::percent.eq(percent),
            forecast_history::community_probability.eq(median),
            forecast_history::forecasters.eq(forecasters),
            forecast_history::made_at.eq(now),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// A prediction's terms as they stand: what an edit may change, and what the comment's edit
/// history keeps of the version it replaces.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = predictions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Terms {
    /// The claim.
    pub claim: String,
    /// How it will be judged, if the author said.
    pub criteria: Option<String>,
    /// The deadline.
    pub resolves_at: DateTime<Utc>,
}

/// The current claim, criteria and deadline (for an edit of the terms and the edit history).
#[tracing::instrument(level = "debug", skip_all, fields(prediction_id = id.get()))]
pub async fn current_terms(conn: &mut AsyncPgConnection, id: PredictionId) -> QueryResult<Terms> {
    predictions::table
        .find(id)
        .select(Terms::as_select())
        .first(conn)
        .await
}

/// Changes the terms of a prediction.
#[tracing::instrument(skip_all, fields(prediction_id = id.get()))]
pub async fn update_terms(
    conn: &mut AsyncPgConnection,
    id: PredictionId,
    claim: &str,
    criteria: Option<&str>,
    resolves_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(predictions::table.find(id))
        .set((
            predictions::claim.eq(claim),
            predictions::criteria.eq(criteria),
            predictions::resolves_at.eq(resolves_at),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// The answer of `r.forecast`: an outcome code, and the comment's id when it is 'ok'.
#[derive(Debug, QueryableByName)]
pub struct ForecastOutcome {
    /// 'ok', 'not_found', 'hidden', 'closed'.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub outcome: String,
    /// The prediction's comment ('ok').
    #[diesel(sql_type = Nullable<BigInt>)]
    pub comment_id: Option<i64>,
}

/// A whole forecast in one statement (`r.forecast`: locks, checks, current row, median,
/// history, event), so that a forecast costs one round trip (issue 19).
#[tracing::instrument(skip_all, fields(prediction_id = prediction_id.get(), user_id = user_id.get()))]
pub async fn forecast_once(
    conn: &mut AsyncPgConnection,
    prediction_id: PredictionId,
    user_id: UserId,
    percent: i16,
    now: DateTime<Utc>,
) -> QueryResult<ForecastOutcome> {
    cached(
        diesel::sql_query("SELECT outcome, comment_id FROM r.forecast($1, $2, $3, $4)")
            .bind::<BigInt, _>(prediction_id)
            .bind::<BigInt, _>(user_id)
            .bind::<diesel::sql_types::SmallInt, _>(percent)
            .bind::<diesel::sql_types::Timestamptz, _>(now),
    )
    .get_result(conn)
    .await
}
