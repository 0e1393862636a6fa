//! The prediction views: the history of the community median, the two SVG charts and the
//! leaderboard.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

use crate::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::problems::*;
use crate::ids::PredictionId;
use crate::pagination::Page;
use crate::predictions::service::views;
use crate::predictions::views::{
    ForecasterScore, History, LeaderboardEntry, LeaderboardQuery, ScoresQuery,
};
use crate::startup::AppState;

/// An SVG answer, cacheable for a minute.
fn svg(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(body)
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
#[tracing::instrument(skip_all, fields(prediction_id = *id))]
pub async fn history(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<History>, ApiError> {
    Ok(web::Json(views::history(&state, PredictionId(*id)).await?))
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
#[tracing::instrument(skip_all, fields(prediction_id = *id))]
pub async fn history_chart(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(svg(views::history_chart(&state, PredictionId(*id)).await?))
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
#[tracing::instrument(skip_all, fields(username = %username))]
pub async fn calibration_chart(
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(svg(views::calibration_chart(&state, &username).await?))
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
#[tracing::instrument(skip_all)]
pub async fn leaderboard(
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<LeaderboardQuery>,
) -> Result<web::Json<Page<LeaderboardEntry>>, ApiError> {
    Ok(web::Json(views::leaderboard(&state, query).await?))
}

/// Each forecaster's score on this prediction once it is resolved: their final forecast, Brier
/// and relative Brier, best first (empty while it is open, and for a void outcome, which scores
/// nobody; accounts deleted since are left out).
#[utoipa::path(
    tag = "predictions",
    params(("id" = i64, Path, description = "Prediction id"), ScoresQuery),
    responses(
        (status = 200, description = "A page of scores", body = Page<ForecasterScore>),
        NotFound, Invalid, Unavailable
    )
)]
#[get("/predictions/{id}/scores")]
#[tracing::instrument(skip_all, fields(prediction_id = *id))]
pub async fn forecaster_scores(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    ApiQuery(query): ApiQuery<ScoresQuery>,
) -> Result<web::Json<Page<ForecasterScore>>, ApiError> {
    Ok(web::Json(
        views::forecaster_scores(&state, PredictionId(*id), query).await?,
    ))
}
