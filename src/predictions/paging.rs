//! The paging rules of the prediction list and the leaderboard: checking `limit`, `cursor` and
//! their filters, the list name a cursor is bound to, reading a cursor's keyset and making the
//! next one. The look-ahead row itself is `pagination::finish_page`'s.

use crate::error::{FieldError, FieldErrors};
use crate::ids::PredictionId;
use crate::pagination::{self, first_field, Cursor};
use crate::predictions::error::PredictionError;
use crate::predictions::model::PredictionListQuery;
use crate::predictions::queries::{BoardAfter, BoardRow, ListAfter, ListRow};
use crate::predictions::state::PredictionSort;
use crate::predictions::views::LeaderboardQuery;

/// The sort name leaderboard cursors are made for (there is one order).
const BOARD_SORT: &str = "brier";

/// A checked list request.
#[derive(Debug)]
pub struct ListPage {
    /// What cursors of this list are bound to (filters included).
    pub list: String,
    /// The order.
    pub sort: PredictionSort,
    /// Page size.
    pub limit: i64,
    /// Where the page starts.
    pub cursor: Option<Cursor>,
}

/// Checks `limit` and `cursor` of a list request (one 422 for both).
pub fn list_page(query: &PredictionListQuery) -> Result<ListPage, PredictionError> {
    let sort = query.sort.unwrap_or(PredictionSort::Newest);
    let list = format!(
        "predictions:{:?}:{}:{}",
        query.status,
        query.article.as_deref().unwrap_or(""),
        query.author.as_deref().unwrap_or("").to_lowercase()
    );
    let (limit, cursor) = pagination::page_request(
        FieldErrors::new(),
        query.limit,
        query.cursor.as_deref(),
        &list,
        sort.as_str(),
    )
    .map_err(PredictionError::from_validation)?;
    Ok(ListPage {
        list,
        sort,
        limit,
        cursor,
    })
}

fn invalid_cursor() -> PredictionError {
    PredictionError::invalid("cursor", "invalid_cursor", "not a valid cursor")
}

/// The keyset a list cursor carries: a time for `newest` and `closing_soon`, a count for
/// `most_forecasts` (a forged key is a 422).
pub fn list_after(sort: PredictionSort, cursor: &Cursor) -> Result<ListAfter, PredictionError> {
    let key = match sort {
        PredictionSort::MostForecasts => cursor
            .key
            .as_i64()
            .and_then(|v| i32::try_from(v).ok())
            .map(|v| v.to_string()),
        _ => pagination::cursor_time(&cursor.key).map(|t| t.to_rfc3339()),
    }
    .ok_or_else(invalid_cursor)?;
    Ok(ListAfter {
        key,
        id: PredictionId(cursor.id),
    })
}

/// The cursor that continues after `row`.
pub fn list_cursor(page: &ListPage, row: &ListRow) -> String {
    let prediction = &row.comment.prediction;
    let key = match page.sort {
        PredictionSort::ClosingSoon => serde_json::Value::from(
            prediction
                .prediction_resolves_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
        ),
        PredictionSort::Newest => serde_json::Value::from(row.prediction_created_at.to_rfc3339()),
        PredictionSort::MostForecasts => {
            serde_json::Value::from(prediction.prediction_forecasters.unwrap_or(0))
        }
    };
    let id = prediction.prediction_id.map_or(0, PredictionId::get);
    pagination::encode(&page.list, page.sort.as_str(), key, id)
}

/// A checked leaderboard request.
#[derive(Debug)]
pub struct BoardPage {
    /// What cursors of this leaderboard are bound to (scope and minimum included).
    pub list: String,
    /// Page size.
    pub limit: i64,
    /// Minimum scored forecasts in scope.
    pub min_scored: i32,
    /// Where the page starts.
    pub cursor: Option<Cursor>,
}

