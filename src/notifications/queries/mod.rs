//! Every statement of notifications: recording them in a write's transaction (`record.sql`),
//! the reader's list (`items.sql` + `list.sql`) and a live stream's batch (`items.sql` by
//! ids), read marks, settings, mutes, the mention lookup, and the background jobs' statements
//! (`jobs.rs`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::db::schema::{comment_mutes, comments, notification_settings, notifications};
use crate::events::Event;
use crate::ids::{ArticleId, CommentId, PredictionId, UserId};
use crate::notifications::NewNotification;

pub mod jobs;

/// The id and recipient of a notification just written.
#[derive(Debug, QueryableByName)]
struct Written {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: UserId,
}

/// Writes `notifications` in the caller's transaction, for the recipients who want them (see
/// `record.sql`: not the actor, not a kind switched off, not a reply under a muted comment,
/// not a mention of someone told of the same comment by a reply written with it), in one
/// statement, and returns one `notification` event per row written. The caller appends
/// those events with its own, in its one `events::queries::append` at the end of the
/// transaction, so a notification and its event commit with their cause or not at all.
#[tracing::instrument(level = "debug", skip_all, fields(notifications = notifications.len()))]
pub async fn record(
    conn: &mut AsyncPgConnection,
    notifications: &[NewNotification],
    now: DateTime<Utc>,
) -> QueryResult<Vec<Event>> {
    if notifications.is_empty() {
        return Ok(Vec::new());
    }
    let column = |f: fn(&NewNotification) -> Option<i64>| -> Vec<Option<i64>> {
        notifications.iter().map(f).collect()
    };
    let users: Vec<i64> = notifications.iter().map(|n| n.recipient.get()).collect();
    let kinds: Vec<&str> = notifications.iter().map(|n| n.kind.as_str()).collect();
    let data: Vec<String> = notifications.iter().map(|n| n.data.to_string()).collect();
    let written: Vec<Written> = cached(
        diesel::sql_query(include_str!("record.sql"))
            .bind::<Array<BigInt>, _>(users)
            .bind::<Array<Text>, _>(kinds)
            .bind::<Array<Nullable<BigInt>>, _>(column(|n| n.actor.map(UserId::get)))
            .bind::<Array<Nullable<BigInt>>, _>(column(|n| n.article_id.map(ArticleId::get)))
            .bind::<Array<Nullable<BigInt>>, _>(column(|n| n.comment_id.map(CommentId::get)))
            .bind::<Array<Nullable<BigInt>>, _>(column(|n| n.prediction_id.map(PredictionId::get)))
            .bind::<Array<Text>, _>(data)
            .bind::<Timestamptz, _>(now),
    )
    .load(conn)
    .await?;
    Ok(written
        .into_iter()
        .map(|w| Event::notification(w.user_id, w.id))
        .collect())
}

/// One notification with what its list entry shows.
#[derive(Debug, QueryableByName)]
pub struct NotificationRow {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// The kind, as stored.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// When the reader marked it read.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub read_at: Option<DateTime<Utc>>,
    /// The kind's facts, as JSON text.
    #[diesel(sql_type = Text)]
    pub data: String,
    /// Who caused it.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub actor_id: Option<UserId>,
    /// Their username.
    #[diesel(sql_type = Nullable<Text>)]
    pub actor_username: Option<String>,
    /// Their display name.
    #[diesel(sql_type = Nullable<Text>)]
    pub actor_display_name: Option<String>,
    /// The article, while live.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub article_id: Option<ArticleId>,
    /// Its slug.
    #[diesel(sql_type = Nullable<Text>)]
    pub article_slug: Option<String>,
    /// Its title.
    #[diesel(sql_type = Nullable<Text>)]
    pub article_title: Option<String>,
    /// The comment.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub comment_id: Option<CommentId>,
    /// Its Markdown (the first 2,000 characters), only while it is visible.
    #[diesel(sql_type = Nullable<Text>)]
    pub comment_text: Option<String>,
    /// The prediction.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub prediction_id: Option<PredictionId>,
    /// Its claim, only while its comment is visible.
    #[diesel(sql_type = Nullable<Text>)]
    pub prediction_claim: Option<String>,
}

