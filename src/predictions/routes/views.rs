//! The prediction views: the history of the community median, the two SVG charts and the
//! leaderboard.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::error::ApiError;
use crate::http::caching::{self, Rendered, Resource};
use crate::http::extract::ApiQuery;
use crate::http::problems::*;
use crate::ids::PredictionId;
use crate::pagination::Page;
use crate::predictions::service::views;
use crate::predictions::views::{
    ForecasterScore, History, LeaderboardEntry, LeaderboardQuery, ScoresQuery,
};
use crate::startup::AppState;

/// An SVG answer (cached and revalidated like every read, `http/caching`).
fn svg(body: String) -> Rendered {
    Rendered {
        body: body.into(),
        content_type: "image/svg+xml",
    }
}

/// The community median over time: one point per change (one per day past 200 changes).
#[utoipa::path(
    tag = "predictions",
    params(("id" = i64, Path, description = "Prediction id")),
    responses(
        (status = 200, description = "The history", body = History, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, NotFound, Unavailable
    )
)]
#[get("/predictions/{id}/history")]
#[tracing::instrument(skip_all, fields(prediction_id = *id))]
pub async fn history(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caching::respond(&state, &req, None, Resource::Prediction(*id), || async {
        Rendered::json(&views::history(&state, PredictionId(*id)).await?)
    })
    .await
}

/// The history drawn: dates, 0–100 %, the author's and the final community probability
/// marked, the outcome once resolved.
#[utoipa::path(
    tag = "predictions",
    params(("id" = i64, Path, description = "Prediction id")),
    responses(
        (status = 200, description = "An SVG chart", content_type = "image/svg+xml", body = String, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, NotFound, Unavailable
    )
)]
#[get("/predictions/{id}/chart.svg")]
#[tracing::instrument(skip_all, fields(prediction_id = *id))]
pub async fn history_chart(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caching::respond(&state, &req, None, Resource::Prediction(*id), || async {
        Ok(svg(views::history_chart(&state, PredictionId(*id)).await?))
    })
    .await
}

/// A user's calibration plot.
#[utoipa::path(
    tag = "predictions",
    params(("username" = String, Path, description = "Username, any case")),
    responses(
        (status = 200, description = "An SVG chart", content_type = "image/svg+xml", body = String, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, NotFound, Unavailable
    )
)]
#[get("/users/{username}/calibration.svg")]
#[tracing::instrument(skip_all, fields(username = %username))]
pub async fn calibration_chart(
    state: web::Data<AppState>,
    req: HttpRequest,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caching::respond(&state, &req, None, Resource::User(&username), || async {
        Ok(svg(views::calibration_chart(&state, &username).await?))
    })
    .await
}

/// Forecasters ranked by mean Brier (ties: more scored forecasts, then username), over
/// everything, one article or one tag, from the stored totals.
#[utoipa::path(
    tag = "predictions",
    params(LeaderboardQuery),
    responses(
        (status = 200, description = "A page of the leaderboard", body = Page<LeaderboardEntry>, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, NotFound, Invalid, Unavailable
    )
)]
#[get("/leaderboard")]
#[tracing::instrument(skip_all)]
pub async fn leaderboard(
    state: web::Data<AppState>,
    req: HttpRequest,
    ApiQuery(query): ApiQuery<LeaderboardQuery>,
) -> Result<HttpResponse, ApiError> {
    caching::respond(&state, &req, None, Resource::People, || async {
        Rendered::json(&views::leaderboard(&state, query).await?)
    })
    .await
}

/// Each forecaster's score on this prediction once it is resolved: their final forecast, Brier
/// and relative Brier, best first (empty while it is open, and for a void outcome, which scores
/// nobody; accounts deleted since are left out).
#[utoipa::path(
    tag = "predictions",
    params(("id" = i64, Path, description = "Prediction id"), ScoresQuery),
    responses(
        (status = 200, description = "A page of scores", body = Page<ForecasterScore>, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, NotFound, Invalid, Unavailable
    )
)]
#[get("/predictions/{id}/scores")]
#[tracing::instrument(skip_all, fields(prediction_id = *id))]
pub async fn forecaster_scores(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
    ApiQuery(query): ApiQuery<ScoresQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = PredictionId(*id);
    caching::respond(
        &state,
        &req,
        None,
        Resource::Prediction(id.get()),
        || async { Rendered::json(&views::forecaster_scores(&state, id, query).await?) },
    )
    .await
}