/// Checks `limit`, `min_resolved`, the scope (article or tag, not both) and `cursor` of a
/// leaderboard request, naming every failing field in one 422, in that order.
pub fn board_page(query: &LeaderboardQuery) -> Result<BoardPage, PredictionError> {
    let mut errors = FieldErrors::new();
    let limit = errors.check(pagination::bounded(query.limit, "limit", 20, 1, 100));
    let min = errors.check(pagination::bounded(
        query.min_resolved,
        "min_resolved",
        5,
        1,
        1000,
    ));
    if query.article.is_some() && query.tag.is_some() {
        errors.push(FieldError::new(
            "tag",
            "not_allowed",
            "give article or tag, not both",
        ));
    }
    let list = format!(
        "leaderboard:{}:{}:{}",
        query.article.as_deref().unwrap_or(""),
        query.tag.as_deref().unwrap_or(""),
        query.min_resolved.unwrap_or(5)
    );
    let cursor = errors.check(
        pagination::decode_optional(query.cursor.as_deref(), &list, BOARD_SORT)
            .map_err(first_field),
    );
    errors.finish().map_err(PredictionError::from_validation)?;
    let (Some(limit), Some(min), Some(cursor)) = (limit, min, cursor) else {
        return Err(PredictionError::bug("validated fields missing"));
    };
    Ok(BoardPage {
        list,
        limit,
        min_scored: i32::try_from(min).unwrap_or(5),
        cursor,
    })
}

/// The keyset a leaderboard cursor carries: (mean Brier as text, −scored, username).
pub fn board_after(cursor: &Cursor) -> Result<BoardAfter, PredictionError> {
    let parts = cursor.key.as_array().cloned().unwrap_or_default();
    let (Some(mean), Some(neg), Some(name)) = (
        <[serde_json::Value]>::first(&parts)
            .and_then(serde_json::Value::as_str)
            .and_then(|text| text.parse::<f64>().ok())
            .filter(|mean| mean.is_finite()),
        parts.get(1).and_then(serde_json::Value::as_i64),
        parts.get(2).and_then(serde_json::Value::as_str),
    ) else {
        return Err(invalid_cursor());
    };
    Ok(BoardAfter {
        mean_brier: mean,
        neg_scored: neg,
        username: name.to_owned(),
    })
}

/// The cursor that continues after `row`.
pub fn board_cursor(page: &BoardPage, row: &BoardRow) -> String {
    pagination::encode(
        &page.list,
        BOARD_SORT,
        // The mean as text: Rust prints the shortest string that parses back to the same
        // f64, while a JSON number may come back one unit lower (serde_json's fast float
        // parser), which would return the same row forever.
        serde_json::json!([row.mean_brier.to_string(), -row.scored, row.username]),
        row.user_id.get(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    #[test]
    fn board_cursors_round_trip_their_keyset_exactly() {
        let page = BoardPage {
            list: "leaderboard:::5".into(),
            limit: 20,
            min_scored: 5,
            cursor: None,
        };
        let row = BoardRow {
            user_id: UserId(7),
            username: "minji".into(),
            display_name: None,
            scored: 12,
            mean_brier: 0.1 + 0.2,
            mean_relative: 0.0,
        };
        let raw = board_cursor(&page, &row);
        let cursor = pagination::decode(&raw, &page.list, BOARD_SORT).expect("valid");
        let after = board_after(&cursor).expect("keyset");
        assert_eq!(after.mean_brier, row.mean_brier);
        assert_eq!((after.neg_scored, after.username.as_str()), (-12, "minji"));
        assert_eq!(cursor.id, 7);
    }

    #[test]
    fn list_cursors_with_the_wrong_key_type_are_refused() {
        let cursor = Cursor {
            key: serde_json::Value::from("not a time"),
            id: 1,
        };
        assert!(list_after(PredictionSort::Newest, &cursor).is_err());
        let count = Cursor {
            key: serde_json::Value::from(3),
            id: 1,
        };
        let after = list_after(PredictionSort::MostForecasts, &count).expect("a count");
        assert_eq!(after.key, "3");
    }
}
