//! `GET` and `POST /unsubscribe?token=…`: the page behind the link in every notification mail,
//! and its RFC 8058 one-click form. `GET` only shows what the link would stop, with a button
//! (mail scanners follow links; they must not unsubscribe anyone); `POST` stops it, whether
//! from that button or from a mail client's one-click `List-Unsubscribe-Post` (the body,
//! `List-Unsubscribe=One-Click`, is not needed). Both answer HTML: a person reads them.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};

use crate::error::ApiError;
use crate::http::problems::*;
use crate::mail::templates;
use crate::notifications::service::unsubscribe::{self, Unsubscription};
use crate::startup::AppState;

/// The pages load nothing and run nothing; the form posts back to the page itself.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                           frame-ancestors 'none'; base-uri 'none'";

/// Registers both.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(unsubscribe_page).service(unsubscribe_now);
}

/// The unsubscribe page of a notification mail's link: says which mail the link stops, with a
/// button that stops it. Changes nothing by itself. 404 (a page too) for a link that is
/// damaged, expired, or of a deleted account.
#[utoipa::path(
    tag = "notifications",
    params(("token" = Option<String>, Query, description = "The token of the mail's link")),
    responses(
        (status = 200, description = "What the link stops, with a button", content_type = "text/html", body = String),
        (status = 404, description = "The link does not work", content_type = "text/html", body = String),
        Invalid, Unavailable
    )
)]
#[get("/unsubscribe")]
#[tracing::instrument(skip_all)]
pub async fn unsubscribe_page(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let found = match token(&req) {
        Some(token) => unsubscribe::inspect(&state, &token).await?,
        None => None,
    };
    page("confirm", found)
}

/// One-click unsubscribe (RFC 8058): stops the mail the link names (one kind, or every kind
/// for a digest's link) without logging in; in-app notifications stay. Repeating it changes
/// nothing. 404 (a page) for a link that does not work.
#[utoipa::path(
    tag = "notifications",
    params(("token" = Option<String>, Query, description = "The token of the mail's link")),
    responses(
        (status = 200, description = "Unsubscribed", content_type = "text/html", body = String),
        (status = 404, description = "The link does not work", content_type = "text/html", body = String),
        Invalid, Unavailable
    )
)]
#[post("/unsubscribe")]
#[tracing::instrument(skip_all)]
pub async fn unsubscribe_now(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let done = match token(&req) {
        Some(token) => unsubscribe::apply(&state, &token).await?,
        None => None,
    };
    page("done", done)
}

/// The `token` query parameter (the first, if repeated).
fn token(req: &HttpRequest) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
}

/// The page in `state` for what was found (none: the "does not work" page, 404: the link leads nowhere).
fn page(state: &str, found: Option<Unsubscription>) -> Result<HttpResponse, ApiError> {
    let (status, context) = match &found {
        Some(found) => (
            StatusCode::OK,
            serde_json::json!({
                "state": state, "username": found.username, "what": found.what(),
            }),
        ),
        None => (
            StatusCode::NOT_FOUND,
            serde_json::json!({ "state": "invalid" }),
        ),
    };
    let html = templates::render_page("unsubscribe.html", context).map_err(ApiError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_POLICY))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}
