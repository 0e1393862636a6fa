//! One-click unsubscribe from notification mail (RFC 8058): the link in every notification
//! mail carries a signed token naming the reader and the kind (or `digest` for a digest's
//! link); using it switches that mail off without logging in: the kind's mail, or every kind
//! then mailed daily. Nothing else is changed: immediate kinds stay for a digest's link, and
//! in-app notifications stay as they were.

use diesel_async::AsyncPgConnection;

use crate::ids::UserId;
use crate::notifications::error::NotificationError;
use crate::notifications::mail::compose::DIGEST;
use crate::notifications::mail::domain::EmailMode;
use crate::notifications::{queries, NotificationKind};
use crate::startup::AppState;

/// Whose mail a link stops, and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscription {
    /// The reader.
    pub user: UserId,
    /// Their username, to greet them on the page.
    pub username: String,
    /// The kind whose mail stops; None: the daily digest (every kind mailed daily).
    pub kind: Option<NotificationKind>,
}

impl Unsubscription {
    /// What the page says stops, e.g. "replies to your comments".
    pub fn what(&self) -> &'static str {
        EmailMode::label(self.kind)
    }
}

/// What `token` would stop, or None when it is not a valid link of a live account. Changes
/// nothing: a mail scanner that follows links must not unsubscribe anyone.
#[tracing::instrument(skip_all)]
pub async fn inspect(
    state: &AppState,
    token: &str,
) -> Result<Option<Unsubscription>, NotificationError> {
    let mut conn = state.pool.get().await?;
    read(&mut conn, state, token).await
}

/// Stops the mail `token` names and says which, or None when it is not a valid link of a live
/// account. Using a link again changes nothing more.
#[tracing::instrument(skip_all)]
pub async fn apply(
    state: &AppState,
    token: &str,
) -> Result<Option<Unsubscription>, NotificationError> {
    let mut conn = state.pool.get().await?;
    let Some(unsubscription) = read(&mut conn, state, token).await? else {
        return Ok(None);
    };
    let kinds: Vec<NotificationKind> = match unsubscription.kind {
        Some(kind) => vec![kind],
        None => {
            let now = super::settings::current(&mut conn, unsubscription.user).await?;
            NotificationKind::ALL
                .into_iter()
                .filter(|kind| now.of(*kind).email == EmailMode::Daily)
                .collect()
        }
    };
    let rows: Vec<(&str, Option<bool>, Option<&str>)> = kinds
        .iter()
        .map(|kind| (kind.as_str(), None, Some(EmailMode::Off.as_str())))
        .collect();
    queries::set_settings(&mut conn, unsubscription.user, &rows)
        .await
        .map_err(NotificationError::at("switching the mail off"))?;
    tracing::info!(
        user_id = unsubscription.user.get(),
        kind = unsubscription.kind.map_or(DIGEST, NotificationKind::as_str),
        "unsubscribed from notification mail"
    );
    Ok(Some(unsubscription))
}

/// The token's reader (while live) and kind.
async fn read(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    token: &str,
) -> Result<Option<Unsubscription>, NotificationError> {
    let Some((user, kind)) = state.tokens.verify_unsubscribe(token, state.clock.now()) else {
        return Ok(None);
    };
    let kind = match kind.as_str() {
        DIGEST => None,
        name => match NotificationKind::parse(name) {
            Some(kind) => Some(kind),
            None => return Ok(None),
        },
    };
    let user = UserId(user);
    let username = queries::live_username(conn, user)
        .await
        .map_err(NotificationError::at("finding the reader"))?;
    Ok(username.map(|username| Unsubscription {
        user,
        username,
        kind,
    }))
}
