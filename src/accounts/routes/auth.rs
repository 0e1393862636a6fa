//! Registration, login, refresh and logout.

use actix_web::{post, web, HttpResponse};
use diesel_async::AsyncConnection;

use crate::accounts::domain::{username_ban_key, Email, NewPassword, Username};
use crate::accounts::model::*;
use crate::accounts::queries;
use crate::auth::extract::Ban;
use crate::auth::tokens::hash_refresh_token;
use crate::auth::Role;
use crate::config::Secret;
use crate::error::{violated_constraint, ApiError, FieldError, FieldErrors, Problem};
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::startup::AppState;

use crate::accounts::sessions::{check_password_limited, issue_tokens, AttemptAccount};

fn refused_refresh() -> ApiError {
    ApiError::Unauthenticated("the refresh token is invalid, expired or already used")
}

fn registration_conflict(username_taken: bool, email_taken: bool) -> Option<ApiError> {
    let mut errors = Vec::new();
    if username_taken {
        errors.push(FieldError::new(
            "username",
            "taken",
            "this username is taken",
        ));
    }
    if email_taken {
        errors.push(FieldError::new(
            "email",
            "taken",
            "this email address is already registered",
        ));
    }
    (!errors.is_empty()).then(|| ApiError::Conflict {
        kind: crate::error::ProblemKind::Taken,
        detail: "already registered".to_owned(),
        errors,
    })
}

fn unique_violation(error: diesel::result::Error) -> ApiError {
    match violated_constraint(&error) {
        Some("users_username_key") => ApiError::taken("username", "this username is taken"),
        Some("users_email_key") => {
            ApiError::taken("email", "this email address is already registered")
        }
        _ => error.into(),
    }
}

/// Create an account; everyone registers as `reader` (a `role` field is ignored).
#[utoipa::path(
    tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and logged in", body = AuthResponse),
        (status = 403, description = "The username or email belongs to a deleted account whose ban is still in force (`/problems/banned`)", body = Problem, content_type = "application/problem+json"),
        BadRequest, Conflict, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    body: ApiJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&req);
    state
        .limiter
        .take(state.limiter.limits().auth_per_ip, &format!("auth:{ip}"))?;
    let body = body.into_inner()?;
    let mut errors = FieldErrors::new();
    let username = errors.check(Username::parse(&body.username, "username"));
    let email = errors.check(Email::parse(&body.email, "email"));
    let password = errors.check(NewPassword::parse(
        &body.password,
        "password",
        &body.username,
        &body.email,
    ));
    errors.finish()?;
    let (Some(username), Some(email), Some(password)) = (username, email, password) else {
        return Err(ApiError::internal(anyhow::anyhow!("parsed fields missing")));
    };
    let now = state.clock.now();
    {
        let mut conn = state.pool.get().await?;
        let username_key = username_ban_key(username.as_str());
        if let Some((reason, until)) =
            queries::retained_ban(&mut conn, &username_key, &email.ban_key(), now).await?
        {
            return Err(Ban { reason, until }.problem());
        }
        let (username_taken, email_taken) =
            queries::taken(&mut conn, username.as_str(), email.as_str()).await?;
        if let Some(conflict) = registration_conflict(username_taken, email_taken) {
            return Err(conflict);
        }
    }
    let password_hash = state.passwords.hash(password.secret()).await?;
    let mut conn = state.pool.get().await?;
    let response = conn
        .transaction(async |conn| {
            let user = queries::insert_user(
                conn,
                NewUser {
                    username: username.as_str(),
                    email: email.as_str(),
                    password_hash: &password_hash,
                    role: Role::Reader.as_str(),
                    created_at: now,
                },
            )
            .await
            .map_err(unique_violation)?;
            issue_tokens(conn, &state, user, None, now).await
        })
        .await?;
    tracing::info!(user_id = response.user.id, "registered");
    Ok(HttpResponse::Created().json(response))
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
    if body.login.contains('\0') {
        return Err(ApiError::invalid(
            "login",
            "invalid_characters",
            "the login may not contain NUL characters",
        ));
    }
    let user = {
        let mut conn = state.pool.get().await?;
        queries::find_for_login(&mut conn, &body.login).await?
    };
    let now = state.clock.now();
    let account = match &user {
        Some(user) => AttemptAccount::Known(user.id),
        None => AttemptAccount::Unknown(body.login.trim().to_lowercase()),
    };
    let vouched = match (&user, body.device_token.as_deref()) {
        (Some(user), Some(device)) => state.tokens.device_vouches_for(device, user.id, now),
        _ => false,
    };
    let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let password = Secret::new(body.password);
    let verified =
        check_password_limited(&state, &account, &ip, vouched, &password, stored_hash).await?;
    let Some(user) = user.filter(|_| verified) else {
        state.metrics.count(crate::metrics::Event::LoginFailed);
        return Err(ApiError::InvalidCredentials);
    };
    state.metrics.count(crate::metrics::Event::LoginOk);
    let mut conn = state.pool.get().await?;
    let response = issue_tokens(&mut conn, &state, user, None, now).await?;
    Ok(web::Json(response))
}

enum RefreshOutcome {
    Issued(Box<AuthResponse>),
    Refused,
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
pub async fn refresh(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> Result<web::Json<AuthResponse>, ApiError> {
    let body = body.into_inner()?;
    let hash = hash_refresh_token(&body.refresh_token);
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let outcome = conn
        .transaction(async |conn| {
            let Some(token) = queries::lock_refresh_token(conn, &hash).await? else {
                return Ok::<_, ApiError>(RefreshOutcome::Refused);
            };
            if token.revoked_at.is_some() || token.expires_at <= now {
                return Ok(RefreshOutcome::Refused);
            }
            if token.used_at.is_some() {
                queries::revoke_family(conn, &token.family_id, now).await?;
                tracing::warn!(
                    user_id = token.user_id,
                    "refresh token reused: family revoked"
                );
                return Ok(RefreshOutcome::Refused);
            }
            queries::mark_used(conn, token.id, now).await?;
            let user = queries::find_by_id(conn, token.user_id).await?;
            if user.deleted_at.is_some() {
                return Ok(RefreshOutcome::Refused);
            }
            let pair = issue_tokens(conn, &state, user, Some(token.family_id), now).await?;
            Ok(RefreshOutcome::Issued(Box::new(pair)))
        })
        .await?;
    match outcome {
        RefreshOutcome::Issued(pair) => Ok(web::Json(*pair)),
        RefreshOutcome::Refused => Err(refused_refresh()),
    }
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
pub async fn logout(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let hash = hash_refresh_token(&body.refresh_token);
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        if let Some(token) = queries::lock_refresh_token(conn, &hash).await? {
            queries::revoke_family(conn, &token.family_id, now).await?;
        }
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
