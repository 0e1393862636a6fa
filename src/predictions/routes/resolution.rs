//! `POST /predictions/{id}/resolution`.

use actix_web::{post, web, HttpRequest, HttpResponse};

use crate::auth::Moderator;
use crate::error::ApiError;
use crate::http::extract::ApiJson;
use crate::http::idempotency;
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
    params(("id" = i64, Path, description = "Prediction id"), ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. A retry with the same key within 24 hours answers the first response (with `Idempotent-Replayed: true`) and does nothing again; the same key with another body is a 422, while the first request still runs a 409. Scoped per user.")),
    request_body = ResolutionRequest,
    responses(
        (status = 200, description = "The resolved prediction", body = PredictionView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/predictions/{id}/resolution")]
#[tracing::instrument(skip_all, fields(prediction_id = *id, user_id = moderator.0.id.get()))]
pub async fn resolve(
    state: web::Data<AppState>,
    req: HttpRequest,
    moderator: Moderator,
    id: web::Path<i64>,
    body: ApiJson<ResolutionRequest>,
) -> Result<HttpResponse, ApiError> {
    let keyed = idempotency::keyed(&req, format!("user:{}", moderator.0.id), body.digest())?;
    let body = body.into_inner()?;
    let now = state.clock.now();
    idempotency::around(&state.pool, keyed, now, async || {
        let view =
            service::resolution::resolve(&state, &moderator.0, PredictionId(*id), body).await?;
        Ok(HttpResponse::Ok().json(view))
    })
    .await
}
