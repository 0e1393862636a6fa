//! Reading threads: one query per page. The tree page is a recursive CTE with a LATERAL
//! top-k per parent over the (parent_id, sort key, id) indexes, cut at the page cap by the
//! outer LIMIT (PostgreSQL evaluates a recursive CTE only as far as it is read, level by
//! level), so a page's cost does not grow with the size of the thread.

use std::collections::HashMap;

use diesel::sql_types::{Array, BigInt, Bool, Integer, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::comments::model::{
    with_viewer, CommentRow, CommentView, TreeRow, ViewContext, COMMENT_COLUMNS, COMMENT_JOINS,
    LISTED,
};
use crate::comments::sort::Sort;
use crate::db::cached;

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

/// A tree page: the top-level comments with nested replies, and whether more top-level
/// comments follow (with the last row to build the cursor from).
pub struct TreePage {
    /// Top-level comments with their replies.
    pub items: Vec<CommentView>,
    /// The last top-level row, when another page follows.
    pub next_after: Option<CommentRow>,
}

fn tree_sql(scope: Scope, sort: Sort, after: bool) -> String {
    let scope_filter = match scope {
        // Pinned top-level comments are left out of the sorted pages…
        Scope::Article(_) => "c.article_id = $1 AND c.parent_id IS NULL AND c.pinned_at IS NULL",
        Scope::Replies(_) => "c.parent_id = $1",
    };
    let keyset = if after {
        format!("AND {}", sort.after("$6", "$7"))
    } else {
        String::new()
    };
    // …and put first on the first page of an article, earliest pinned first.
    let pinned = match (scope, after) {
        (Scope::Article(_), false) => format!(
            "(SELECT c.id, 0 AS grp, row_number() OVER (ORDER BY c.pinned_at, c.id) AS rn \
              FROM comments c WHERE c.article_id = $1 AND c.parent_id IS NULL \
                AND c.pinned_at IS NOT NULL AND {LISTED} ORDER BY c.pinned_at, c.id) UNION ALL "
        ),
        _ => String::new(),
    };
    let order = sort.order_by();
    let sql = format!(
        "WITH RECURSIVE top AS ( \
            {pinned} \
            (SELECT c.id, 1 AS grp, row_number() OVER (ORDER BY {order}) AS rn \
             FROM comments c WHERE {scope_filter} AND {LISTED} {keyset} \
             ORDER BY {order} LIMIT $2 + 1) \
         ), tree(id, level, extra) AS ( \
            SELECT id, 1, grp = 1 AND rn > $2 FROM top \
            UNION ALL \
            SELECT ch.id, t.level + 1, false FROM tree t \
            CROSS JOIN LATERAL ( \
                SELECT c.id FROM comments c WHERE c.parent_id = t.id AND {LISTED} \
                ORDER BY {order} LIMIT $4 \
            ) ch \
            WHERE t.level < $3 AND NOT t.extra \
         ), picked AS ( \
            SELECT id, level, extra, row_number() OVER () AS ord FROM tree LIMIT $5 + 1 \
         ) \
         SELECT picked.id, picked.level, picked.extra FROM picked ORDER BY picked.ord"
    );
    sql
}

/// Every column of the comments with these ids, in one statement whose generic plan (a
/// nested loop of primary-key lookups) is prepared once per connection. Splitting the page
/// into "which ids" and "their rows" keeps both statements cheap to plan: as one statement
/// the joins made PostgreSQL spend ~5 ms planning each request, longer than it ran.
pub async fn rows_by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
    viewer: Option<i64>,
) -> diesel::QueryResult<Vec<CommentRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = with_viewer(
        &format!("SELECT {COMMENT_COLUMNS} FROM comments c {COMMENT_JOINS} WHERE c.id = ANY($1)"),
        2,
    );
    let mut rows: Vec<CommentRow> = cached(
        diesel::sql_query(sql)
            .bind::<Array<BigInt>, _>(ids)
            .bind::<BigInt, _>(viewer.unwrap_or(0)),
    )
    .load(conn)
    .await?;
    let position: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|r| position.get(&r.id).copied().unwrap_or(usize::MAX));
    Ok(rows)
}

#[derive(QueryableByName)]
struct Slot {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Integer)]
    level: i32,
    #[diesel(sql_type = Bool)]
    extra: bool,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The first-page tree query of an article with its parameters written in, for running the
