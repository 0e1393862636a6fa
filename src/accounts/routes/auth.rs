//! Registration, login, refresh and logout.

use actix_web::{post, web, HttpResponse};

use crate::accounts::model::*;
use crate::accounts::service::auth as service;
use crate::accounts::service::reset as service_reset;
use crate::error::{ApiError, Problem};
use crate::http::extract::ApiJson;
use crate::http::idempotency::{self, Answer, Claim};
use crate::http::problems::*;
use crate::startup::AppState;

/// Create an account; everyone registers as `reader` (a `role` field is ignored).
#[utoipa::path(
    tag = "accounts",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters, scoped per client IP. A retry with the same key and body within 24 hours creates no second account: it answers 201 with `Idempotent-Replayed: true` and a fresh session of the account (the first answer's tokens are never stored); the same key with another body is a 422, while the first request still runs a 409.")),
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and logged in", body = AuthResponse),
        (status = 403, description = "The username or email belongs to a deleted account whose ban is still in force (`/problems/banned`)", body = Problem, content_type = "application/problem+json"),
        BadRequest, Conflict, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[post("/auth/register")]
#[tracing::instrument(skip_all)]
pub async fn register(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    body: ApiJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&req);
    state
        .limiter
        .take(state.limiter.limits().auth_per_ip, &format!("auth:{ip}"))?;
    let keyed = idempotency::keyed(&req, format!("register:{ip}"), body.digest())?;
    let body = body.into_inner()?;
    let now = state.clock.now();
    let Some(keyed) = keyed else {
        let response = service::register(&state, &body, now).await?;
        return Ok(HttpResponse::Created().json(response));
    };
    let claim = {
        let mut conn = state.pool.get().await?;
        idempotency::claim(&mut conn, &keyed, now).await?
    };
    if let Claim::Replay(_) = claim {
        // The account exists: a fresh session for it rather than the first answer's tokens,
        // which are never stored. The fingerprint covers the password, so only the client
        // that registered gets here.
        let credentials = LoginRequest {
            login: body.username.clone(),
            password: body.password.clone(),
            device_token: None,
        };
        let response = service::login(&state, &ip, credentials).await?;
        return Ok(HttpResponse::Created()
            .insert_header((idempotency::REPLAYED, "true"))
            .json(response));
    }
    match service::register(&state, &body, now).await {
        Ok(response) => {
            // Stored: the account only (the key's proof of the first success).
            let stored = Answer::json(actix_web::http::StatusCode::CREATED, &response.user)?;
            let mut conn = state.pool.get().await?;
            idempotency::complete(&mut conn, &keyed, &stored).await?;
            Ok(HttpResponse::Created().json(response))
        }
        Err(refused) => {
            let mut conn = state.pool.get().await?;
            idempotency::release(&mut conn, &keyed).await?;
            Err(refused.into())
        }
    }
}

/// Log in with username or email (either ignoring case). Unknown account and wrong password
/// answer the same 401, after the same amount of hashing work.
#[utoipa::path(
    tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = AuthResponse),
        (status = 401, description = "Unknown login or wrong password", body = Problem, content_type = "application/problem+json"),
        BadRequest, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[post("/auth/login")]
#[tracing::instrument(skip_all)]
pub async fn login(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    body: ApiJson<LoginRequest>,
) -> Result<web::Json<AuthResponse>, ApiError> {
    let ip = state.client_ip(&req);
    state
        .limiter
        .take(state.limiter.limits().auth_per_ip, &format!("auth:{ip}"))?;
    let body = body.into_inner()?;
    let response = service::login(&state, &ip, body).await?;
    Ok(web::Json(response))
}

/// Exchange a refresh token for a new pair; the old one is retired. Presenting a retired token
/// again is treated as theft: 401, and the whole login family is revoked. Frontends must
/// refresh in one place at a time (one tab or one request queue), or they log themselves out.
#[utoipa::path(
    tag = "accounts",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = AuthResponse),
        (status = 401, description = "Invalid, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
        BadRequest, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/auth/refresh")]
#[tracing::instrument(skip_all)]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> Result<web::Json<AuthResponse>, ApiError> {
    let body = body.into_inner()?;
    let pair = service::refresh(&state, &body.refresh_token, state.clock.now()).await?;
    Ok(web::Json(pair))
}

/// Log out: revokes the refresh token's family (its access tokens simply expire). No access
/// token needed; an unknown token also answers 204, so the call is safe to repeat.
#[utoipa::path(
    tag = "accounts",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out"),
        BadRequest, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/auth/logout")]
#[tracing::instrument(skip_all)]
pub async fn logout(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    service::logout(&state, &body.refresh_token, state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ask for a password-reset link by mail. Always 202 with the same body whether or not the
/// address belongs to an account, so accounts cannot be probed; the link works once, for an
/// hour, and a newer link retires older ones. Without SMTP configured nothing is sent and
/// `mail_enabled` is `false`: an admin runs `hindsight reset-password USERNAME`.
#[utoipa::path(
    tag = "accounts",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "A link is mailed if the address belongs to an account", body = PasswordResetAccepted),
        BadRequest, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[post("/auth/password-reset")]
#[tracing::instrument(skip_all)]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    body: ApiJson<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&req);
    let body = body.into_inner()?;
    let limits = state.limiter.limits();
    state.limiter.reserve(&[
        (limits.password_reset_per_ip, &format!("reset:{ip}")),
        (
            limits.password_reset_per_address,
            &format!("reset-address:{}", body.email.trim().to_lowercase()),
        ),
    ])?;
    let mail_enabled = service_reset::request(&state, body.email.trim()).await?;
    let detail = if mail_enabled {
        "if this address belongs to an account, a reset link is on its way"
    } else {
        "this service sends no mail; ask an admin for a reset link"
    };
    Ok(HttpResponse::Accepted().json(PasswordResetAccepted {
        mail_enabled,
        detail: detail.to_owned(),
    }))
}

/// Set a new password with a reset token (the rules of registration). Every session and
/// refresh token of the account ends, and a notice goes to its address. An unknown, used or
/// expired token is one 422 naming `token` (code `invalid_token`).
#[utoipa::path(
    tag = "accounts",
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "Password set; log in with it"),
        BadRequest, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[post("/auth/password-reset/confirm")]
#[tracing::instrument(skip_all)]
pub async fn confirm_password_reset(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    body: ApiJson<PasswordResetConfirm>,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&req);
    state.limiter.take(
        state.limiter.limits().password_reset_per_ip,
        &format!("reset:{ip}"),
    )?;
    let body = body.into_inner()?;
    service_reset::confirm(&state, &body.token, &body.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Confirm an address with the token of a mailed link (no login needed): the account is
/// verified if the token is unused, younger than 48 hours and for the account's current
/// address; any other token is a 422 naming `token` (`invalid_value`).
#[utoipa::path(
    tag = "accounts",
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "The address is verified"),
        BadRequest, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[post("/auth/verify-email")]
#[tracing::instrument(skip_all)]
pub async fn verify_email(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    body: ApiJson<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&req);
    state
        .limiter
        .take(state.limiter.limits().auth_per_ip, &format!("auth:{ip}"))?;
    let body = body.into_inner()?;
    crate::accounts::service::verification::verify(&state, &body.token).await?;
    Ok(HttpResponse::NoContent().finish())
}
