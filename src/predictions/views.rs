//! Prediction views: the history of the community median, the two SVG charts and the
//! leaderboards, all read from stored rows and totals.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::model::PublicUser;
use crate::db::cached;
use crate::db::schema::{forecast_history, predictions};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::ApiQuery;
use crate::http::problems::*;
use crate::pagination::first_field;
use crate::pagination::{self, Page};
use crate::predictions::charts::{calibration_svg, history_svg, ChartPoint, HistoryMarks};
use crate::predictions::queries;
use crate::predictions::scoring::calibration;
use crate::startup::AppState;

/// Registers the view routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(history)
        .service(history_chart)
        .service(calibration_chart)
        .service(leaderboard);
}

/// Above this many changes, the history keeps one point per day.
pub const DAILY_ABOVE: usize = 200;

/// One point of the community median's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryPoint {
    /// When the median changed.
    pub at: DateTime<Utc>,
    /// The median after the change (0–1).
    pub community_probability: f64,
    /// Forecasters at that moment.
    pub forecasters: i32,
}

/// `GET /predictions/{id}/history`.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    /// The prediction.
    pub prediction_id: i64,
    /// One point per change, or one per day (the day's last) past 200 changes.
    pub points: Vec<HistoryPoint>,
}

/// Keeps one point per change, or the last point of each day when there are too many.
pub fn thin(points: Vec<HistoryPoint>) -> Vec<HistoryPoint> {
    if points.len() <= DAILY_ABOVE {
        return points;
    }
    let mut daily: Vec<HistoryPoint> = Vec::new();
    for point in points {
        match daily.last_mut() {
            Some(last) if last.at.date_naive() == point.at.date_naive() => *last = point,
            _ => daily.push(point),
        }
    }
    daily
}

type PredictionFacts = (
    i64,
    Option<String>,
    DateTime<Utc>,
    Option<String>,
    i64,
    i64,
    Option<String>,
);

/// The facts a chart needs; None when the prediction or its article is gone.
async fn facts(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<PredictionFacts>> {
    use crate::db::schema::{articles, comments};
    predictions::table
        .inner_join(articles::table)
        .inner_join(comments::table.on(comments::id.eq(predictions::comment_id)))
        .filter(predictions::id.eq(id))
        .filter(articles::deleted_at.is_null())
        .select((
            predictions::id,
            predictions::claim.nullable(),
            predictions::resolves_at,
            predictions::outcome,
            predictions::author_id,
            predictions::comment_id,
            comments::removal_reason,
        ))
        .first(conn)
        .await
        .optional()
}

async fn points(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Vec<HistoryPoint>> {
    let rows: Vec<(DateTime<Utc>, f64, i32)> = forecast_history::table
        .filter(forecast_history::prediction_id.eq(id))
        .order(forecast_history::id.asc())
        .select((
            forecast_history::made_at,
            forecast_history::community_probability,
            forecast_history::forecasters,
        ))
        .load(conn)
        .await?;
    Ok(thin(
        rows.into_iter()
            .map(|(at, community_probability, forecasters)| HistoryPoint {
                at,
                community_probability,
                forecasters,
            })
            .collect(),
    ))
}

fn not_found(id: i64) -> ApiError {
    ApiError::not_found(format!("prediction {id}"))
}

/// The community median over time: one point per change (one per day past 200 changes).
#[utoipa::path(
    tag = "predictions",
    params(("id" = i64, Path, description = "Prediction id")),
    responses(
        (status = 200, description = "The history", body = History),
        NotFound, Unavailable
    )
)]
#[get("/predictions/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<History>, ApiError> {
    let id = *id;
    let mut conn = state.pool.get().await?;
    facts(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    Ok(web::Json(History {
        prediction_id: id,
        points: points(&mut conn, id).await?,
    }))
}

fn svg(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(body)
}

