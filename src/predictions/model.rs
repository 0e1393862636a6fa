//! Prediction columns as thread reads return them, and the wire types of predictions.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Double, Integer, Nullable, SmallInt, Text, Timestamptz};
use diesel::QueryableByName;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::model::PublicUser;
use crate::comments::model::{ArticleRef, CommentView};
use crate::ids::PredictionId;
use crate::predictions::scoring::{probability, CalibrationBucket};
use crate::predictions::state::{status, Outcome, PredictionSort, Status, StatusFilter};

/// A comment's prediction as read with it.
#[derive(Debug, Clone, QueryableByName)]
pub struct PredictionCols {
    /// Id.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub prediction_id: Option<PredictionId>,
    /// Claim.
    #[diesel(sql_type = Nullable<Text>)]
    pub prediction_claim: Option<String>,
    /// Criteria.
    #[diesel(sql_type = Nullable<Text>)]
    pub prediction_criteria: Option<String>,
    /// Deadline.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub prediction_resolves_at: Option<DateTime<Utc>>,
    /// Outcome.
    #[diesel(sql_type = Nullable<Text>)]
    pub prediction_outcome: Option<Outcome>,
    /// Resolution time.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub prediction_resolved_at: Option<DateTime<Utc>>,
    /// Resolution note.
    #[diesel(sql_type = Nullable<Text>)]
    pub prediction_note: Option<String>,
    /// Evidence.
    #[diesel(sql_type = Nullable<Text>)]
    pub prediction_evidence_url: Option<String>,
    /// Forecasters.
    #[diesel(sql_type = Nullable<Integer>)]
    pub prediction_forecasters: Option<i32>,
    /// Community median.
    #[diesel(sql_type = Nullable<Double>)]
    pub prediction_community: Option<f64>,
    /// Author's current forecast.
    #[diesel(sql_type = Nullable<SmallInt>)]
    pub prediction_author_percent: Option<i16>,
    /// Reader's current forecast.
    #[diesel(sql_type = Nullable<SmallInt>)]
    pub prediction_my_percent: Option<i16>,
}

/// A prediction on the wire.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PredictionView {
    /// Id.
    pub id: i64,
    /// The checkable statement; null while its comment is removed.
    pub claim: Option<String>,
    /// How it will be judged; null when not given or while removed.
    pub criteria: Option<String>,
    /// Deadline.
    pub resolves_at: DateTime<Utc>,
    /// open, closed (past the deadline, awaiting resolution), resolved or void.
    pub status: Status,
    /// yes or no once resolved; null otherwise.
    #[schema(value_type = Option<String>)]
    pub outcome: Option<Outcome>,
    /// Time of the latest resolution.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The resolver's note.
    pub resolution_note: Option<String>,
    /// A link to the evidence.
    pub evidence_url: Option<String>,
    /// The author's current forecast (0–1).
    pub author_probability: Option<f64>,
    /// People with a current forecast.
    pub forecaster_count: i32,
    /// Median of current forecasts (0–1).
    pub community_probability: Option<f64>,
    /// The reader's current forecast (0–1); null when anonymous or none.
    pub my_probability: Option<f64>,
}

impl PredictionView {
    /// The view of the columns, if the comment has a prediction. `hidden` nulls the claim and
    /// criteria (a removed comment's prediction).
    pub fn from_cols(cols: PredictionCols, now: DateTime<Utc>, hidden: bool) -> Option<Self> {
        let id = cols.prediction_id?.get();
        let resolves_at = cols.prediction_resolves_at?;
        let outcome = cols.prediction_outcome;
        Some(Self {
            id,
            claim: cols.prediction_claim.filter(|_| !hidden),
            criteria: cols.prediction_criteria.filter(|_| !hidden),
            resolves_at,
            status: status(resolves_at, outcome, now),
            outcome: outcome.filter(|o| o.is_scored()),
            resolved_at: cols.prediction_resolved_at,
            resolution_note: cols.prediction_note,
            evidence_url: cols.prediction_evidence_url,
            author_probability: cols.prediction_author_percent.map(probability),
            forecaster_count: cols.prediction_forecasters.unwrap_or(0),
            community_probability: cols.prediction_community,
            my_probability: cols.prediction_my_percent.map(probability),
        })
    }
}

