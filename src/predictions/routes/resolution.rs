//! `POST /predictions/{id}/resolution`.

use actix_web::{post, web};

use crate::auth::Moderator;
use crate::error::ApiError;
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::ids::PredictionId;
use crate::predictions::model::{PredictionView, ResolutionRequest};
use crate::predictions::service;
use crate::startup::AppState;

/// Resolve a prediction (moderators and admins, never its author). Allowed before the deadline
/// too, which closes forecasting at that moment. A resolved prediction can be re-resolved by an
/// admin only, with a note; its scores are recomputed.
#[utoipa::path(
    tag = "predictions",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Prediction id")),
    request_body = ResolutionRequest,
    responses(
        (status = 200, description = "The resolved prediction", body = PredictionView),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/predictions/{id}/resolution")]
#[tracing::instrument(skip_all, fields(prediction_id = *id, user_id = moderator.0.id.get()))]
pub async fn resolve(
    state: web::Data<AppState>,
    moderator: Moderator,
    id: web::Path<i64>,
    body: ApiJson<ResolutionRequest>,
) -> Result<web::Json<PredictionView>, ApiError> {
    let body = body.into_inner()?;
    let view = service::resolution::resolve(&state, &moderator.0, PredictionId(*id), body).await?;
    Ok(web::Json(view))
}