/// service's own SQL under pgbench (`hindsight bench-sql`).
pub fn tree_sql_literal(article_id: i64, sort: Sort, shape: TreeShape) -> String {
    tree_sql(Scope::Article(article_id), sort, false)
        .replace("$5", &PAGE_CAP.to_string())
        .replace("$4", &shape.replies_limit.to_string())
        .replace("$3", &shape.depth.to_string())
        .replace("$2", &shape.limit.to_string())
        .replace("$1", &article_id.to_string())
}

/// The rows statement for these ids with its parameters written in (`hindsight bench-sql`).
pub fn rows_sql_literal(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("SELECT {COMMENT_COLUMNS} FROM comments c {COMMENT_JOINS} WHERE c.id = ANY($1)")
        .replace("{viewer}", "0")
        .replace("$1", &format!("'{{{}}}'::bigint[]", list.join(",")))
}

/// The ids (in page order) of an article's first tree page.
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

/// Fetches one tree page.
pub async fn tree_page(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    sort: Sort,
    shape: TreeShape,
    after: Option<After>,
    ctx: &ViewContext,
) -> diesel::QueryResult<TreePage> {
    let viewer = ctx.viewer;
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
    let slots: Vec<Slot> = cached(query).load(conn).await?;
    let ids: Vec<i64> = slots.iter().filter(|s| !s.extra).map(|s| s.id).collect();
    let mut found: HashMap<i64, CommentRow> = rows_by_ids(conn, &ids, viewer)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let rows = slots
        .into_iter()
        .filter_map(|slot| {
            let comment = if slot.extra {
                None
            } else {
                Some(found.remove(&slot.id)?)
            };
            Some(TreeRow {
                comment,
                level: slot.level,
                extra: slot.extra,
            })
        })
        .collect();
    Ok(assemble(rows, ctx))
}

/// Builds the nested page from rows in generation order (each level after the one above,
/// siblings in sort order), keeping at most `PAGE_CAP` comments.
fn assemble(rows: Vec<TreeRow>, ctx: &ViewContext) -> TreePage {
    let mut has_more = false;
    let mut kept: Vec<TreeRow> = Vec::with_capacity(rows.len());
    for row in rows {
        if row.extra {
            has_more = true;
        } else if kept.len() < usize::try_from(PAGE_CAP).unwrap_or(usize::MAX) {
            kept.push(row);
        }
    }
    let next_after = if has_more {
        kept.iter()
            .rev()
            .filter_map(|r| r.comment.as_ref().filter(|_| r.level == 1))
            .find(|c| c.pinned_at.is_none())
            .cloned()
    } else {
        None
    };
    // Deepest level first (a stable sort keeps arrival order within a level), so every
    // comment's replies are complete before it is placed under its own parent.
    kept.sort_by_key(|r| std::cmp::Reverse(r.level));
    let mut children: HashMap<i64, Vec<CommentView>> = HashMap::new();
    let mut top_level: Vec<CommentView> = Vec::new();
    for row in kept {
        let Some(comment) = row.comment else { continue };
        let (level, parent) = (row.level, comment.parent_id);
        let mut view = CommentView::from_row(comment, ctx);
        view.replies = children.remove(&view.id).unwrap_or_default();
        view.more_replies -= i64::try_from(view.replies.len()).unwrap_or(0);
        match parent {
            Some(parent) if level > 1 => children.entry(parent).or_default().push(view),
            _ => top_level.push(view),
        }
    }
    TreePage {
        items: top_level,
        next_after,
    }
}

/// Every listed comment of an article, flat, one page.
pub async fn flat_page(
    conn: &mut AsyncPgConnection,
    article_id: i64,
    sort: Sort,
    limit: i64,
    after: Option<After>,
    viewer: Option<i64>,
) -> diesel::QueryResult<Vec<CommentRow>> {
    let keyset = if after.is_some() {
        format!("AND {}", sort.after("$3", "$4"))
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT c.id FROM comments c \
         WHERE c.article_id = $1 AND {LISTED} {keyset} ORDER BY {} LIMIT $2",
        sort.order_by()
    );
    let mut query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<BigInt, _>(article_id)
        .bind::<BigInt, _>(limit);
    if let Some(after) = after {
        query = query.bind::<Text, _>(after.key).bind::<BigInt, _>(after.id);
    }
    let ids: Vec<Id> = cached(query).load(conn).await?;
    let ids: Vec<i64> = ids.into_iter().map(|r| r.id).collect();
    rows_by_ids(conn, &ids, viewer).await
}

