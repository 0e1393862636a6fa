//! Roles: what a user may do beyond reading and writing their own content.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user's role; `admin` can do all a moderator can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everyone starts here.
    Reader,
    /// Removes, locks, pins, bans, resolves predictions.
    Moderator,
    /// Everything a moderator can, plus role changes and article management.
    Admin,
}

impl Role {
    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Moderator => "moderator",
            Self::Admin => "admin",
        }
    }

    /// Moderators and admins.
    pub fn is_moderator(self) -> bool {
        matches!(self, Self::Moderator | Self::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "reader" => Ok(Self::Reader),
            "moderator" => Ok(Self::Moderator),
            "admin" => Ok(Self::Admin),
            other => Err(format!("`{other}` is not one of reader, moderator, admin")),
        }
    }
}

/// Reads a stored role; the database's CHECK constraint keeps it valid, and anything else is
/// treated as the least privileged role rather than failing the request.
pub fn stored_role(value: &str) -> Role {
    value.parse().unwrap_or(Role::Reader)
}
