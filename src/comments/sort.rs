//! Comment sorts: each maps to an ORDER BY that an index serves, a keyset predicate and the
//! cursor key of a row. Ties are always broken by id (descending, ascending for `old`).

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::comments::model::CommentRow;

/// How siblings are ordered at every level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Newest first.
    New,
    /// Oldest first.
    Old,
}

impl Sort {
    /// The spelling used in cursors and query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Old => "old",
        }
    }

    /// ORDER BY over the comments alias `c`.
    pub fn order_by(self) -> &'static str {
        match self {
            Self::New => "c.created_at DESC, c.id DESC",
            Self::Old => "c.created_at ASC, c.id ASC",
        }
    }

    /// Rows strictly after the cursor: `$key` (text, cast here) and `$id` are placeholders.
    pub fn after(self, key: &str, id: &str) -> String {
        match self {
            Self::New => format!("(c.created_at, c.id) < ({key}::timestamptz, {id})"),
            Self::Old => format!("(c.created_at, c.id) > ({key}::timestamptz, {id})"),
        }
    }

    /// The cursor key of a row (its sort value as text).
    pub fn key_of(self, row: &CommentRow) -> Value {
        match self {
            Self::New | Self::Old => Value::from(
                row.created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
        }
    }

    /// Reads the key of a cursor back as the text bound into the keyset predicate, refusing
    /// anything PostgreSQL's cast could reject (a hand-made cursor must be a 422, not a 500).
    pub fn key_text(self, key: &Value) -> Option<String> {
        match self {
            Self::New | Self::Old => crate::pagination::cursor_time(key)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        }
    }
}
