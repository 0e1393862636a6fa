//! Prediction writes (create, forecast, edit, resolve and score) and reads (lists, track
//! records). Scoring is set-based SQL in the resolution's transaction, summing into the
//! per-user, per-(user, article) and calibration totals in user-id order (so two resolutions
//! sharing forecasters cannot deadlock); re-resolution first subtracts what was added.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::db::schema::{forecasts, predictions};
use crate::predictions::model::ScoreTotals;

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
pub async fn insert(
    conn: &mut AsyncPgConnection,
    comment_id: i64,
    article_id: i64,
    author_id: i64,
    prediction: &NewPrediction,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(predictions::table)
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
    pub id: i64,
    /// Article.
    #[diesel(sql_type = BigInt)]
    pub article_id: i64,
    /// Author.
    #[diesel(sql_type = BigInt)]
    pub author_id: i64,
    /// Comment.
    #[diesel(sql_type = BigInt)]
    pub comment_id: i64,
    /// The comment's state.
    #[diesel(sql_type = Text)]
    pub comment_state: String,
    /// Deadline.
    #[diesel(sql_type = Timestamptz)]
    pub resolves_at: DateTime<Utc>,
    /// Outcome.
    #[diesel(sql_type = Nullable<Text>)]
    pub outcome: Option<String>,
    /// When forecasting stopped (set at the first resolution).
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub closed_at: Option<DateTime<Utc>>,
    /// Forecasters other than the author.
    #[diesel(sql_type = BigInt)]
    pub other_forecasters: i64,
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
pub async fn lock(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<LockedPrediction>> {
    let locked = |sql: &'static str| cached(diesel::sql_query(sql).bind::<BigInt, _>(id));
    let comment = locked(
        "SELECT c.id FROM comments c \
         WHERE c.id = (SELECT comment_id FROM predictions WHERE id = $1) FOR SHARE",
    )
    .get_result::<LockedId>(conn)
    .await
    .optional()?
    .map(|row| row.id);
    if comment.is_none() {
        return Ok(None);
    }
    let prediction = locked("SELECT id FROM predictions WHERE id = $1 FOR NO KEY UPDATE")
        .get_result::<LockedId>(conn)
        .await
        .optional()?
        .map(|row| row.id);
    if prediction != Some(id) {
        return Ok(None);
    }
    locked(
        "SELECT p.id, p.article_id, p.author_id, p.comment_id, c.state AS comment_state, \
                p.resolves_at, p.outcome, p.closed_at, \
                (SELECT count(*) FROM forecasts f \
                  WHERE f.prediction_id = p.id AND f.user_id <> p.author_id) AS other_forecasters \
         FROM predictions p JOIN comments c ON c.id = p.comment_id \
         JOIN articles a ON a.id = p.article_id \
         WHERE p.id = $1 AND a.deleted_at IS NULL",
    )
    .get_result(conn)
    .await
    .optional()
}

#[derive(QueryableByName)]
struct LockedId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The prediction of a comment, locked.
pub async fn lock_for_comment(
    conn: &mut AsyncPgConnection,
    comment_id: i64,
) -> QueryResult<Option<LockedPrediction>> {
    let id: Option<i64> = predictions::table
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
pub async fn record_forecast(
    conn: &mut AsyncPgConnection,
    prediction_id: i64,
    article_id: i64,
    user_id: i64,
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
    let community: Community = cached(
        diesel::sql_query(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY percent / 100.0) AS median, \
                    count(*) AS forecasters \
             FROM forecasts WHERE prediction_id = $1",
        )
        .bind::<BigInt, _>(prediction_id),
    )
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
    cached(
        diesel::sql_query(
            "INSERT INTO forecast_history (prediction_id, user_id, article_id, percent, \
                                           community_probability, forecasters, made_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind::<BigInt, _>(prediction_id)
        .bind::<BigInt, _>(user_id)
        .bind::<BigInt, _>(article_id)
        .bind::<SmallInt, _>(percent)
        .bind::<Double, _>(median)
        .bind::<Integer, _>(forecasters)
        .bind::<Timestamptz, _>(now),
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// The current claim, criteria and deadline (for the edit history).
pub async fn current_terms(
    conn: &mut AsyncPgConnection,
    id: i64,
) -> QueryResult<(String, Option<String>, DateTime<Utc>)> {
    predictions::table
        .find(id)
        .select((
            predictions::claim,
            predictions::criteria,
            predictions::resolves_at,
        ))
        .first(conn)
        .await
}

/// Changes the terms of a prediction.
pub async fn update_terms(
    conn: &mut AsyncPgConnection,
    id: i64,
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

/// Applies (`sign` = 1) or takes back (`sign` = -1) the stored scores of a prediction in the
/// running totals, in user-id order.
async fn apply_scores(
    conn: &mut AsyncPgConnection,
    prediction_id: i64,
    sign: i32,
) -> QueryResult<()> {
    let statements = [
        "INSERT INTO user_scores (user_id, scored_forecasts, brier_sum, relative_brier_sum) \
         SELECT user_id, $2, $2 * brier, $2 * relative_brier FROM forecast_scores \
         WHERE prediction_id = $1 ORDER BY user_id \
         ON CONFLICT (user_id) DO UPDATE SET \
           scored_forecasts = user_scores.scored_forecasts + EXCLUDED.scored_forecasts, \
           brier_sum = user_scores.brier_sum + EXCLUDED.brier_sum, \
           relative_brier_sum = user_scores.relative_brier_sum + EXCLUDED.relative_brier_sum",
        "INSERT INTO user_article_scores (user_id, article_id, scored_forecasts, brier_sum, relative_brier_sum) \
         SELECT user_id, article_id, $2, $2 * brier, $2 * relative_brier FROM forecast_scores \
         WHERE prediction_id = $1 ORDER BY user_id \
         ON CONFLICT (user_id, article_id) DO UPDATE SET \
           scored_forecasts = user_article_scores.scored_forecasts + EXCLUDED.scored_forecasts, \
           brier_sum = user_article_scores.brier_sum + EXCLUDED.brier_sum, \
           relative_brier_sum = user_article_scores.relative_brier_sum + EXCLUDED.relative_brier_sum",
        "INSERT INTO user_calibration (user_id, bucket, forecasts, probability_sum, came_true) \
         SELECT user_id, least(percent / 10, 9), $2, $2 * percent / 100.0, $2 * outcome_yes::int \
         FROM forecast_scores WHERE prediction_id = $1 ORDER BY user_id \
         ON CONFLICT (user_id, bucket) DO UPDATE SET \
           forecasts = user_calibration.forecasts + EXCLUDED.forecasts, \
           probability_sum = user_calibration.probability_sum + EXCLUDED.probability_sum, \
           came_true = user_calibration.came_true + EXCLUDED.came_true",
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
pub async fn unscore(conn: &mut AsyncPgConnection, prediction_id: i64) -> QueryResult<()> {
    apply_scores(conn, prediction_id, -1).await?;
    diesel::sql_query("DELETE FROM forecast_scores WHERE prediction_id = $1")
        .bind::<BigInt, _>(prediction_id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Scores every forecaster's last forecast before `closed_at` against the outcome and adds the
/// scores to the totals. The community's Brier uses the median of the scored forecasts.
pub async fn score(
    conn: &mut AsyncPgConnection,
    prediction_id: i64,
    came_true: bool,
    closed_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    cached(
        diesel::sql_query(
            "WITH scored AS ( \
                SELECT f.user_id, f.article_id, f.percent FROM forecasts f \
                WHERE f.prediction_id = $1 AND f.updated_at <= $3 \
             ), outcome AS (SELECT CASE WHEN $2 THEN 1.0 ELSE 0.0 END AS o), \
             crowd AS ( \
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY percent / 100.0) AS median FROM scored \
             ) \
             INSERT INTO forecast_scores (prediction_id, user_id, article_id, percent, outcome_yes, \
                                          brier, community_brier, relative_brier, scored_at) \
             SELECT $1, s.user_id, s.article_id, s.percent, $2, \
                    (s.percent / 100.0 - outcome.o) ^ 2, (crowd.median - outcome.o) ^ 2, \
                    (s.percent / 100.0 - outcome.o) ^ 2 - (crowd.median - outcome.o) ^ 2, $4 \
             FROM scored s, outcome, crowd",
        )
        .bind::<BigInt, _>(prediction_id)
        .bind::<diesel::sql_types::Bool, _>(came_true)
        .bind::<Timestamptz, _>(closed_at)
        .bind::<Timestamptz, _>(now),
    )
    .execute(conn)
    .await?;
    apply_scores(conn, prediction_id, 1).await
}

/// A resolution to apply.
#[derive(Debug)]
pub struct Resolution<'a> {
    /// yes, no or void.
    pub outcome: crate::predictions::model::Outcome,
    /// Why.
    pub note: Option<&'a str>,
    /// Evidence link.
    pub evidence_url: Option<&'a str>,
    /// Who resolves.
    pub resolver_id: i64,
}

/// Resolves (or re-resolves) a locked prediction: closes it at the earlier of the deadline and
/// the first resolution, takes back earlier scores, scores yes/no outcomes and writes the log
/// row, all in the caller's transaction. Permission checks are the caller's.
pub async fn apply_resolution(
    conn: &mut AsyncPgConnection,
    prediction: &LockedPrediction,
    resolution: &Resolution<'_>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    use crate::predictions::model::Outcome;
    let closed_at = prediction
        .closed_at
        .unwrap_or(prediction.resolves_at.min(now));
    if prediction.outcome.is_some() {
        unscore(conn, prediction.id).await?;
    }
    let outcome = resolution.outcome.as_str();
    set_outcome(
        conn,
        prediction.id,
        outcome,
        closed_at,
        resolution.note,
        resolution.evidence_url,
        resolution.resolver_id,
        now,
    )
    .await?;
    if resolution.outcome != Outcome::Void {
        score(
            conn,
            prediction.id,
            resolution.outcome == Outcome::Yes,
            closed_at,
            now,
        )
        .await?;
    }
    let reason = resolution
        .note
        .map_or_else(|| format!("resolved {outcome}"), str::to_owned);
    use crate::moderation::log::{self, Action, Entry};
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

/// Stores the resolution itself.
#[allow(clippy::too_many_arguments, reason = "the resolution's fields")]
pub async fn set_outcome(
    conn: &mut AsyncPgConnection,
    id: i64,
    outcome: &str,
    closed_at: DateTime<Utc>,
    note: Option<&str>,
    evidence_url: Option<&str>,
    resolved_by: i64,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(predictions::table.find(id))
        .set((
            predictions::outcome.eq(outcome),
            predictions::closed_at.eq(closed_at),
            predictions::resolved_at.eq(now),
            predictions::resolved_by.eq(resolved_by),
            predictions::resolution_note.eq(note),
            predictions::evidence_url.eq(evidence_url),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Ten counts of current forecasts by bucket.
pub async fn histogram(conn: &mut AsyncPgConnection, prediction_id: i64) -> QueryResult<Vec<i64>> {
    let rows: Vec<(i16, i64)> = forecasts::table
        .filter(forecasts::prediction_id.eq(prediction_id))
        .group_by(forecasts::percent)
        .select((forecasts::percent, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    let mut buckets = vec![0_i64; 10];
    for (percent, count) in rows {
        buckets[super::scoring::bucket(percent)] += count;
    }
    Ok(buckets)
}

/// A user's running totals, if anything was scored.
pub async fn totals(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<Option<ScoreTotals>> {
    cached(
        diesel::sql_query(
            "SELECT scored_forecasts, brier_sum, relative_brier_sum FROM user_scores WHERE user_id = $1",
        )
        .bind::<BigInt, _>(user_id),
    )
    .get_result(conn)
    .await
    .optional()
}

/// A user's calibration totals: (bucket, forecasts, probability sum, came true).
pub async fn calibration_totals(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<Vec<(i16, i32, f64, i32)>> {
    use crate::db::schema::user_calibration as uc;
    uc::table
        .filter(uc::user_id.eq(user_id))
        .select((
            uc::bucket,
            uc::forecasts,
            uc::probability_sum,
            uc::came_true,
        ))
        .load(conn)
        .await
}

/// (authored, came true) counts of a user's predictions.
pub async fn authored(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<(i64, i64)> {
    let authored = predictions::table
        .filter(predictions::author_id.eq(user_id))
        .count()
        .get_result(conn)
        .await?;
    let came_true = predictions::table
        .filter(predictions::author_id.eq(user_id))
        .filter(predictions::outcome.eq("yes"))
        .count()
        .get_result(conn)
        .await?;
    Ok((authored, came_true))
}
