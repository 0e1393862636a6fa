//! The read statements of threads: which comment ids form a page (tree, flat, a user's), and
//! the rows of those ids. Splitting "which ids" from "their rows" keeps both statements cheap to
//! plan: as one statement the joins made PostgreSQL spend ~5 ms planning each request, longer
//! than it ran. The statement texts live in `.sql` files beside this one; what varies per
//! request (sort column, scope, cursor) is chosen from fixed fragments here, never from input.

use std::collections::HashMap;

use diesel::sql_types::{Array, BigInt, Bool, Integer, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::comments::model::CommentRow;
use crate::comments::sort::Sort;
use crate::db::cached;
use crate::ids::{ArticleId, CommentId, UserId};

const TREE_PAGE: &str = include_str!("tree_page.sql");
const TREE_PINNED: &str = include_str!("tree_pinned.sql");
const COMMENT_ROWS: &str = include_str!("comment_rows.sql");

/// Listed: live, removed (a removed comment always stays as a placeholder), or deleted with
/// live descendants.
pub const LISTED: &str = "(c.state <> 'deleted' OR c.descendant_count > 0)";

/// At most this many comments in one tree page.
pub const PAGE_CAP: i64 = 500;

/// Whose children form the page's top level.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// The top-level comments of an article.
    Article(i64),
    /// The direct replies of a comment.
    Replies(i64),
}

/// The shape of a tree page.
#[derive(Debug, Clone, Copy)]
pub struct TreeShape {
    /// Top-level comments per page.
    pub limit: i64,
    /// Levels returned, the top level included.
    pub depth: i32,
    /// Children per comment.
    pub replies_limit: i64,
}

/// A keyset position, as text for the sort's cast, and the id.
#[derive(Debug, Clone)]
pub struct After {
    /// The sort key.
    pub key: String,
    /// The id.
    pub id: i64,
}

/// One id of a tree page, with its level (1 = top) and whether it is the look-ahead row.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct Slot {
    /// The comment id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// 1 for the page's top level.
    #[diesel(sql_type = Integer)]
    pub level: i32,
    /// The look-ahead top-level row: another page follows, and this row is not shown.
    #[diesel(sql_type = Bool)]
    pub extra: bool,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The column a sort orders by (each has its indexes).
fn sort_column(sort: Sort) -> &'static str {
    match sort {
        Sort::Best => "c.rank_best",
        Sort::Top => "c.score",
        Sort::New | Sort::Old => "c.created_at",
        Sort::Controversial => "c.rank_controversial",
        Sort::Hot => "c.rank_hot",
    }
}

/// ORDER BY over the comments alias `c`; ties broken by id in the same direction.
pub fn order_by(sort: Sort) -> String {
    let direction = if sort.ascending() { "ASC" } else { "DESC" };
    format!("{} {direction}, c.id {direction}", sort_column(sort))
}

/// Rows strictly after the cursor: `key` (bound as text, cast here) and `id` are placeholders.
pub fn keyset_after(sort: Sort, key: &str, id: &str) -> String {
    let op = if sort.ascending() { ">" } else { "<" };
    format!(
        "({}, c.id) {op} ({key}::{}, {id})",
        sort_column(sort),
        sort.key_cast()
    )
}

/// The comment-rows statement: `extra_columns` (starting with a comma) and `extra_joins` add
/// to the shown columns, `tail` selects and orders, and the reader's id is `$viewer`.
pub fn comment_rows_sql(
    extra_columns: &str,
    extra_joins: &str,
    tail: &str,
    viewer: usize,
) -> String {
    COMMENT_ROWS
        .replace("{extra_columns}", extra_columns)
        .replace("{extra_joins}", extra_joins)
        .replace("{where}", tail)
        .replace("{viewer}", &format!("${viewer}"))
}

fn tree_sql(scope: Scope, sort: Sort, after: bool) -> String {
    let scope_filter = match scope {
        // Pinned top-level comments are left out of the sorted pages…
        Scope::Article(_) => "c.article_id = $1 AND c.parent_id IS NULL AND c.pinned_at IS NULL",
        Scope::Replies(_) => "c.parent_id = $1",
    };
    let keyset = if after {
        format!("AND {}", keyset_after(sort, "$6", "$7"))
    } else {
        String::new()
    };
    // …and put first on the first page of an article.
    let pinned = match (scope, after) {
        (Scope::Article(_), false) => TREE_PINNED,
        _ => "",
    };
    TREE_PAGE
        .replace("{pinned}", pinned)
        .replace("{scope}", scope_filter)
        .replace("{keyset}", &keyset)
        .replace("{order}", &order_by(sort))
        .replace("{listed}", LISTED)
}

/// The ids of one tree page with their levels, in generation order.
pub async fn tree_slots(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    sort: Sort,
    shape: TreeShape,
    after: Option<After>,
) -> diesel::QueryResult<Vec<Slot>> {
    let scope_id = match scope {
        Scope::Article(id) | Scope::Replies(id) => id,
    };
    let mut query = diesel::sql_query(tree_sql(scope, sort, after.is_some()))
        .into_boxed()
        .bind::<BigInt, _>(scope_id)
        .bind::<BigInt, _>(shape.limit)
        .bind::<Integer, _>(shape.depth)
        .bind::<BigInt, _>(shape.replies_limit)
        .bind::<BigInt, _>(PAGE_CAP);
    if let Some(after) = after {
        query = query.bind::<Text, _>(after.key).bind::<BigInt, _>(after.id);
    }
    cached(query).load(conn).await
}

