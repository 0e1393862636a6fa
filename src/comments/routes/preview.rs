//! `POST /preview`: a comment body rendered as posting it would render it, so that the
//! widget's preview shows exactly what the thread will (the server's sanitiser, not a second
//! Markdown implementation in the browser).

use actix_web::{post, web};

use crate::auth::AuthUser;
use crate::comments::model::{PreviewRequest, PreviewResult};
use crate::comments::service::writing;
use crate::error::ApiError;
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::startup::AppState;

/// Render a comment body (Markdown) as a posted comment would show it, without posting it.
/// Signed-in readers only: it is a step of writing a comment.
#[utoipa::path(
    tag = "comments",
    security(("bearer" = [])),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "The body rendered and sanitised", body = PreviewResult),
        BadRequest, Unauthorized, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/preview")]
#[tracing::instrument(skip_all, fields(user_id = user.id.get()))]
pub async fn preview(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<PreviewRequest>,
) -> Result<web::Json<PreviewResult>, ApiError> {
    let body = body.into_inner()?;
    let body_html = writing::preview(&state.pool, &body.body).await?;
    Ok(web::Json(PreviewResult { body_html }))
}
