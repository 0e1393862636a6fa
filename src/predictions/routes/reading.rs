//! Reading predictions: one, the list, and a user's track record.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::auth::MaybeUser;
use crate::error::ApiError;
use crate::http::caching::{self, Rendered, Resource};
use crate::http::extract::ApiQuery;
use crate::http::problems::*;
use crate::ids::PredictionId;
use crate::pagination::Page;
use crate::predictions::model::{
    PredictionDetail, PredictionListQuery, PredictionSummary, TrackRecord,
};
use crate::predictions::service::reading;
use crate::startup::AppState;

/// One prediction with its comment, article and the histogram of current forecasts.
#[utoipa::path(
    tag = "predictions",
    security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "Prediction id")),
    responses(
        (status = 200, description = "The prediction", body = PredictionDetail, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, Unauthorized, NotFound, Unavailable
    )
)]
#[get("/predictions/{id}")]
#[tracing::instrument(skip_all, fields(prediction_id = *id))]
pub async fn get_prediction(
    state: web::Data<AppState>,
    req: HttpRequest,
    reader: MaybeUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let viewer = reader.0.as_ref();
    caching::respond(&state, &req, viewer, Resource::Prediction(*id), || async {
        Rendered::json(&reading::detail(&state, viewer, PredictionId(*id)).await?)
    })
    .await
}

/// Predictions, filtered and ordered; `status=closed` is the resolution queue.
#[utoipa::path(
    tag = "predictions",
    security((), ("bearer" = [])),
    params(PredictionListQuery),
    responses(
        (status = 200, description = "A page of predictions", body = Page<PredictionSummary>, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, Unauthorized, Invalid, Unavailable
    )
)]
#[get("/predictions")]
#[tracing::instrument(skip_all)]
pub async fn list_predictions(
    state: web::Data<AppState>,
    req: HttpRequest,
    reader: MaybeUser,
    ApiQuery(query): ApiQuery<PredictionListQuery>,
) -> Result<HttpResponse, ApiError> {
    let viewer = reader.0.as_ref();
    caching::respond(&state, &req, viewer, Resource::Everything, || async {
        Rendered::json(&reading::list(&state, viewer, query).await?)
    })
    .await
}

/// A user's track record: scores and calibration, from stored totals.
#[utoipa::path(
    tag = "predictions",
    params(("username" = String, Path, description = "Username, any case")),
    responses(
        (status = 200, description = "The track record", body = TrackRecord, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, NotFound, Unavailable
    )
)]
#[get("/users/{username}/track-record")]
#[tracing::instrument(skip_all, fields(username = %username))]
pub async fn track_record(
    state: web::Data<AppState>,
    req: HttpRequest,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caching::respond(&state, &req, None, Resource::User(&username), || async {
        Rendered::json(&reading::track_record(&state, &username).await?)
    })
    .await
}