/// `prediction` in `POST /articles/{slug}/comments`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"claim": "China and South Korea sign an upgraded FTA before 2028", "probability": 0.35, "resolves_at": "2027-12-31T23:59:59Z", "criteria": "A signed agreement reported by either government."}))]
pub struct NewPredictionRequest {
    /// 10–280 characters: the checkable statement.
    pub claim: String,
    /// 0.01–0.99 in steps of 0.01: the author's first forecast.
    pub probability: f64,
    /// RFC 3339; at least one hour and at most ten years ahead.
    pub resolves_at: DateTime<Utc>,
    /// At most 1,000 characters on how it will be judged.
    pub criteria: Option<String>,
}

fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `prediction` in `PATCH /comments/{id}`: only while nobody else has forecast.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PredictionEditRequest {
    /// New claim.
    pub claim: Option<String>,
    /// New criteria; null clears.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub criteria: Option<Option<String>>,
    /// New deadline.
    pub resolves_at: Option<DateTime<Utc>>,
}

/// `PUT /predictions/{id}/forecast`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"probability": 0.6}))]
pub struct ForecastRequest {
    /// 0.01–0.99 in steps of 0.01.
    pub probability: f64,
}

/// `POST /predictions/{id}/resolution`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"outcome": "no", "note": "No agreement was signed by the deadline.", "evidence_url": "https://example.com/report"}))]
pub struct ResolutionRequest {
    /// yes, no or void.
    pub outcome: Outcome,
    /// Why; required when re-resolving.
    pub note: Option<String>,
    /// A link to the evidence (http or https).
    pub evidence_url: Option<String>,
}

/// `GET /predictions/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PredictionDetail {
    /// The prediction.
    #[serde(flatten)]
    pub prediction: PredictionView,
    /// Its comment, as in threads (without replies).
    pub comment: CommentView,
    /// Its article.
    pub article: ArticleRef,
    /// Ten counts of current forecasts; bucket i holds [i/10, (i+1)/10).
    pub histogram: Vec<i64>,
}

/// A prediction in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PredictionSummary {
    /// The prediction.
    #[serde(flatten)]
    pub prediction: PredictionView,
    /// Its comment's id.
    pub comment_id: i64,
    /// Its article.
    pub article: ArticleRef,
    /// Its author; null while the comment is deleted or removed (as on the comment itself).
    pub author: Option<PublicUser>,
}

/// `GET /users/{username}/track-record`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackRecord {
    /// Scored forecasts (resolved yes or no).
    pub scored_forecasts: i64,
    /// Predictions the user made.
    pub predictions_authored: i64,
    /// Of those, resolved yes.
    pub predictions_came_true: i64,
    /// Mean Brier score (lower is better); null while nothing is scored.
    pub mean_brier: Option<f64>,
    /// Mean of (own Brier − community Brier); negative beats the crowd.
    pub mean_relative_brier: Option<f64>,
    /// Ten buckets on [i/10, (i+1)/10).
    pub calibration: Vec<CalibrationBucket>,
}

/// The track record shown beside an author in threads (null below 5 scored forecasts).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthorTrackRecord {
    /// Scored forecasts.
    pub scored_forecasts: i64,
    /// Mean Brier score.
    pub mean_brier: f64,
}

/// Query of `GET /predictions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PredictionListQuery {
    /// Only predictions with this status.
    pub status: Option<StatusFilter>,
    /// Only predictions under this article.
    pub article: Option<String>,
    /// Only predictions by this user, on comments anyone can see as theirs (never on a deleted
    /// or removed comment, whose author is hidden).
    pub author: Option<String>,
    /// Order (default `newest`).
    pub sort: Option<PredictionSort>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}