/// The history drawn: dates, 0–100 %, the author's and the final community probability
/// marked, the outcome once resolved. Cacheable for a minute.
#[utoipa::path(
    tag = "predictions",
    params(("id" = i64, Path, description = "Prediction id")),
    responses(
        (status = 200, description = "An SVG chart", content_type = "image/svg+xml", body = String),
        NotFound, Unavailable
    )
)]
#[get("/predictions/{id}/chart.svg")]
pub async fn history_chart(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let mut conn = state.pool.get().await?;
    let (_, claim, resolves_at, outcome, author_id, _, removal_reason) =
        facts(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    let changes = points(&mut conn, id).await?;
    let author_percent: Option<i16> = {
        use crate::db::schema::forecasts;
        forecasts::table
            .filter(forecasts::prediction_id.eq(id))
            .filter(forecasts::user_id.eq(author_id))
            .select(forecasts::percent)
            .first(&mut conn)
            .await
            .optional()?
    };
    let chart_points: Vec<ChartPoint> = changes
        .iter()
        .map(|p| ChartPoint {
            at: p.at,
            probability: p.community_probability,
        })
        .collect();
    let marks = HistoryMarks {
        // A removal hides the claim, also once its author has deleted the comment.
        claim: claim.filter(|_| removal_reason.is_none()),
        author_probability: author_percent.map(super::scoring::probability),
        outcome,
        until: resolves_at.min(
            state
                .clock
                .now()
                .max(changes.last().map_or(resolves_at, |p| p.at)),
        ),
    };
    Ok(svg(history_svg(&chart_points, &marks)))
}

/// A user's calibration plot. Cacheable for a minute.
#[utoipa::path(
    tag = "predictions",
    params(("username" = String, Path, description = "Username, any case")),
    responses(
        (status = 200, description = "An SVG chart", content_type = "image/svg+xml", body = String),
        NotFound, Unavailable
    )
)]
#[get("/users/{username}/calibration.svg")]
pub async fn calibration_chart(
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let user = crate::accounts::queries::find_by_username(&mut conn, &username)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user {username}")))?;
    let totals = queries::totals(&mut conn, user.id).await?;
    let buckets = calibration(&queries::calibration_totals(&mut conn, user.id).await?);
    let mean = totals
        .filter(|t| t.scored_forecasts > 0)
        .map(|t| t.brier_sum / f64::from(t.scored_forecasts));
    Ok(svg(calibration_svg(&user.username, &buckets, mean)))
}

/// Query of `GET /leaderboard`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardQuery {
    /// Only scores on this article.
    pub article: Option<String>,
    /// Only scores on articles with this tag (the sum of the per-article totals).
    pub tag: Option<String>,
    /// Minimum scored forecasts in scope, 1–1000 (default 5).
    pub min_resolved: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}

/// One row of a leaderboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderboardEntry {
    /// The forecaster.
    pub user: PublicUser,
    /// Scored forecasts in scope.
    pub scored_forecasts: i64,
    /// Mean Brier in scope (lower is better).
    pub mean_brier: f64,
    /// Mean relative Brier in scope (negative beats the crowd).
    pub mean_relative_brier: f64,
}

#[derive(QueryableByName)]
struct BoardRow {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Nullable<Text>)]
    display_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    scored: i64,
    #[diesel(sql_type = Double)]
    mean_brier: f64,
    #[diesel(sql_type = Double)]
    mean_relative: f64,
}

