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
