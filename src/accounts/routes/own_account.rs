//! The own account: `/me`, its profile, password and deletion.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use diesel_async::AsyncConnection;

use crate::accounts::domain::{email_ban_key, username_ban_key, DisplayName, NewPassword};
use crate::accounts::model::*;
use crate::accounts::queries::{self, ProfileChanges};
use crate::auth::extract::active_ban;
use crate::auth::AuthUser;
use crate::config::Secret;
use crate::error::{ApiError, FieldErrors, Problem};
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::startup::AppState;
use crate::text::optional_text;

use crate::accounts::sessions::{check_password_limited, wrong_password, AttemptAccount};

/// The caller's own account.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The own account", body = Account),
        Unauthorized, Unavailable
    )
)]
#[get("/me")]
pub async fn me(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<Account>, ApiError> {
    let mut conn = state.pool.get().await?;
    let row = queries::find_by_id(&mut conn, user.id).await?;
    Ok(web::Json(Account::at(row, state.clock.now())))
}

/// Change display name and bio (absent: unchanged; `null` or empty: cleared). A display name
/// with control, bidi-override, zero-width or filler characters is a 422; one that equals
/// another user's username after NFKC and case folding is a 409 `taken`.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The updated account", body = Account),
        BadRequest, Unauthorized, Forbidden, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[patch("/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<UpdateMeRequest>,
) -> Result<web::Json<Account>, ApiError> {
    user.ensure_can_contribute()?;
    let body = body.into_inner()?;
    if body.display_name.is_none() && body.bio.is_none() {
        return Err(ApiError::invalid(
            "body",
            "required",
            "give at least one of display_name, bio",
        ));
    }
    let mut errors = FieldErrors::new();
    let display_name = body.display_name.map(|v| {
        errors
            .check(DisplayName::parse(
                v.as_deref().unwrap_or(""),
                "display_name",
            ))
            .flatten()
    });
    let bio = body
        .bio
        .map(|v| errors.check(optional_text(v, "bio", 1_000)));
    errors.finish()?;
    let mut conn = state.pool.get().await?;
    if let Some(Some(name)) = &display_name {
        if queries::username_folds_to(&mut conn, &name.folded(), user.id).await? {
            return Err(ApiError::taken(
                "display_name",
                "this display name is another user's username",
            ));
        }
    }
    let changes = ProfileChanges {
        display_name: display_name.map(|name| name.map(DisplayName::into_inner)),
        bio: bio.map(Option::flatten),
    };
    let row = queries::update_profile(&mut conn, user.id, changes).await?;
    Ok(web::Json(Account::at(row, state.clock.now())))
}

/// Change the password: every refresh token and every outstanding access token stops working.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Password changed; log in again"),
        (status = 403, description = "The current password is wrong (`code: wrong_password`)", body = Problem, content_type = "application/problem+json"),
        BadRequest, Unauthorized, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    user: AuthUser,
    body: ApiJson<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let account = {
        let mut conn = state.pool.get().await?;
        queries::find_by_id(&mut conn, user.id).await?
    };
    let email = account.email.clone().unwrap_or_default();
    let new_password = NewPassword::parse(
        &body.new_password,
        "new_password",
        &account.username,
        &email,
    )
    .map_err(|e| ApiError::Validation(vec![e]))?;
    let current = Secret::new(body.current_password);
    let ip = state.client_ip(&req);
    let account_key = AttemptAccount::Known(user.id);
    if !check_password_limited(
        &state,
        &account_key,
        &ip,
        false,
        &current,
        account.password_hash,
    )
    .await?
    {
        return Err(wrong_password());
    }
    let hash = state.passwords.hash(new_password.secret()).await?;
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        queries::set_password(conn, user.id, &hash, now).await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Delete the own account: it is anonymised (`deleted-<id>`, no email, no login); its content
/// stays under that name for the threads' sake.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = DeleteAccountRequest,
    responses(
        (status = 204, description = "Account deleted"),
        (status = 403, description = "The password is wrong (`code: wrong_password`)", body = Problem, content_type = "application/problem+json"),
        BadRequest, Unauthorized, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[delete("/me")]
pub async fn delete_me(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    user: AuthUser,
    body: ApiJson<DeleteAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let account = {
        let mut conn = state.pool.get().await?;
        queries::find_by_id(&mut conn, user.id).await?
    };
    let stored_hash = account.password_hash.clone();
    let ip = state.client_ip(&req);
    let password = Secret::new(body.password);
    let account_key = AttemptAccount::Known(user.id);
    if !check_password_limited(&state, &account_key, &ip, false, &password, stored_hash).await? {
        return Err(wrong_password());
    }
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let banned = active_ban(
        account.banned_at,
        account.banned_until,
        account.ban_reason.clone(),
        now,
    )
    .is_some();
    conn.transaction(async |conn| {
        if banned {
            let keys = (
                username_ban_key(&account.username),
                account.email.as_deref().map(email_ban_key),
            );
            queries::retain_ban(conn, &account, keys, now).await?;
        }
        queries::anonymise(conn, user.id, now).await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    tracing::info!(user_id = user.id, "account deleted");
    Ok(HttpResponse::NoContent().finish())
}
