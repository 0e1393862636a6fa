//! Extractors that carry authentication: the handler's signature says who may call it.
//! Every authenticated request re-reads the user's row, so a role change, a deletion or a
//! password change (token version) takes effect on the very next request.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use chrono::{DateTime, Utc};
use futures_util::future::LocalBoxFuture;

use crate::auth::queries;
use crate::auth::role::{stored_role, Role};
use crate::error::ApiError;
use crate::startup::AppState;

/// A caller with a valid access token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user's id.
    pub id: crate::ids::UserId,
    /// The user's current username.
    pub username: String,
    /// The user's current role.
    pub role: Role,
    /// The ban in force right now (by the service's clock), if any.
    pub ban: Option<Ban>,
    /// Registration time (young accounts have stricter limits).
    pub created_at: DateTime<Utc>,
    /// Read-only until the address is verified (`require_verified_email` is on and the
    /// account's address is not verified).
    pub unverified: bool,
}

/// A ban in force.
#[derive(Debug, Clone)]
pub struct Ban {
    /// Why.
    pub reason: Option<String>,
    /// Until when; None for a permanent ban.
    pub until: Option<DateTime<Utc>>,
}

impl AuthUser {
    /// Refuses contributing writes (comments, edits, votes, forecasts, reports, profile
    /// changes) while a ban is in force, whatever token the user holds.
    /// With `require_verified_email` on, an account whose address is not verified is refused
    /// too (403 `/problems/email-unverified`).
    pub fn ensure_can_contribute(&self) -> Result<(), ApiError> {
        self.ensure_not_banned()?;
        if self.unverified {
            return Err(ApiError::Forbidden {
                kind: crate::error::ProblemKind::EmailUnverified,
                detail: "verify your email address first: follow the link mailed to it".to_owned(),
                code: None,
                extra: serde_json::Map::new(),
            });
        }
        Ok(())
    }

    /// Refuses while a ban is in force (and only then): for the profile changes an unverified
    /// account may still make.
    pub fn ensure_not_banned(&self) -> Result<(), ApiError> {
        match &self.ban {
            Some(ban) => Err(ban.problem()),
            None => Ok(()),
        }
    }
}

impl Ban {
    /// The 403 `/problems/banned` naming the ban's reason and end.
    pub fn problem(&self) -> ApiError {
        let mut extra = serde_json::Map::new();
        extra.insert(
            "ban_reason".to_owned(),
            serde_json::Value::from(self.reason.clone()),
        );
        extra.insert(
            "banned_until".to_owned(),
            serde_json::Value::from(self.until.map(|t| t.to_rfc3339())),
        );
        ApiError::Forbidden {
            kind: crate::error::ProblemKind::Banned,
            detail: "you are banned from contributing".to_owned(),
            code: None,
            extra,
        }
    }
}

/// The ban in force at `now`, from the stored columns.
pub fn active_ban(
    banned_at: Option<DateTime<Utc>>,
    banned_until: Option<DateTime<Utc>>,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Option<Ban> {
    banned_at?;
    match banned_until {
        Some(until) if until <= now => None,
        until => Some(Ban { reason, until }),
    }
}

/// A caller who may or may not be logged in (public reads that personalise). A token that is
/// present but invalid is still a 401: silently treating it as anonymous hides client bugs.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<AuthUser>);

impl MaybeUser {
    /// The reader's id, when logged in.
    pub fn id(&self) -> Option<crate::ids::UserId> {
        self.0.as_ref().map(|u| u.id)
    }
}

/// A caller with the moderator or admin role (403 otherwise).
#[derive(Debug, Clone)]
pub struct Moderator(pub AuthUser);

impl FromRequest for Moderator {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            if user.role.is_moderator() {
                user.ensure_can_contribute()?;
                Ok(Self(user))
            } else {
                Err(ApiError::forbidden(
                    "only moderators and admins may do this",
                ))
            }
        })
    }
}

/// A caller with the admin role (403 otherwise).
#[derive(Debug, Clone)]
pub struct Admin(pub AuthUser);

/// The bearer token of the request: `Ok(None)` without an Authorization header.
pub(crate) fn bearer_token(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::Unauthenticated("the Authorization header is not readable"))?;
    let (scheme, token) = text.split_once(' ').ok_or(ApiError::Unauthenticated(
        "expected `Authorization: Bearer <token>`",
    ))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthenticated(
            "expected `Authorization: Bearer <token>`",
        ));
    }
    Ok(Some(token.trim().to_owned()))
}

async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let mut conn = state.pool.get().await?;
    authenticate_on(state, &mut conn, token).await
}

/// Checks the token and re-reads the user on a connection the caller holds (the write path
/// keeps it for the rest of the request: one checkout, see `auth::held`).
pub(crate) async fn authenticate_on(
    state: &AppState,
    conn: &mut diesel_async::AsyncPgConnection,
    token: &str,
) -> Result<AuthUser, ApiError> {
    let refused = || ApiError::Unauthenticated("the access token is invalid or expired");
    let claims = state.tokens.verify_access(token, state.clock.now())?;
    let user_id: i64 = claims.sub.parse().map_err(|_| refused())?;
    let row = queries::find_for_auth(conn, user_id).await?;
    match row {
        Some(row) if row.deleted_at.is_none() && row.token_version == claims.ver => Ok(AuthUser {
            id: row.id,
            username: row.username,
            role: stored_role(&row.role),
            ban: active_ban(
                row.banned_at,
                row.banned_until,
                row.ban_reason,
                state.clock.now(),
            ),
            created_at: row.created_at,
            unverified: state.settings.require_verified_email && row.email_verified_at.is_none(),
        }),
        _ => Err(refused()),
    }
}

pub(crate) fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState is not registered")))
}

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = app_state(req);
        let token = bearer_token(req);
        Box::pin(async move {
            match token? {
                None => Ok(Self(None)),
                Some(token) => {
                    let state = state?;
                    Ok(Self(Some(authenticate(&state, &token).await?)))
                }
            }
        })
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let maybe = MaybeUser::from_request(req, payload);
        Box::pin(async move {
            maybe
                .await?
                .0
                .ok_or(ApiError::Unauthenticated("an access token is required"))
        })
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            if user.role == Role::Admin {
                Ok(Self(user))
            } else {
                Err(ApiError::forbidden("only admins may do this"))
            }
        })
    }
}