/// One comment of a live article.
pub async fn find_comment(
    conn: &mut AsyncPgConnection,
    id: i64,
    viewer: Option<i64>,
) -> diesel::QueryResult<Option<CommentRow>> {
    let rows = rows_by_ids(conn, &[id], viewer).await?;
    Ok(rows.into_iter().next().filter(|row| row.article_live))
}

/// A user's live comments on live articles, newest first.
pub async fn user_comments(
    conn: &mut AsyncPgConnection,
    author_id: i64,
    limit: i64,
    after: Option<After>,
    viewer: Option<i64>,
) -> diesel::QueryResult<Vec<CommentRow>> {
    let keyset = if after.is_some() {
        format!("AND {}", Sort::New.after("$3", "$4"))
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT c.id FROM comments c JOIN articles a ON a.id = c.article_id \
         WHERE c.author_id = $1 AND c.state = 'visible' AND a.deleted_at IS NULL {keyset} \
         ORDER BY {} LIMIT $2",
        Sort::New.order_by()
    );
    let mut query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<BigInt, _>(author_id)
        .bind::<BigInt, _>(limit);
    if let Some(after) = after {
        query = query.bind::<Text, _>(after.key).bind::<BigInt, _>(after.id);
    }
    let ids: Vec<Id> = cached(query).load(conn).await?;
    let ids: Vec<i64> = ids.into_iter().map(|r| r.id).collect();
    rows_by_ids(conn, &ids, viewer).await
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::predictions::model::PredictionCols;

    fn epoch() -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).expect("a valid instant")
    }

    /// A visible comment with `listed` live replies in the database (whether or not the page
    /// carries them).
    fn comment(id: i64, parent: Option<i64>, listed: i32) -> CommentRow {
        CommentRow {
            id,
            article_id: 1,
            article_slug: "a-slug".to_owned(),
            article_title: "A title".to_owned(),
            parent_id: parent,
            depth: 0,
            author_id: 100 + id,
            author_username: format!("author{id}"),
            author_display_name: None,
            body: format!("comment {id}"),
            body_html: format!("<p>comment {id}</p>\n"),
            state: "visible".to_owned(),
            created_at: epoch(),
            edited_at: None,
            reply_count: listed,
            descendant_count: listed,
            placeholder_children: 0,
            upvotes: 0,
            downvotes: 0,
            score: 0,
            rank_best: 0.0,
            rank_controversial: 0.0,
            rank_hot: 0.0,
            my_vote: 0,
            author_scored_forecasts: None,
            author_brier_sum: None,
            removal_reason: None,
            pinned_at: None,
            article_live: true,
            prediction: PredictionCols {
                prediction_id: None,
                prediction_claim: None,
                prediction_criteria: None,
                prediction_resolves_at: None,
                prediction_outcome: None,
                prediction_resolved_at: None,
                prediction_note: None,
                prediction_evidence_url: None,
                prediction_forecasters: None,
                prediction_community: None,
                prediction_author_percent: None,
                prediction_my_percent: None,
            },
        }
    }

    fn at(level: i32, row: CommentRow) -> TreeRow {
        TreeRow {
            comment: Some(row),
            level,
            extra: false,
        }
    }

    /// The look-ahead row the query adds when another top-level comment follows.
    fn look_ahead() -> TreeRow {
        TreeRow {
            comment: None,
            level: 1,
            extra: true,
        }
    }

    fn build(rows: Vec<TreeRow>) -> TreePage {
        let ctx = ViewContext {
            viewer: None,
            moderator: false,
            now: epoch(),
        };
        assemble(rows, &ctx)
    }

    /// The page as `id[more_replies](replies…)`, nested, for compact comparisons.
    fn shape(items: &[CommentView]) -> String {
        items
            .iter()
            .map(|c| {
                let mut s = format!("{}[{}]", c.id, c.more_replies);
                if !c.replies.is_empty() {
                    s.push_str(&format!("({})", shape(&c.replies)));
                }
                s
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn rows_in_generation_order_nest_under_their_parents_in_arrival_order() {
        // Two top-level comments; the query yields level by level, siblings in sort order,
        // with the children of different parents interleaved.
        let page = build(vec![
            at(1, comment(1, None, 2)),
            at(1, comment(2, None, 1)),
            at(2, comment(12, Some(1), 1)),
            at(2, comment(21, Some(2), 0)),
            at(2, comment(11, Some(1), 0)),
            at(3, comment(121, Some(12), 0)),
        ]);
        assert_eq!(shape(&page.items), "1[0](12[0](121[0]) 11[0]) 2[0](21[0])");
        assert!(page.next_after.is_none(), "no look-ahead row, no next page");
    }

    #[test]
    fn replies_left_out_of_the_page_are_counted_as_more_replies() {
        // 1 has five listed replies of which replies_limit let two through; 11 sits at the
        // depth cut-off with three replies of its own (the "continue this thread" link), and
        // 12 has one live reply and one placeholder child, neither on the page.
        let mut with_placeholder = comment(12, Some(1), 1);
        with_placeholder.placeholder_children = 1;
        let page = build(vec![
            at(1, comment(1, None, 5)),
            at(2, comment(11, Some(1), 3)),
            at(2, with_placeholder),
        ]);
        assert_eq!(shape(&page.items), "1[3](11[3] 12[2])");
        assert!(page.items[0].replies[0].replies.is_empty());
    }

    #[test]
    fn a_look_ahead_row_makes_the_last_top_level_comment_the_cursor() {
        let page = build(vec![
            at(1, comment(1, None, 1)),
            at(1, comment(2, None, 1)),
            look_ahead(),
            at(2, comment(11, Some(1), 0)),
            at(2, comment(21, Some(2), 0)),
        ]);
        assert_eq!(
            shape(&page.items),
            "1[0](11[0]) 2[0](21[0])",
            "the look-ahead row is not a comment"
        );
        let next = page.next_after.expect("another page follows");
        assert_eq!(next.id, 2, "the last top-level comment, not the last row");
    }

    #[test]
    fn pinned_comments_are_never_the_cursor() {
        let mut pinned = comment(9, None, 0);
        pinned.pinned_at = Some(epoch());
        let page = build(vec![
            at(1, pinned.clone()),
            at(1, comment(1, None, 0)),
            look_ahead(),
        ]);
        assert_eq!(shape(&page.items), "9[0] 1[0]");
        assert!(page.items[0].pinned);
        assert_eq!(page.next_after.expect("next page").id, 1);

        // A page of pinned comments only has no cursor to give.
        let page = build(vec![at(1, pinned), look_ahead()]);
        assert!(page.next_after.is_none());
    }

    #[test]
    fn the_page_keeps_at_most_page_cap_comments_and_counts_the_rest() {
        let cap = usize::try_from(PAGE_CAP).expect("small");
        let listed = i32::try_from(cap + 100).expect("small");
        let mut rows = vec![at(1, comment(1, None, listed))];
        rows.extend((0..i64::from(listed)).map(|i| at(2, comment(1000 + i, Some(1), 0))));
        let page = build(rows);
        assert_eq!(page.items.len(), 1);
        let root = &page.items[0];
        assert_eq!(
            root.replies.len(),
            cap - 1,
            "the root takes one of the slots"
        );
        assert_eq!(root.replies[0].id, 1000, "the first rows are the ones kept");
        assert_eq!(
            root.more_replies,
            i64::from(listed) - i64::try_from(cap - 1).expect("small")
        );
    }

    #[test]
    fn a_reply_whose_parent_is_not_on_the_page_is_left_out() {
        // 5's parent (4) is not among the rows (it vanished between the two queries): the
        // reply must not surface as a top-level comment.
        let page = build(vec![
            at(1, comment(1, None, 0)),
            at(2, comment(5, Some(4), 0)),
        ]);
        assert_eq!(shape(&page.items), "1[0]");
    }

    #[test]
    fn the_top_level_of_a_replies_page_has_a_parent_and_stays_on_top() {
        // `Scope::Replies`: the page's level 1 are replies of the comment being continued.
        let page = build(vec![
            at(1, comment(31, Some(3), 1)),
            at(1, comment(32, Some(3), 0)),
            at(2, comment(311, Some(31), 0)),
        ]);
        assert_eq!(shape(&page.items), "31[0](311[0]) 32[0]");
        assert_eq!(page.items[0].parent_id, Some(3));
    }

    #[test]
    fn an_empty_page_is_empty() {
        let page = build(Vec::new());
        assert!(page.items.is_empty());
        assert!(page.next_after.is_none());
    }
}