/// A page of `user`'s notifications, newest first: `limit + 1` rows below the id `before`.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.get(), limit))]
pub async fn list(
    conn: &mut AsyncPgConnection,
    user: UserId,
    unread_only: bool,
    limit: i64,
    before: Option<i64>,
) -> QueryResult<Vec<NotificationRow>> {
    cached(
        diesel::sql_query(concat!(include_str!("items.sql"), include_str!("list.sql")))
            .bind::<BigInt, _>(user)
            .bind::<Bool, _>(unread_only)
            .bind::<BigInt, _>(limit + 1)
            .bind::<Nullable<BigInt>, _>(before),
    )
    .load(conn)
    .await
}

/// These notifications as their list entries show them (what a live stream's `notification`
/// event carries), in one statement for a batch of events.
#[tracing::instrument(level = "debug", skip_all, fields(notifications = ids.len()))]
pub async fn by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> QueryResult<Vec<NotificationRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    cached(
        diesel::sql_query(concat!(include_str!("items.sql"), "WHERE n.id = ANY($1)"))
            .bind::<Array<BigInt>, _>(ids),
    )
    .load(conn)
    .await
}

/// How many of `user`'s notifications are unread.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.get()))]
pub async fn unread_count(conn: &mut AsyncPgConnection, user: UserId) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
        .await
}

/// Which of `user`'s notifications a read mark covers.
#[derive(Debug, Clone)]
pub enum ReadMark {
    /// These ids (others' ids are ignored).
    Ids(Vec<i64>),
    /// Every id up to and including this one.
    UpTo(i64),
}

/// Marks `user`'s unread notifications of `mark` read at `now`; returns how many changed.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.get()))]
pub async fn mark_read(
    conn: &mut AsyncPgConnection,
    user: UserId,
    mark: &ReadMark,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let mine = notifications::table
        .filter(notifications::user_id.eq(user))
        .filter(notifications::read_at.is_null());
    match mark {
        ReadMark::Ids(ids) => {
            diesel::update(mine.filter(notifications::id.eq_any(ids)))
                .set(notifications::read_at.eq(now))
                .execute(conn)
                .await
        }
        ReadMark::UpTo(id) => {
            diesel::update(mine.filter(notifications::id.le(id)))
                .set(notifications::read_at.eq(now))
                .execute(conn)
                .await
        }
    }
}

/// A reader's stored choice for one kind; None is the kind's default.
#[derive(Debug, Clone, Queryable)]
pub struct StoredChoice {
    /// The kind, as stored.
    pub kind: String,
    /// In the app (None: on).
    pub in_app: Option<bool>,
    /// By mail, as stored (None: the kind's default).
    pub email: Option<String>,
}

/// The kinds `user` set; a kind absent takes its defaults.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.get()))]
pub async fn settings(
    conn: &mut AsyncPgConnection,
    user: UserId,
) -> QueryResult<Vec<StoredChoice>> {
    notification_settings::table
        .filter(notification_settings::user_id.eq(user))
        .select((
            notification_settings::kind,
            notification_settings::in_app,
            notification_settings::email,
        ))
        .load(conn)
        .await
}