/// Every column of the comments with these ids, in the order of `ids`, in one statement whose
/// generic plan (a nested loop of primary-key lookups) is prepared once per connection.
pub async fn rows_by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
    viewer: Option<UserId>,
) -> diesel::QueryResult<Vec<CommentRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = comment_rows_sql("", "", "WHERE c.id = ANY($1)", 2);
    let mut rows: Vec<CommentRow> = cached(
        diesel::sql_query(sql)
            .bind::<Array<BigInt>, _>(ids)
            .bind::<BigInt, _>(viewer.map_or(0, UserId::get)),
    )
    .load(conn)
    .await?;
    let position: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|r| position.get(&r.id).copied().unwrap_or(usize::MAX));
    Ok(rows)
}

/// The first-page tree query of an article with its parameters written in, for running the
/// service's own SQL under pgbench (`hindsight-bench bench-sql`).
pub fn tree_sql_literal(article_id: i64, sort: Sort, shape: TreeShape) -> String {
    tree_sql(Scope::Article(article_id), sort, false)
        .replace("$5", &PAGE_CAP.to_string())
        .replace("$4", &shape.replies_limit.to_string())
        .replace("$3", &shape.depth.to_string())
        .replace("$2", &shape.limit.to_string())
        .replace("$1", &article_id.to_string())
}

/// The rows statement for these ids with its parameters written in (`hindsight-bench bench-sql`).
pub fn rows_sql_literal(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    comment_rows_sql("", "", "WHERE c.id = ANY($1)", 2)
        .replace("$2", "0")
        .replace("$1", &format!("'{{{}}}'::bigint[]", list.join(",")))
}

/// The ids (in page order) of an article's first tree page, run as literal SQL.
pub async fn first_page_ids(
    conn: &mut AsyncPgConnection,
    article_id: i64,
    sort: Sort,
    shape: TreeShape,
) -> diesel::QueryResult<Vec<i64>> {
    let slots: Vec<Slot> = diesel::sql_query(tree_sql_literal(article_id, sort, shape))
        .load(conn)
        .await?;
    Ok(slots
        .into_iter()
        .filter(|s| !s.extra)
        .map(|s| s.id)
        .collect())
}

/// Runs an ids statement (`$1` the owner, `$2` the limit, `$3`/`$4` the cursor) and reads the
/// rows of what it found.
async fn ids_then_rows(
    conn: &mut AsyncPgConnection,
    sql: String,
    owner: i64,
    limit: i64,
    after: Option<After>,
    viewer: Option<UserId>,
) -> diesel::QueryResult<Vec<CommentRow>> {
    let mut query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<BigInt, _>(owner)
        .bind::<BigInt, _>(limit);
    if let Some(after) = after {
        query = query.bind::<Text, _>(after.key).bind::<BigInt, _>(after.id);
    }
    let ids: Vec<Id> = cached(query).load(conn).await?;
    let ids: Vec<i64> = ids.into_iter().map(|r| r.id).collect();
    rows_by_ids(conn, &ids, viewer).await
}

fn keyset_clause(sort: Sort, after: &Option<After>) -> String {
    if after.is_some() {
        format!("AND {}", keyset_after(sort, "$3", "$4"))
    } else {
        String::new()
    }
}

/// Every listed comment of an article, flat, one page.
pub async fn flat_page(
    conn: &mut AsyncPgConnection,
    article_id: ArticleId,
    sort: Sort,
    limit: i64,
    after: Option<After>,
    viewer: Option<UserId>,
) -> diesel::QueryResult<Vec<CommentRow>> {
    let sql = format!(
        "SELECT c.id FROM comments c \
         WHERE c.article_id = $1 AND {LISTED} {} ORDER BY {} LIMIT $2",
        keyset_clause(sort, &after),
        order_by(sort)
    );
    ids_then_rows(conn, sql, article_id.get(), limit, after, viewer).await
}

/// One comment of a live article.
pub async fn find_comment(
    conn: &mut AsyncPgConnection,
    id: CommentId,
    viewer: Option<UserId>,
) -> diesel::QueryResult<Option<CommentRow>> {
    let rows = rows_by_ids(conn, &[id.get()], viewer).await?;
    Ok(rows.into_iter().next().filter(|row| row.article_live))
}

/// A user's live comments on live articles, newest first.
pub async fn user_comments(
    conn: &mut AsyncPgConnection,
    author_id: UserId,
    limit: i64,
    after: Option<After>,
    viewer: Option<UserId>,
) -> diesel::QueryResult<Vec<CommentRow>> {
    let sql = format!(
        "SELECT c.id FROM comments c JOIN articles a ON a.id = c.article_id \
         WHERE c.author_id = $1 AND c.state = 'visible' AND a.deleted_at IS NULL {} \
         ORDER BY {} LIMIT $2",
        keyset_clause(Sort::New, &after),
        order_by(Sort::New)
    );
    ids_then_rows(conn, sql, author_id.get(), limit, after, viewer).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sort_breaks_ties_by_id() {
        assert_eq!(order_by(Sort::Top), "c.score DESC, c.id DESC");
        assert_eq!(order_by(Sort::Old), "c.created_at ASC, c.id ASC");
        assert_eq!(
            keyset_after(Sort::Hot, "$6", "$7"),
            "(c.rank_hot, c.id) < ($6::float8, $7)"
        );
    }

    #[test]
    fn every_placeholder_of_the_templates_is_filled() {
        for sort in [
            Sort::Best,
            Sort::Top,
            Sort::New,
            Sort::Old,
            Sort::Controversial,
            Sort::Hot,
        ] {
            for scope in [Scope::Article(1), Scope::Replies(1)] {
                for after in [false, true] {
                    let sql = tree_sql(scope, sort, after);
                    assert!(!sql.contains('{'), "{sql}");
                }
            }
        }
        assert!(!comment_rows_sql("", "", "WHERE TRUE", 2).contains('{'));
    }
}
