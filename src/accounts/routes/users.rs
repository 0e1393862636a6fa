//! Public profiles and role changes.

use actix_web::{get, put, web, HttpRequest, HttpResponse};

use crate::accounts::model::*;
use crate::accounts::roles::{change_role as change_role_of, RoleChanger};
use crate::accounts::service;
use crate::auth::Admin;
use crate::error::ApiError;
use crate::http::caching::{self, Rendered, Resource};
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::startup::AppState;

/// A public profile, by username ignoring case (never the email).
#[utoipa::path(
    tag = "accounts",
    params(("username" = String, Path, description = "Username, any case")),
    responses(
        (status = 200, description = "The profile", body = PublicProfile, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, NotFound, Unavailable
    )
)]
#[get("/users/{username}")]
#[tracing::instrument(skip_all, fields(username = %username))]
pub async fn profile(
    state: web::Data<AppState>,
    req: HttpRequest,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caching::respond(&state, &req, None, Resource::User(&username), || async {
        Rendered::json(&service::profile(&state.pool, &username).await?)
    })
    .await
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
#[tracing::instrument(skip_all, fields(username = %username, admin_id = admin.0.id.get()))]
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
    tracing::info!(admin_id = admin.0.id.get(), user_id = user.id, role = %body.role, "role changed");
    Ok(web::Json(user.into()))
}
