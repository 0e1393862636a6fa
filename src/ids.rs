//! Ids of the main entities as distinct types, so that a comment id cannot be passed where a
//! user id is expected. Each is an `i64` on the wire (serde transparent) and a `BIGINT` in
//! PostgreSQL (Diesel `ToSql`/`FromSql`), so neither the API nor the schema changes.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            Serialize, Deserialize, AsExpression, FromSqlRow,
        )]
        #[diesel(sql_type = BigInt)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The number, for the wire types and cursors that carry plain integers.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ToSql<BigInt, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <i64 as ToSql<BigInt, Pg>>::to_sql(&self.0, out)
            }
        }

        impl FromSql<BigInt, Pg> for $name {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                <i64 as FromSql<BigInt, Pg>>::from_sql(bytes).map(Self)
            }
        }
    };
}

id_type!(
    /// A user (`users.id`).
    UserId
);
id_type!(
    /// An article (`articles.id`).
    ArticleId
);
id_type!(
    /// A comment (`comments.id`).
    CommentId
);
id_type!(
    /// A prediction (`predictions.id`).
    PredictionId
);
id_type!(
    /// A report (`reports.id`).
    ReportId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_numbers_on_the_wire() {
        let id = CommentId(42);
        assert_eq!(serde_json::to_string(&id).expect("serializes"), "42");
        let back: CommentId = serde_json::from_str("42").expect("parses");
        assert_eq!(back, id);
        assert_eq!(i64::from(UserId::from(7)), 7);
    }
}
