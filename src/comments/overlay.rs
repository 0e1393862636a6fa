//! A signed-in thread page without re-running the page query (issue 19): the shared anonymous
//! page (from the page cache) with the reader's own data patched in for the ids on it, read by
//! one small statement (`queries::overlay`). What a signed-in page adds to the anonymous one
//! is exactly `my_vote` (null → the vote, 0 for none) and `prediction.my_probability`; a page
//! holding the reader's own removed comment (they see its text) is rendered for them instead.

use std::collections::HashMap;

use serde_json::Value;

use crate::comments::error::CommentError;
use crate::comments::queries::overlay::{own, OwnRow};
use crate::db::DbPool;
use crate::ids::UserId;
use crate::predictions::scoring::probability;

/// The anonymous `body` as `viewer` sees it, or `None` when it must be rendered for them.
pub async fn overlay(
    pool: &DbPool,
    viewer: UserId,
    body: &[u8],
) -> Result<Option<Vec<u8>>, CommentError> {
    let json = |e: serde_json::Error| CommentError::internal(e.into());
    let mut page: Value = serde_json::from_slice(body).map_err(json)?;
    let mut ids = Vec::new();
    collect_ids(&page, &mut ids);
    let rows = if ids.is_empty() {
        Vec::new()
    } else {
        let mut conn = pool.get().await?;
        own(&mut conn, viewer, &ids)
            .await
            .map_err(CommentError::at("reading the reader's votes and forecasts"))?
    };
    if !apply(&mut page, rows) {
        return Ok(None);
    }
    serde_json::to_vec(&page).map(Some).map_err(json)
}

/// The ids of every comment in a page (`items`, nested `replies`) or a single comment.
pub fn collect_ids(value: &Value, ids: &mut Vec<i64>) {
    if let Some(id) = value
        .get("my_vote")
        .and(value.get("id"))
        .and_then(Value::as_i64)
    {
        ids.push(id);
    }
    for key in ["items", "replies"] {
        if let Some(children) = value.get(key).and_then(Value::as_array) {
            for child in children {
                collect_ids(child, ids);
            }
        }
    }
}

/// Patches the reader's rows in; false when one of them needs a full render.
pub fn apply(page: &mut Value, rows: Vec<OwnRow>) -> bool {
    if rows.iter().any(|r| r.privileged) {
        return false;
    }
    let own: HashMap<i64, OwnRow> = rows.into_iter().map(|r| (r.id, r)).collect();
    patch(page, &own);
    true
}

fn patch(value: &mut Value, own: &HashMap<i64, OwnRow>) {
    let id = value.get("id").and_then(Value::as_i64);
    if let (Some(id), Some(object)) = (id, value.as_object_mut()) {
        if object.contains_key("my_vote") {
            let row = own.get(&id);
            object.insert("my_vote".into(), row.map_or(0, |r| r.my_vote).into());
            if let Some(prediction) = object.get_mut("prediction").and_then(Value::as_object_mut) {
                let mine = row.and_then(|r| r.my_percent).map(probability);
                prediction.insert("my_probability".into(), mine.into());
            }
        }
    }
    for key in ["items", "replies"] {
        if let Some(children) = value.get_mut(key).and_then(Value::as_array_mut) {
            for child in children {
                patch(child, own);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(id: i64, my_vote: i16, my_percent: Option<i16>) -> OwnRow {
        OwnRow {
            id,
            my_vote,
            my_percent,
            privileged: false,
        }
    }

    #[test]
    fn votes_and_forecasts_are_patched_in_at_every_depth() {
        let mut page = json!({"items": [
            {"id": 1, "my_vote": null, "prediction": null, "replies": [
                {"id": 2, "my_vote": null, "prediction": {"id": 9, "my_probability": null}, "replies": []}
            ]},
            {"id": 3, "my_vote": null, "prediction": null, "replies": []}
        ], "next_cursor": null});
        let mut ids = Vec::new();
        collect_ids(&page, &mut ids);
        assert_eq!(ids, vec![1, 2, 3]);
        assert!(apply(
            &mut page,
            vec![row(1, 1, None), row(2, -1, Some(40)), row(3, 0, None)]
        ));
        assert_eq!(page["items"][0]["my_vote"], 1);
        assert_eq!(page["items"][0]["replies"][0]["my_vote"], -1);
        assert_eq!(
            page["items"][0]["replies"][0]["prediction"]["my_probability"],
            0.4
        );
        assert_eq!(page["items"][1]["my_vote"], 0);
    }

    #[test]
    fn a_single_comment_is_patched_and_a_privileged_row_asks_for_a_render() {
        let mut one = json!({"id": 5, "my_vote": null, "prediction": null, "replies": []});
        assert!(apply(&mut one, vec![row(5, -1, None)]));
        assert_eq!(one["my_vote"], -1);
        let mut removed = json!({"id": 6, "my_vote": null, "replies": []});
        let mut own = row(6, 0, None);
        own.privileged = true;
        assert!(!apply(&mut removed, vec![own]));
    }
}
