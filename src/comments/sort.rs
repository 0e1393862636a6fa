//! Comment sorts: each maps to an ORDER BY that an index serves and a keyset predicate (the SQL
//! fragments are in `comments::queries::reads`), and to the cursor key of a row. Ties are always broken by id (descending, ascending for `old`).

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::comments::model::CommentRow;

/// How siblings are ordered at every level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Lower bound of the Wilson interval of the upvote fraction (the tree's default).
    Best,
    /// Score (up − down) descending.
    Top,
    /// Newest first (the flat view's default).
    New,
    /// Oldest first.
    Old,
    /// Many votes, evenly split.
    Controversial,
    /// Score decaying with age (a stored rank refreshed every minute for recent comments).
    Hot,
}

/// How a sort's key is bound into the keyset predicate.
enum KeyKind {
    Time,
    Integer,
    Float,
}

impl Sort {
    /// The spelling used in cursors and query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Best => "best",
            Self::Top => "top",
            Self::New => "new",
            Self::Old => "old",
            Self::Controversial => "controversial",
            Self::Hot => "hot",
        }
    }

    fn kind(self) -> KeyKind {
        match self {
            Self::New | Self::Old => KeyKind::Time,
            Self::Top => KeyKind::Integer,
            Self::Best | Self::Controversial | Self::Hot => KeyKind::Float,
        }
    }

    /// Whether the sort runs oldest/lowest first (only `old`).
    pub fn ascending(self) -> bool {
        self == Self::Old
    }

    /// The SQL type a cursor key (bound as text) is cast to.
    pub fn key_cast(self) -> &'static str {
        match self.kind() {
            KeyKind::Time => "timestamptz",
            KeyKind::Integer => "integer",
            KeyKind::Float => "float8",
        }
    }

    /// The cursor key of a row (its sort value).
    pub fn key_of(self, row: &CommentRow) -> Value {
        match self {
            Self::New | Self::Old => Value::from(
                row.created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
            Self::Top => Value::from(row.score),
            // Text keeps every bit of the float (Rust prints the shortest exact form).
            Self::Best => Value::from(row.rank_best.to_string()),
            Self::Controversial => Value::from(row.rank_controversial.to_string()),
            Self::Hot => Value::from(row.rank_hot.to_string()),
        }
    }

    /// Reads the key of a cursor back as the text bound into the keyset predicate, refusing
    /// anything PostgreSQL's cast could reject (a hand-made cursor must be a 422, not a 500).
    pub fn key_text(self, key: &Value) -> Option<String> {
        match self.kind() {
            KeyKind::Time => crate::pagination::cursor_time(key)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            KeyKind::Integer => key
                .as_i64()
                .and_then(|v| i32::try_from(v).ok())
                .map(|v| v.to_string()),
            KeyKind::Float => key
                .as_str()
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .map(|v| v.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_keys_round_trip_exactly_and_junk_is_refused() {
        let value = 0.401_351_842_556_209_7_f64;
        let text = Sort::Best
            .key_text(&Value::from(value.to_string()))
            .expect("valid");
        assert_eq!(text.parse::<f64>().expect("float"), value);
        assert!(Sort::Best.key_text(&Value::from("NaN")).is_none());
        assert!(Sort::Top.key_text(&Value::from(1_i64 << 40)).is_none());
        assert!(Sort::Top.key_text(&Value::from("3")).is_none());
    }
}
