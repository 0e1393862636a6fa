//! Account handlers: register, login, refresh, logout, `/me`, profiles and roles.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::accounts::domain::{
    email_ban_key, username_ban_key, DisplayName, Email, NewPassword, Username,
};
use crate::accounts::model::*;
use crate::accounts::queries::{self, ProfileChanges};
use crate::accounts::roles::{change_role as change_role_of, RoleChanger};
use crate::auth::extract::{active_ban, Ban};
use crate::auth::tokens::{hash_refresh_token, new_family_id, new_refresh_token};
use crate::auth::{Admin, AuthUser, Role};
use crate::config::Secret;
use crate::error::{violated_constraint, ApiError, FieldError, FieldErrors, Problem};
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::startup::AppState;
use crate::text::optional_text;

/// Registers every account route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(me)
        .service(update_me)
        .service(delete_me)
        .service(change_password)
        .service(profile)
        .service(change_role);
}

fn wrong_password() -> ApiError {
    ApiError::Forbidden {
        kind: "wrong-password",
        detail: "the password is not correct".to_owned(),
        code: Some("wrong_password"),
        extra: serde_json::Map::new(),
    }
}

fn refused_refresh() -> ApiError {
    ApiError::Unauthenticated("the refresh token is invalid, expired or already used")
}

/// Issues an access token and a refresh token (a new family unless `family` continues one).
async fn issue_tokens(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    user: UserRow,
    family: Option<String>,
    now: DateTime<Utc>,
) -> Result<AuthResponse, ApiError> {
    let access_token = state
        .tokens
        .issue_access(user.id, user.token_version, now)?;
    let (refresh_token, hash) = new_refresh_token();
    let family = family.unwrap_or_else(new_family_id);
    let ttl =
        chrono::Duration::from_std(state.settings.refresh_token_ttl).map_err(ApiError::internal)?;
    queries::insert_refresh_token(conn, user.id, &family, &hash, now, now + ttl).await?;
    let device_token = state.tokens.issue_device(user.id, now)?;
    Ok(AuthResponse {
        device_token,
        user: Account::at(user, now),
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl_secs(),
    })
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
        kind: "taken",
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

/// Whose failed-attempt budget a password check draws on: the account the login resolved to
/// (so `alice` and `alice@example.com` share one), or, for a login naming no account, that
/// login as written.
enum AttemptAccount {
    Known(i64),
    Unknown(String),
}

impl AttemptAccount {
    fn key(&self) -> String {
        match self {
            Self::Known(id) => format!("user:{id}"),
            Self::Unknown(name) => format!("login:{name}"),
        }
    }
}

/// Verifies a password under the failed-attempt limits shared by login, password change and
/// account deletion: per (account, IP) always, and per account unless a device token of that
/// account vouches for the caller (OWASP's device cookie: strangers filling the account's
/// bucket cannot lock its owner out). The tokens are taken before hashing, so concurrent
/// guesses cannot all pass a check made before any was charged, and given back when the
/// password is right.
async fn check_password_limited(
    state: &AppState,
    account: &AttemptAccount,
    ip: &str,
    device_vouched: bool,
    password: &Secret,
    stored_hash: Option<String>,
) -> Result<bool, ApiError> {
    let limits = state.limiter.limits();
    let account = account.key();
    let per_account_ip = format!("failed:{account}:{ip}");
    let per_account = format!("failed:{account}");
    let mut buckets = vec![(limits.failed_login_per_account_ip, per_account_ip.as_str())];
    if !device_vouched {
        buckets.push((limits.failed_login_per_account, per_account.as_str()));
    }
    state.limiter.reserve(&buckets)?;
    let verified = state.passwords.verify(password, stored_hash).await;
    if !matches!(verified, Ok(false)) {
        state.limiter.refund(&buckets);
    }
    verified
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

/// A public profile, by username ignoring case (never the email).
#[utoipa::path(
    tag = "accounts",
    params(("username" = String, Path, description = "Username, any case")),
    responses(
        (status = 200, description = "The profile", body = PublicProfile),
        NotFound, Unavailable
    )
)]
#[get("/users/{username}")]
pub async fn profile(
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> Result<web::Json<PublicProfile>, ApiError> {
    let mut conn = state.pool.get().await?;
    let user = queries::find_by_username(&mut conn, &username)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user {username}")))?;
    Ok(web::Json(user.into()))
}

/// Change a reader's or moderator's role (admins only); it takes effect on the user's next
/// request. An admin's role (the caller's own too) changes only through `hindsight set-role`
/// (403); a deleted account gets no role (409 `/problems/account-deleted`).
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(("username" = String, Path, description = "Username, any case")),
    request_body = RoleRequest,
    responses(
        (status = 200, description = "The profile with its new role", body = PublicProfile),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[put("/users/{username}/role")]
pub async fn change_role(
    state: web::Data<AppState>,
    admin: Admin,
    username: web::Path<String>,
    body: ApiJson<RoleRequest>,
) -> Result<web::Json<PublicProfile>, ApiError> {
    let body = body.into_inner()?;
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let changer = RoleChanger::Admin(admin.0.clone());
    let user = change_role_of(&mut conn, changer, &username, body.role, now).await?;
    tracing::info!(admin_id = admin.0.id, user_id = user.id, role = %body.role, "role changed");
    Ok(web::Json(user.into()))
}
