//! The one statement a signed-in page makes on top of the shared anonymous page
//! (`comments::overlay`): the reader's own data for the ids on that page.

use diesel::sql_types::{Array, BigInt, Bool, Nullable, SmallInt};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::ids::UserId;

/// What differs for the reader on one comment.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct OwnRow {
    /// The comment.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// The reader's vote (0: none), as `comment_rows.sql` gives it.
    #[diesel(sql_type = SmallInt)]
    pub my_vote: i16,
    /// The reader's forecast on the comment's prediction, in whole percent.
    #[diesel(sql_type = Nullable<SmallInt>)]
    pub my_percent: Option<i16>,
    /// The reader wrote it and a moderator removed it: they see more than the anonymous page
    /// shows (text, reason, claim), so the page is rendered for them instead.
    #[diesel(sql_type = Bool)]
    pub privileged: bool,
}

const OWN: &str = "\
SELECT c.id, coalesce(v.value, 0)::smallint AS my_vote, mf.percent AS my_percent,
       (c.author_id = $1 AND (c.state = 'removed' OR c.removal_reason IS NOT NULL)) AS privileged
  FROM comments c
  LEFT JOIN comment_votes v ON v.comment_id = c.id AND v.user_id = $1
  LEFT JOIN predictions p ON p.comment_id = c.id
  LEFT JOIN forecasts mf ON mf.prediction_id = p.id AND mf.user_id = $1
 WHERE c.id = ANY($2)";

/// The reader's votes and forecasts (and privileged rows) on `ids`, one row per id.
#[tracing::instrument(level = "debug", skip_all, fields(ids = ids.len()))]
pub async fn own(
    conn: &mut AsyncPgConnection,
    viewer: UserId,
    ids: &[i64],
) -> diesel::QueryResult<Vec<OwnRow>> {
    cached(
        diesel::sql_query(OWN)
            .bind::<BigInt, _>(viewer.get())
            .bind::<Array<BigInt>, _>(ids),
    )
    .load(conn)
    .await
}
