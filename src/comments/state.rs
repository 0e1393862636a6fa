//! The codes of comments as enums instead of strings compared in many places: a comment's
//! [`CommentState`] (stored as `text` in `comments.state`, under a CHECK constraint) and the
//! [`VoteOutcome`] the `r.vote` SQL function answers. Their stored spellings are the ones the
//! database has always held, so no migration is needed.

use std::io::Write as _;

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;

/// Where a comment is in its life: the rules of writes, removals and views all branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum CommentState {
    /// Live: shown, counted, open to replies, votes and edits.
    Visible,
    /// Erased by its author: text and history gone; a placeholder while it has live replies.
    Deleted,
    /// Hidden by a moderator: a placeholder for readers, restorable.
    Removed,
}

impl CommentState {
    /// Every state, so parsing cannot forget one.
    pub const ALL: [CommentState; 3] = [Self::Visible, Self::Deleted, Self::Removed];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visible => "visible",
            Self::Deleted => "deleted",
            Self::Removed => "removed",
        }
    }

    /// The state stored as `text`; `None` for text no version of the code wrote.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the comment is live (neither deleted nor removed).
    pub fn is_live(self) -> bool {
        self == Self::Visible
    }
}

impl std::fmt::Display for CommentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ToSql<Text, Pg> for CommentState {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.as_str().as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<Text, Pg> for CommentState {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
        Self::parse(&text).ok_or_else(|| format!("unknown comment state {text:?}").into())
    }
}

/// What the `r.vote` SQL function answered (src/db/replaceable.sql): the vote was stored, or
/// why not. Only `Ok` carries meaningful counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub enum VoteOutcome {
    /// Stored (or unchanged: the same value twice).
    Ok,
    /// No comment with this id, or its article is deleted.
    NotFound,
    /// The voter wrote the comment.
    Own,
    /// The comment is deleted or removed.
    NotLive,
}

impl VoteOutcome {
    /// Every outcome, so parsing cannot forget one.
    pub const ALL: [VoteOutcome; 4] = [Self::Ok, Self::NotFound, Self::Own, Self::NotLive];

    /// The spelling `r.vote` returns.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NotFound => "not_found",
            Self::Own => "own",
            Self::NotLive => "not_live",
        }
    }

    /// The outcome as `r.vote` spells it; `None` for a code this build does not know.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

impl FromSql<Text, Pg> for VoteOutcome {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
        Self::parse(&text).ok_or_else(|| format!("unknown vote outcome {text:?}").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_stored_spelling() {
        for state in CommentState::ALL {
            assert_eq!(CommentState::parse(state.as_str()), Some(state));
        }
        assert_eq!(CommentState::parse("hidden"), None);
        assert!(CommentState::Visible.is_live());
        assert!(!CommentState::Removed.is_live() && !CommentState::Deleted.is_live());
    }

    #[test]
    fn vote_outcomes_round_trip_through_their_spelling() {
        for outcome in VoteOutcome::ALL {
            assert_eq!(VoteOutcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(VoteOutcome::parse("maybe"), None);
    }
}
