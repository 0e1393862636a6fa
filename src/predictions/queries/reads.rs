//! Reads of one prediction or one user's totals: the comment a prediction hangs on, the
//! forecast histogram, the chart facts and history, and the stored scores of a track record.
//! Every statement here is Diesel DSL (prepared and cached per connection).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, SmallInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{
    articles, comments, forecast_history, forecasts, predictions, user_calibration, user_scores,
};
use crate::ids::{CommentId, PredictionId, UserId};
use crate::predictions::state::Outcome;
use crate::predictions::views::HistoryPoint;

/// The comment a prediction hangs on (its article may be gone; the comment read checks).
#[tracing::instrument(skip_all, fields(prediction_id = id.get()))]
pub async fn comment_id_of(
    conn: &mut AsyncPgConnection,
    id: PredictionId,
) -> QueryResult<Option<CommentId>> {
    predictions::table
        .find(id)
        .select(predictions::comment_id)
        .first(conn)
        .await
        .optional()
}

/// How many current forecasts sit at one percent.
#[derive(Debug, Queryable)]
struct PercentCount {
    percent: i16,
    count: i64,
}

/// Ten counts of current forecasts by bucket.
#[tracing::instrument(skip_all, fields(prediction_id))]
pub async fn histogram(
    conn: &mut AsyncPgConnection,
    prediction_id: PredictionId,
) -> QueryResult<Vec<i64>> {
    let rows: Vec<PercentCount> = forecasts::table
        .filter(forecasts::prediction_id.eq(prediction_id))
        .group_by(forecasts::percent)
        .select((forecasts::percent, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    let mut buckets = vec![0_i64; 10];
    for row in rows {
        buckets[crate::predictions::scoring::bucket(row.percent)] += row.count;
    }
    Ok(buckets)
}

/// Row of a scored user's totals.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = user_scores)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ScoreTotals {
    /// Scored forecasts.
    pub scored_forecasts: i32,
    /// Sum of Brier scores.
    pub brier_sum: f64,
    /// Sum of relative Brier scores.
    pub relative_brier_sum: f64,
}

/// A user's running totals, if anything was scored.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn totals(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
) -> QueryResult<Option<ScoreTotals>> {
    user_scores::table
        .find(user_id)
        .select(ScoreTotals::as_select())
        .first(conn)
        .await
        .optional()
}

/// The stored totals of one calibration bucket of a user.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_calibration)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct CalibrationTotals {
    /// Bucket i holds [i/10, (i+1)/10).
    pub bucket: i16,
    /// Scored forecasts in it.
    pub forecasts: i32,
    /// Sum of their probabilities (0–1).
    pub probability_sum: f64,
    /// How many came true.
    pub came_true: i32,
}

/// A user's calibration totals, one row per non-empty bucket.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn calibration_totals(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
) -> QueryResult<Vec<CalibrationTotals>> {
    user_calibration::table
        .filter(user_calibration::user_id.eq(user_id))
        .select(CalibrationTotals::as_select())
        .load(conn)
        .await
}

/// How many predictions a user made, and how many of them came true.
#[derive(Debug, Clone, Copy)]
pub struct AuthoredCounts {
    /// Predictions made.
    pub authored: i64,
    /// Of those, resolved yes.
    pub came_true: i64,
}

/// The user's authored and came-true counts.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn authored(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
) -> QueryResult<AuthoredCounts> {
    let authored = predictions::table
        .filter(predictions::author_id.eq(user_id))
        .count()
        .get_result(conn)
        .await?;
    let came_true = predictions::table
        .filter(predictions::author_id.eq(user_id))
        .filter(predictions::outcome.eq(Outcome::Yes))
        .count()
        .get_result(conn)
        .await?;
    Ok(AuthoredCounts {
        authored,
        came_true,
    })
}

