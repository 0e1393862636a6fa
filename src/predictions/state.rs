//! The codes a prediction carries, as enums instead of strings compared in many places: the
//! resolution's [`Outcome`] (stored as `text` in `predictions.outcome`), the [`Status`] a reader
//! sees, and the sort and status filter of the list. Their wire and stored spellings are the
//! ones the API has always used.

use std::io::Write as _;

use chrono::{DateTime, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The outcome a resolution gives.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema, AsExpression, FromSqlRow,
)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It happened.
    Yes,
    /// It did not.
    No,
    /// It cannot be judged (not scored).
    Void,
}

impl Outcome {
    /// Every outcome, so parsing cannot forget one.
    pub const ALL: [Outcome; 3] = [Self::Yes, Self::No, Self::Void];

    /// Stored spelling (also the wire spelling, and the word in the log's "resolved …").
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Void => "void",
        }
    }

    /// The outcome stored as `text`; `None` for text no version of the code wrote.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// Whether the outcome is scored (yes or no); void predictions are not.
    pub fn is_scored(self) -> bool {
        self != Self::Void
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ToSql<Text, Pg> for Outcome {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.as_str().as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<Text, Pg> for Outcome {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
        Self::parse(&text).ok_or_else(|| format!("unknown prediction outcome {text:?}").into())
    }
}

/// Where a prediction is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Taking forecasts.
    Open,
    /// Past its deadline, awaiting resolution.
    Closed,
    /// Resolved yes or no.
    Resolved,
    /// Resolved void (not scored).
    Void,
}

/// The status at `now`.
pub fn status(resolves_at: DateTime<Utc>, outcome: Option<Outcome>, now: DateTime<Utc>) -> Status {
    match outcome {
        Some(Outcome::Void) => Status::Void,
        Some(_) => Status::Resolved,
        None if now >= resolves_at => Status::Closed,
        None => Status::Open,
    }
}

/// Order of the prediction list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PredictionSort {
    /// Earliest deadline first.
    ClosingSoon,
    /// Newest first.
    Newest,
    /// Most forecasters first.
    MostForecasts,
}

impl PredictionSort {
    /// The wire spelling, also what a cursor records as the sort it was made for.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClosingSoon => "closing_soon",
            Self::Newest => "newest",
            Self::MostForecasts => "most_forecasts",
        }
    }
}

/// Status filter of the prediction list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    /// Taking forecasts.
    Open,
    /// Past the deadline, unresolved: the moderators' resolution queue.
    Closed,
    /// Resolved yes or no.
    Resolved,
    /// Resolved void.
    Void,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_deadline_and_outcome() {
        let deadline = Utc::now();
        let before = deadline - chrono::Duration::seconds(1);
        assert_eq!(status(deadline, None, before), Status::Open);
        assert_eq!(status(deadline, None, deadline), Status::Closed);
        assert_eq!(
            status(deadline, Some(Outcome::Yes), before),
            Status::Resolved
        );
        assert_eq!(status(deadline, Some(Outcome::Void), before), Status::Void);
    }

    #[test]
    fn outcomes_round_trip_through_their_stored_spelling() {
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(Outcome::parse("maybe"), None);
        assert!(Outcome::No.is_scored() && !Outcome::Void.is_scored());
    }
}
