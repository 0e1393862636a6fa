//! Moderation's wire types: the request bodies of each action, the reports as moderators see
//! them, and the report states (`ReportAction`, `ReportStatus`) as enums rather than strings.

use chrono::{DateTime, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::model::PublicUser;
use crate::comments::model::CommentView;

/// `POST /comments/{id}/removal`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RemovalRequest {
    /// Why (1–500 characters); public in the log.
    pub reason: String,
}

/// `PUT /articles/{slug}/lock`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LockRequest {
    /// true locks, false unlocks.
    pub locked: bool,
    /// Why (required when locking); public on the article and in the log.
    pub reason: Option<String>,
}

/// `PUT /comments/{id}/pin`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PinRequest {
    /// true pins, false unpins.
    pub pinned: bool,
}

/// `POST /users/{username}/ban`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BanRequest {
    /// Why (1–500 characters); shown to the user.
    pub reason: String,
    /// When it lapses (in the future); absent for a permanent ban.
    pub expires_at: Option<DateTime<Utc>>,
    /// Also remove all their comments (one action in the log).
    #[serde(default)]
    pub remove_content: bool,
}

/// `POST /comments/{id}/reports`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"reason": "Personal attack on another reader."}))]
pub struct ReportRequest {
    /// Why (1–500 characters).
    pub reason: String,
}

/// A report as filed (what the reporter gets back).
#[derive(Debug, Serialize, ToSchema)]
pub struct FiledReport {
    /// Id.
    pub id: i64,
    /// The comment reported.
    pub comment_id: i64,
    /// Why.
    pub reason: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// One report as moderators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// Id.
    pub id: i64,
    /// Who reported (moderators see it, to spot report abuse).
    pub reporter: PublicUser,
    /// Why.
    pub reason: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// How a group of reports was resolved.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResolutionView {
    /// dismiss or remove.
    #[schema(value_type = String)]
    pub action: ReportAction,
    /// Why.
    pub reason: String,
    /// Who resolved them.
    pub resolved_by: PublicUser,
    /// When.
    pub resolved_at: DateTime<Utc>,
}

/// The reports on one comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportGroup {
    /// The comment, as moderators see it.
    pub comment: CommentView,
    /// Reports in this group.
    pub report_count: i64,
    /// The first report's time.
    pub first_reported_at: DateTime<Utc>,
    /// The last report's time.
    pub last_reported_at: DateTime<Utc>,
    /// The reports, oldest first.
    pub reports: Vec<ReportView>,
    /// How they were resolved; null while open.
    pub resolution: Option<ReportResolutionView>,
}

// Stored as text in `report_resolutions.action` (under `report_resolutions_action_check`) and
// read back as the enum, so an unknown value fails loudly instead of reaching the wire. (The
// doc comment below is the OpenAPI description; it stays as clients have always seen it.)
/// The moderator's decision on a comment's open reports.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema, AsExpression, FromSqlRow,
)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
pub enum ReportAction {
    /// Nothing wrong: close the reports.
    Dismiss,
    /// Remove the comment and close the reports.
    Remove,
}

impl ReportAction {
    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dismiss => "dismiss",
            Self::Remove => "remove",
        }
    }

    /// The action stored as `text`; `None` for text the check constraint refuses.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Dismiss, Self::Remove]
            .into_iter()
            .find(|a| a.as_str() == text)
    }
}

impl ToSql<Text, Pg> for ReportAction {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
    }
}

impl FromSql<Text, Pg> for ReportAction {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
        Self::parse(&text).ok_or_else(|| format!("unknown report action {text:?}").into())
    }
}

/// `POST /reports/{comment_id}/resolution`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReportResolutionRequest {
    /// dismiss or remove.
    pub action: ReportAction,
    /// Why (1–500 characters); public in the log.
    pub reason: String,
}

/// Open or resolved report groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportStatus {
    /// Awaiting a moderator, most reported first.
    Open,
    /// Resolved, newest first.
    Resolved,
}

impl ReportStatus {
    /// The list name cursors of this status are made for (cursors already handed out carry
    /// it, so it must not change).
    pub fn cursor_list(self) -> &'static str {
        match self {
            Self::Open => "reports:Open",
            Self::Resolved => "reports:Resolved",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_actions_round_trip_through_their_stored_text() {
        for action in [ReportAction::Dismiss, ReportAction::Remove] {
            assert_eq!(ReportAction::parse(action.as_str()), Some(action));
            let json = serde_json::to_value(action).expect("serialises");
            assert_eq!(json, action.as_str());
        }
        assert_eq!(ReportAction::parse("ignore"), None);
    }

    #[test]
    fn the_check_constraint_lists_every_report_action() {
        let migration = include_str!("../../migrations/2026-11-28-000005_moderation/up.sql");
        for action in [ReportAction::Dismiss, ReportAction::Remove] {
            assert!(migration.contains(&format!("'{}'", action.as_str())));
        }
    }

    #[test]
    fn cursor_lists_keep_their_historical_names() {
        assert_eq!(ReportStatus::Open.cursor_list(), "reports:Open");
        assert_eq!(ReportStatus::Resolved.cursor_list(), "reports:Resolved");
    }
}
