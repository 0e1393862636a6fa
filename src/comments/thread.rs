//! The thread page as a reader sees it: the page's ids and rows come from
//! `comments::queries::reads` (one recursive statement, then the rows of those ids), and are
//! nested here into top-level comments with their replies, at most `PAGE_CAP` comments.

use std::collections::HashMap;

use crate::comments::model::{CommentRow, CommentView, TreeRow, ViewContext};
use crate::comments::queries::reads::{self, PAGE_CAP};
pub use crate::comments::queries::reads::{After, Scope, TreeShape};
use crate::comments::sort::Sort;

/// A tree page: the top-level comments with nested replies, and whether more top-level
/// comments follow (with the last row to build the cursor from).
pub struct TreePage {
    /// Top-level comments with their replies.
    pub items: Vec<CommentView>,
    /// The last top-level row, when another page follows.
    pub next_after: Option<CommentRow>,
}

/// Fetches one tree page.
pub async fn tree_page(
    conn: &mut diesel_async::AsyncPgConnection,
    scope: Scope,
    sort: Sort,
    shape: TreeShape,
    after: Option<After>,
    ctx: &ViewContext,
) -> diesel::QueryResult<TreePage> {
    let slots = reads::tree_slots(conn, scope, sort, shape, after).await?;
    let ids: Vec<i64> = slots.iter().filter(|s| !s.extra).map(|s| s.id).collect();
    let mut found: HashMap<i64, CommentRow> = reads::rows_by_ids(conn, &ids, ctx.viewer)
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
            state: crate::comments::state::CommentState::Visible,
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
