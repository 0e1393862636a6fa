//! Opaque keyset cursors and the `{items, next_cursor}` page shape used by every list.
//! A cursor is base64url JSON of the keyset position and of what it was made for (the list
//! and the sort), so one made for another list or sort is refused with a 422, never a 500.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct CursorData {
    /// The list the cursor belongs to, e.g. `tree:42`.
    l: String,
    /// The sort it was made for.
    s: String,
    /// The sort key of the last item.
    k: Value,
    /// The id of the last item (tie breaker).
    i: i64,
}

/// A decoded keyset position.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    /// The sort key of the last item of the previous page.
    pub key: Value,
    /// Its id.
    pub id: i64,
}

/// Makes the cursor that continues after (`key`, `id`) in `list` sorted by `sort`.
pub fn encode(list: &str, sort: &str, key: Value, id: i64) -> String {
    let data = CursorData {
        l: list.to_owned(),
        s: sort.to_owned(),
        k: key,
        i: id,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&data).unwrap_or_default())
}

fn bad_cursor(message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new("cursor", "invalid_cursor", message)])
}

/// Decodes a cursor, checking it was made for this list and sort.
pub fn decode(raw: &str, list: &str, sort: &str) -> Result<Cursor, ApiError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim_end_matches('='))
        .map_err(|_| bad_cursor("not a cursor this service made"))?;
    let data: CursorData =
        serde_json::from_slice(&bytes).map_err(|_| bad_cursor("not a cursor this service made"))?;
    if contains_nul(&data.k) {
        // PostgreSQL text cannot hold NUL: such a key could only come from a forged cursor.
        return Err(bad_cursor("not a cursor this service made"));
    }
    if data.l != list {
        return Err(bad_cursor("this cursor belongs to another list"));
    }
    if data.s != sort {
        return Err(bad_cursor("this cursor was made for another sort"));
    }
    Ok(Cursor {
        key: data.k,
        id: data.i,
    })
}

fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

/// Decodes an optional cursor.
pub fn decode_optional(
    raw: Option<&str>,
    list: &str,
    sort: &str,
) -> Result<Option<Cursor>, ApiError> {
    raw.filter(|r| !r.is_empty())
        .map(|r| decode(r, list, sort))
        .transpose()
}

/// A timestamp stored in a cursor key, within the years PostgreSQL and every client handle.
pub fn cursor_time(key: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::Datelike;
    key.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .filter(|t| (1..=9999).contains(&t.year()))
}

/// The `limit` (1–100, default 20) and `cursor` of a list request, checked together with any
/// failures already collected, so one 422 names every bad parameter.
pub fn page_request(
    mut errors: crate::error::FieldErrors,
    limit: Option<i64>,
    cursor: Option<&str>,
    list: &str,
    sort: &str,
) -> Result<(i64, Option<Cursor>), ApiError> {
    let limit = errors.check(bounded(limit, "limit", 20, 1, 100));
    let cursor = errors.check(decode_optional(cursor, list, sort).map_err(first_field));
    errors.finish()?;
    match (limit, cursor) {
        (Some(limit), Some(cursor)) => Ok((limit, cursor)),
        _ => Err(ApiError::internal(anyhow::anyhow!(
            "validated fields missing"
        ))),
    }
}

/// Ends a keyset page. Every list query asks for `limit + 1` rows: the extra one, when it
/// comes, only says that there is a next page. It is dropped, and the cursor is made from the
/// last row kept.
pub fn finish_page<T>(
    mut rows: Vec<T>,
    limit: i64,
    cursor_of: impl FnOnce(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => Some(cursor_of(last)),
        _ => None,
    };
    (rows, next_cursor)
}

/// Unwraps the single field error of a cursor problem so it can join the others.
pub fn first_field(error: ApiError) -> FieldError {
    match error {
        ApiError::Validation(mut errors) if !errors.is_empty() => errors.remove(0),
        _ => FieldError::new("cursor", "invalid_cursor", "not a valid cursor"),
    }
}

/// Checks an optional `limit`-like parameter against its range, or uses the default.
pub fn bounded(
    value: Option<i64>,
    field: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, FieldError> {
    match value {
        None => Ok(default),
        Some(v) if (min..=max).contains(&v) => Ok(v),
        Some(_) => Err(FieldError::new(
            field,
            "out_of_range",
            format!("must be between {min} and {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let raw = encode("tree:1", "new", Value::from("2026-01-01T00:00:00Z"), 42);
        let cursor = decode(&raw, "tree:1", "new").expect("valid");
        assert_eq!(cursor.id, 42);
        assert_eq!(cursor.key, Value::from("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn a_page_drops_its_look_ahead_row_and_continues_after_the_last_kept() {
        let (rows, next) = finish_page(vec![1, 2, 3], 2, |last| format!("after {last}"));
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(next.as_deref(), Some("after 2"));
        let (rows, next) = finish_page(vec![1, 2], 2, |last| format!("after {last}"));
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(next, None, "no look-ahead row: the last page");
        let (rows, next) = finish_page(Vec::<i32>::new(), 2, |_| unreachable!());
        assert!(rows.is_empty() && next.is_none());
    }

    #[test]
    fn cursors_carrying_nul_are_refused_naming_the_cursor() {
        let forged = encode("tree:1", "best", Value::from("a\0b"), 3);
        match decode(&forged, "tree:1", "best") {
            Err(ApiError::Validation(errors)) => {
                assert_eq!(errors[0].field, "cursor");
                assert_eq!(errors[0].code, "invalid_cursor");
            }
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn cursors_for_another_list_or_sort_are_refused() {
        let raw = encode("tree:1", "new", Value::from(1), 42);
        assert!(decode(&raw, "tree:2", "new").is_err());
        assert!(decode(&raw, "tree:1", "old").is_err());
        assert!(decode("%%%", "tree:1", "new").is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode(b"{}"), "tree:1", "new").is_err());
    }

    #[test]
    fn cursor_times_outside_sane_years_are_refused() {
        assert!(cursor_time(&Value::from("2026-01-01T00:00:00Z")).is_some());
        assert!(cursor_time(&Value::from("0000-01-01T00:00:00Z")).is_none());
        assert!(cursor_time(&Value::from("not a time")).is_none());
        assert!(cursor_time(&Value::from(5)).is_none());
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(bounded(None, "limit", 20, 1, 100).expect("default"), 20);
        assert_eq!(bounded(Some(100), "limit", 20, 1, 100).expect("max"), 100);
        assert_eq!(
            bounded(Some(0), "limit", 20, 1, 100)
                .expect_err("zero")
                .code,
            "out_of_range"
        );
        assert!(bounded(Some(101), "limit", 20, 1, 100).is_err());
    }
}