/// Forecasters ranked by mean Brier (ties: more scored forecasts, then username), over
/// everything, one article or one tag, from the stored totals.
#[utoipa::path(
    tag = "predictions",
    params(LeaderboardQuery),
    responses(
        (status = 200, description = "A page of the leaderboard", body = Page<LeaderboardEntry>),
        NotFound, Invalid, Unavailable
    )
)]
#[get("/leaderboard")]
pub async fn leaderboard(
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<LeaderboardQuery>,
) -> Result<web::Json<Page<LeaderboardEntry>>, ApiError> {
    let mut errors = FieldErrors::new();
    let limit = errors.check(pagination::bounded(query.limit, "limit", 20, 1, 100));
    let min = errors.check(pagination::bounded(
        query.min_resolved,
        "min_resolved",
        5,
        1,
        1000,
    ));
    if query.article.is_some() && query.tag.is_some() {
        errors.push(crate::error::FieldError::new(
            "tag",
            "not_allowed",
            "give article or tag, not both",
        ));
    }
    let list = format!(
        "leaderboard:{}:{}:{}",
        query.article.as_deref().unwrap_or(""),
        query.tag.as_deref().unwrap_or(""),
        query.min_resolved.unwrap_or(5)
    );
    let cursor = errors.check(
        pagination::decode_optional(query.cursor.as_deref(), &list, "brier").map_err(first_field),
    );
    errors.finish()?;
    let (Some(limit), Some(min), Some(cursor)) = (limit, min, cursor) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    let mut conn = state.pool.get().await?;
    let mut article_id: Option<i64> = None;
    let scope = if let Some(slug) = &query.article {
        let id = crate::articles::queries::find_live_id(&mut conn, slug)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("article {slug}")))?
            .id;
        article_id = Some(id);
        "SELECT user_id, scored_forecasts::bigint AS scored, brier_sum, relative_brier_sum \
         FROM user_article_scores WHERE article_id = $7"
            .to_owned()
    } else if query.tag.is_some() {
        "SELECT s.user_id, sum(s.scored_forecasts)::bigint AS scored, sum(s.brier_sum) AS brier_sum, \
                sum(s.relative_brier_sum) AS relative_brier_sum \
         FROM user_article_scores s JOIN articles a ON a.id = s.article_id \
         WHERE a.deleted_at IS NULL AND a.tags @> ARRAY[$3::text] GROUP BY s.user_id"
            .to_owned()
    } else {
        "SELECT user_id, scored_forecasts::bigint AS scored, brier_sum, relative_brier_sum FROM user_scores".to_owned()
    };
    let keyset = if cursor.is_some() {
        "WHERE (t.mean_brier, -t.scored, t.username) > ($4::float8, $5::bigint, $6::text)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT * FROM ( \
            SELECT u.id AS user_id, u.username, u.display_name, s.scored, \
                   s.brier_sum / s.scored AS mean_brier, s.relative_brier_sum / s.scored AS mean_relative \
            FROM ({scope}) s JOIN users u ON u.id = s.user_id \
            WHERE s.scored >= $1 AND u.deleted_at IS NULL \
         ) t {keyset} \
         ORDER BY t.mean_brier ASC, t.scored DESC, t.username ASC LIMIT $2"
    );
    let mut q = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Integer, _>(i32::try_from(min).unwrap_or(5))
        .bind::<BigInt, _>(limit + 1)
        .bind::<Nullable<Text>, _>(query.tag.clone());
    if let Some(cursor) = &cursor {
        let parts = cursor.key.as_array().cloned().unwrap_or_default();
        let (Some(mean), Some(neg), Some(name)) = (
            <[serde_json::Value]>::first(&parts)
                .and_then(serde_json::Value::as_str)
                .and_then(|text| text.parse::<f64>().ok())
                .filter(|mean| mean.is_finite()),
            parts.get(1).and_then(serde_json::Value::as_i64),
            parts.get(2).and_then(serde_json::Value::as_str),
        ) else {
            return Err(ApiError::invalid(
                "cursor",
                "invalid_cursor",
                "not a valid cursor",
            ));
        };
        q = q
            .bind::<Double, _>(mean)
            .bind::<BigInt, _>(neg)
            .bind::<Text, _>(name.to_owned());
    }
    if cursor.is_none() {
        q = q
            .bind::<Double, _>(0.0)
            .bind::<BigInt, _>(0)
            .bind::<Text, _>(String::new());
    }
    q = q.bind::<Nullable<BigInt>, _>(article_id);
    let mut rows: Vec<BoardRow> = cached(q).load(&mut conn).await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(0);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => Some(pagination::encode(
            &list,
            "brier",
            // The mean as text: Rust prints the shortest string that parses back to the same
            // f64, while a JSON number may come back one unit lower (serde_json's fast float
            // parser), which would return the same row forever.
            serde_json::json!([last.mean_brier.to_string(), -last.scored, last.username]),
            last.user_id,
        )),
        _ => None,
    };
    let items = rows
        .into_iter()
        .map(|r| LeaderboardEntry {
            user: PublicUser {
                id: r.user_id,
                username: r.username,
                display_name: r.display_name,
            },
            scored_forecasts: r.scored,
            mean_brier: r.mean_brier,
            mean_relative_brier: r.mean_relative,
        })
        .collect();
    Ok(web::Json(Page { items, next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_histories_keep_the_last_point_of_each_day() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let points: Vec<HistoryPoint> = (0..300)
            .map(|i| HistoryPoint {
                at: t0 + chrono::Duration::hours(i),
                community_probability: f64::from(i as i32) / 300.0,
                forecasters: i as i32,
            })
            .collect();
        let daily = thin(points.clone());
        assert_eq!(daily.len(), 13, "300 hours span 13 days");
        assert_eq!(daily[0].forecasters, 23, "the day's last point");
        assert_eq!(thin(points[..150].to_vec()).len(), 150);
    }
}
