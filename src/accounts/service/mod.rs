//! Account actions behind the handlers: each takes what the request carried (already parsed
//! into its request type) and returns the wire type or an [`AccountError`]. Registration and
//! tokens are in `auth`, the own account in `own_account`; sessions (token issuing, limited
//! password checks) and role changes stay in `accounts::sessions` and `accounts::roles`, which
//! the command line shares.

pub mod auth;
pub mod own_account;
pub mod reset;
pub mod verification;

use crate::accounts::error::AccountError;
use crate::accounts::model::PublicProfile;
use crate::accounts::queries;
use crate::db::DbPool;

/// The public profile of `username` (any case), deleted accounts included.
#[tracing::instrument(skip_all, fields(username = %username))]
pub async fn profile(pool: &DbPool, username: &str) -> Result<PublicProfile, AccountError> {
    let mut conn = pool.get().await?;
    let user = queries::find_by_username(&mut conn, username)
        .await
        .map_err(AccountError::at("finding the user"))?
        .ok_or_else(|| AccountError::UserNotFound(username.to_owned()))?;
    Ok(user.into())
}
