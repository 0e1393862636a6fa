//! The public moderation log: one row per moderator action (and per role change or prediction
//! resolution), written in the action's own transaction by [`record`], read by
//! `GET /api/v1/modlog`. Actions are the [`Action`] enum, stored as text under the
//! `mod_actions_action_check` constraint, so an action the code does not know cannot be stored.

pub mod queries;
pub mod routes;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{ArticleId, CommentId, PredictionId, UserId};

pub use queries::record;

/// What a moderator did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A comment removed.
    RemoveComment,
    /// A removed comment restored.
    RestoreComment,
    /// A thread locked.
    LockArticle,
    /// A thread unlocked.
    UnlockArticle,
    /// A comment pinned.
    PinComment,
    /// A comment unpinned.
    UnpinComment,
    /// A user banned.
    BanUser,
    /// A ban lifted.
    UnbanUser,
    /// The open reports of a comment resolved.
    ResolveReports,
    /// A role changed (from the API or `hindsight set-role`).
    ChangeRole,
    /// A prediction resolved.
    ResolvePrediction,
}

impl Action {
    /// Every action, in the order the documentation lists them.
    pub const ALL: [Action; 11] = [
        Self::RemoveComment,
        Self::RestoreComment,
        Self::LockArticle,
        Self::UnlockArticle,
        Self::PinComment,
        Self::UnpinComment,
        Self::BanUser,
        Self::UnbanUser,
        Self::ResolveReports,
        Self::ChangeRole,
        Self::ResolvePrediction,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RemoveComment => "remove_comment",
            Self::RestoreComment => "restore_comment",
            Self::LockArticle => "lock_article",
            Self::UnlockArticle => "unlock_article",
            Self::PinComment => "pin_comment",
            Self::UnpinComment => "unpin_comment",
            Self::BanUser => "ban_user",
            Self::UnbanUser => "unban_user",
            Self::ResolveReports => "resolve_reports",
            Self::ChangeRole => "change_role",
            Self::ResolvePrediction => "resolve_prediction",
        }
    }

    /// The action stored as `text`; `None` for text no version of the code wrote.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// Lock or unlock.
    pub fn lock(locked: bool) -> Self {
        if locked {
            Self::LockArticle
        } else {
            Self::UnlockArticle
        }
    }

    /// Pin or unpin.
    pub fn pin(pinned: bool) -> Self {
        if pinned {
            Self::PinComment
        } else {
            Self::UnpinComment
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One log row to write; what does not apply stays `None`.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Who (None from the command line).
    pub moderator_id: Option<UserId>,
    /// What.
    pub action: Action,
    /// Article target.
    pub article_id: Option<ArticleId>,
    /// Comment target.
    pub comment_id: Option<CommentId>,
    /// User target.
    pub target_user_id: Option<UserId>,
    /// Prediction target.
    pub prediction_id: Option<PredictionId>,
    /// Why.
    pub reason: Option<&'a str>,
    /// Ban expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Entry<'_> {
    /// An entry for `action` by `moderator_id`, every target empty.
    pub fn new(action: Action, moderator_id: Option<UserId>) -> Self {
        Self {
            moderator_id,
            action,
            article_id: None,
            comment_id: None,
            target_user_id: None,
            prediction_id: None,
            reason: None,
            expires_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_through_their_stored_text() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
            let json = serde_json::to_value(action).expect("serialises");
            assert_eq!(json, action.as_str());
        }
        assert_eq!(Action::parse("delete_everything"), None);
    }

    #[test]
    fn the_check_constraint_lists_every_action() {
        let migration =
            include_str!("../../../migrations/2026-12-01-000007_mod_log_actions/up.sql");
        for action in Action::ALL {
            assert!(migration.contains(&format!("'{action}'")), "{action}");
        }
    }
}
