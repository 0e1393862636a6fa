//! Notifications' service: the reader's list and read marks (`reading`), settings and mutes
//! (`settings`), one-click unsubscribes from mail (`unsubscribe`), and the mention lookup other features call before rendering a comment.

pub mod reading;
pub mod settings;
pub mod unsubscribe;

use diesel_async::AsyncPgConnection;

use crate::articles::markdown::{mentions_in, MentionLinks};
use crate::notifications::queries::{self, MentionedUser};

/// The users a comment body mentions (outside code, links and image alt text) who exist, in
/// one lookup, with the links its rendering needs.
pub async fn mentioned_users(
    conn: &mut AsyncPgConnection,
    markdown: &str,
) -> diesel::QueryResult<(Vec<MentionedUser>, MentionLinks)> {
    let names = mentions_in(markdown);
    let users = queries::users_named(conn, &names).await?;
    // Keep the order of the text: the first mentioned are the ones notified.
    let mut ordered = Vec::with_capacity(users.len());
    for name in &names {
        if let Some(user) = users
            .iter()
            .find(|u| u.username.to_ascii_lowercase() == *name)
        {
            ordered.push(user.clone());
        }
    }
    let links = ordered
        .iter()
        .map(|u| (u.username.to_ascii_lowercase(), u.username.clone()))
        .collect();
    Ok((ordered, links))
}