/// Stores `user`'s choices (kind as stored, in-app and mail as given; None leaves a channel as
/// it was), in one statement.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.get()))]
pub async fn set_settings(
    conn: &mut AsyncPgConnection,
    user: UserId,
    choices: &[(&str, Option<bool>, Option<&str>)],
) -> QueryResult<()> {
    if choices.is_empty() {
        return Ok(());
    }
    let kinds: Vec<&str> = choices.iter().map(|c| c.0).collect();
    let in_app: Vec<Option<bool>> = choices.iter().map(|c| c.1).collect();
    let email: Vec<Option<&str>> = choices.iter().map(|c| c.2).collect();
    cached(
        diesel::sql_query(
            "INSERT INTO notification_settings AS s (user_id, kind, in_app, email) \
             SELECT $1, c.kind, c.in_app, c.email \
             FROM unnest($2::text[], $3::boolean[], $4::text[]) AS c(kind, in_app, email) \
             ON CONFLICT (user_id, kind) DO UPDATE SET \
             in_app = COALESCE(EXCLUDED.in_app, s.in_app), \
             email = COALESCE(EXCLUDED.email, s.email)",
        )
        .bind::<BigInt, _>(user)
        .bind::<Array<Text>, _>(kinds)
        .bind::<Array<Nullable<Bool>>, _>(in_app)
        .bind::<Array<Nullable<Text>>, _>(email),
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// Whether a comment with this id exists (in any state), for mutes.
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = id.get()))]
pub async fn comment_exists(conn: &mut AsyncPgConnection, id: CommentId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(comments::table.find(id)))
        .get_result(conn)
        .await
}

/// Mutes the subtree of `comment` for `user` (again: nothing changes).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.get(), comment_id = comment.get()))]
pub async fn mute(
    conn: &mut AsyncPgConnection,
    user: UserId,
    comment: CommentId,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(comment_mutes::table)
        .values((
            comment_mutes::user_id.eq(user),
            comment_mutes::comment_id.eq(comment),
            comment_mutes::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|_| ())
}

/// Lifts `user`'s mute of `comment` (none: nothing changes).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.get(), comment_id = comment.get()))]
pub async fn unmute(
    conn: &mut AsyncPgConnection,
    user: UserId,
    comment: CommentId,
) -> QueryResult<()> {
    diesel::delete(
        comment_mutes::table
            .filter(comment_mutes::user_id.eq(user))
            .filter(comment_mutes::comment_id.eq(comment)),
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// A user a comment mentions.
#[derive(Debug, Clone, QueryableByName)]
pub struct MentionedUser {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: UserId,
    /// Username as registered.
    #[diesel(sql_type = Text)]
    pub username: String,
}

/// The live accounts among `names` (lower case), in one statement.
#[tracing::instrument(level = "debug", skip_all, fields(names = names.len()))]
pub async fn users_named(
    conn: &mut AsyncPgConnection,
    names: &[String],
) -> QueryResult<Vec<MentionedUser>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    cached(
        diesel::sql_query(
            "SELECT id, username FROM users \
             WHERE lower(username) = ANY ($1) AND deleted_at IS NULL",
        )
        .bind::<Array<Text>, _>(names),
    )
    .load(conn)
    .await
}

/// Whether `user` was told of `comment` by a `reply` notification that was written (and is
/// still kept): an edit that newly @mentions the parent's author stands back for that reply
/// only then, so a reply that was never written (muted, switched off) cannot swallow it.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.get(), comment_id = comment.get()))]
pub async fn told_by_reply(
    conn: &mut AsyncPgConnection,
    user: UserId,
    comment: CommentId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        notifications::table
            .filter(notifications::user_id.eq(user))
            .filter(notifications::comment_id.eq(comment))
            .filter(notifications::kind.eq(crate::notifications::NotificationKind::Reply.as_str())),
    ))
    .get_result(conn)
    .await
}

/// How many mention notifications a comment has caused (what is left of its cap).
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = comment.get()))]
pub async fn mentions_of(conn: &mut AsyncPgConnection, comment: CommentId) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::comment_id.eq(comment))
        .filter(notifications::kind.eq(crate::notifications::NotificationKind::Mention.as_str()))
        .count()
        .get_result(conn)
        .await
}

/// The username of `user` while the account is live (None once deleted or unknown).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.get()))]
pub async fn live_username(
    conn: &mut AsyncPgConnection,
    user: UserId,
) -> QueryResult<Option<String>> {
    use crate::db::schema::users;
    users::table
        .find(user)
        .filter(users::deleted_at.is_null())
        .select(users::username)
        .first(conn)
        .await
        .optional()
}
