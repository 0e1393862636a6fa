//! `PUT /predictions/{id}/forecast`.

use actix_web::{put, web};

use crate::auth::AuthConn;
use crate::error::{ApiError, Problem};
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::ids::PredictionId;
use crate::predictions::model::{ForecastRequest, PredictionView};
use crate::predictions::service;
use crate::startup::AppState;

/// Put your probability on a prediction (the author too, to update theirs) while it is open.
/// Updating replaces your current forecast; the old one stays in the history.
#[utoipa::path(
    tag = "predictions",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Prediction id")),
    request_body = ForecastRequest,
    responses(
        (status = 200, description = "The prediction after your forecast", body = PredictionView),
        (status = 409, description = "Past its deadline, resolved (`prediction-closed`), or its comment deleted or removed (`prediction-hidden`)", body = Problem, content_type = "application/problem+json"),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[put("/predictions/{id}/forecast")]
#[tracing::instrument(skip_all, fields(prediction_id = *id, user_id = caller.user.id.get()))]
pub async fn forecast(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: ApiJson<ForecastRequest>,
    caller: AuthConn,
) -> Result<web::Json<PredictionView>, ApiError> {
    let AuthConn { user, mut conn } = caller;
    user.ensure_can_contribute()?;
    state
        .limiter
        .take(state.limiter.limits().votes, &format!("votes:{}", user.id))?;
    let body = body.into_inner()?;
    let view =
        service::forecasts::forecast(&state, &mut conn, &user, PredictionId(*id), body).await?;
    Ok(web::Json(view))
}
