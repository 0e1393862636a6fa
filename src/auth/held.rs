//! An authenticated caller together with the pooled connection that authenticated them. Why:
//! issue 19 wants a write in one checkout; with [`AuthUser`] the token check takes a
//! connection of its own and the write another. A handler taking [`AuthConn`] keeps the one
//! connection for its statements; it is returned to the pool when the handler drops it.
//!
//! A handler should list its body extractor before `AuthConn`, so that no connection is held
//! while the body uploads (`ApiJson` defers its errors, so the refusals keep their order).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::auth::extract::{app_state, authenticate_on, bearer_token};
use crate::auth::AuthUser;
use crate::db::DbConn;
use crate::error::ApiError;

/// The caller (as [`AuthUser`] sees them) and the connection the check ran on.
pub struct AuthConn {
    /// Who calls.
    pub user: AuthUser,
    /// The request's one connection.
    pub conn: DbConn,
}

impl FromRequest for AuthConn {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = app_state(req);
        let token = bearer_token(req);
        Box::pin(async move {
            let token = token?.ok_or(ApiError::Unauthenticated("an access token is required"))?;
            let state = state?;
            let mut conn = state.pool.get().await?;
            let user = authenticate_on(&state, &mut conn, &token).await?;
            Ok(Self { user, conn })
        })
    }
}