/// The facts a chart needs about a prediction of a live article.
#[derive(Debug, Queryable)]
pub struct ChartFacts {
    /// The claim (hidden by the caller while the comment is removed).
    pub claim: Option<String>,
    /// Deadline.
    pub resolves_at: DateTime<Utc>,
    /// Outcome once resolved.
    pub outcome: Option<Outcome>,
    /// Author, whose forecast the chart marks.
    pub author_id: UserId,
    /// Set while the comment is removed.
    pub removal_reason: Option<String>,
}

/// The chart facts; None when the prediction or its article is gone.
#[tracing::instrument(skip_all, fields(prediction_id = id.get()))]
pub async fn chart_facts(
    conn: &mut AsyncPgConnection,
    id: PredictionId,
) -> QueryResult<Option<ChartFacts>> {
    predictions::table
        .inner_join(articles::table)
        .inner_join(comments::table.on(comments::id.eq(predictions::comment_id)))
        .filter(predictions::id.eq(id))
        .filter(articles::deleted_at.is_null())
        .select((
            predictions::claim.nullable(),
            predictions::resolves_at,
            predictions::outcome,
            predictions::author_id,
            comments::removal_reason,
        ))
        .first(conn)
        .await
        .optional()
}

/// Every change of the community median, oldest first.
#[tracing::instrument(skip_all, fields(prediction_id = id.get()))]
pub async fn history_points(
    conn: &mut AsyncPgConnection,
    id: PredictionId,
) -> QueryResult<Vec<HistoryPoint>> {
    forecast_history::table
        .filter(forecast_history::prediction_id.eq(id))
        .order(forecast_history::id.asc())
        .select((
            forecast_history::made_at,
            forecast_history::community_probability,
            forecast_history::forecasters,
        ))
        .load(conn)
        .await
}

/// The author's current forecast (whole percent), if any.
#[tracing::instrument(skip_all, fields(prediction_id = id.get()))]
pub async fn author_percent(
    conn: &mut AsyncPgConnection,
    id: PredictionId,
    author_id: UserId,
) -> QueryResult<Option<i16>> {
    forecasts::table
        .filter(forecasts::prediction_id.eq(id))
        .filter(forecasts::user_id.eq(author_id))
        .select(forecasts::percent)
        .first(conn)
        .await
        .optional()
}

/// A forecaster's stored score, for the per-prediction list.
#[derive(Debug, QueryableByName)]
pub struct ScoreRow {
    /// The forecaster.
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    /// Their username.
    #[diesel(sql_type = Text)]
    pub username: String,
    /// Their display name.
    #[diesel(sql_type = Nullable<Text>)]
    pub display_name: Option<String>,
    /// Their final forecast, in percent.
    #[diesel(sql_type = SmallInt)]
    pub percent: i16,
    /// Brier.
    #[diesel(sql_type = Double)]
    pub brier: f64,
    /// Relative Brier.
    #[diesel(sql_type = Double)]
    pub relative_brier: f64,
}

/// `limit + 1` scores of prediction `id`, best (lowest Brier) first, after the keyset
/// (brier, user id); deleted accounts are left out, as on leaderboards. Empty until resolved
/// (and for a void outcome, which scores nobody).
pub async fn forecaster_scores(
    conn: &mut AsyncPgConnection,
    id: PredictionId,
    limit: i64,
    after: Option<(f64, i64)>,
) -> QueryResult<Vec<ScoreRow>> {
    crate::db::cached(
        diesel::sql_query(
            "SELECT u.id AS user_id, u.username, u.display_name, s.percent, s.brier, \
             s.relative_brier \
             FROM forecast_scores s JOIN users u ON u.id = s.user_id AND u.deleted_at IS NULL \
             WHERE s.prediction_id = $1 \
               AND ($3::float8 IS NULL OR (s.brier, s.user_id) > ($3, $4)) \
             ORDER BY s.brier, s.user_id LIMIT $2",
        )
        .bind::<BigInt, _>(id)
        .bind::<BigInt, _>(limit + 1)
        .bind::<Nullable<Double>, _>(after.map(|(brier, _)| brier))
        .bind::<Nullable<BigInt>, _>(after.map(|(_, user)| user)),
    )
    .load(conn)
    .await
}
