//! Turning serde's messages into the field errors a 422 lists, and the JSON-path helpers with
//! which `parse_json` patches a failing value to find the next one.

use crate::error::FieldError;

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum PathStep {
    Key(String),
    Index(usize),
}

pub(super) fn path_steps(path: &serde_path_to_error::Path) -> Vec<PathStep> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Map { key } => Some(PathStep::Key(key.clone())),
            Segment::Seq { index } => Some(PathStep::Index(*index)),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// `prediction.claim`, `tags[2]`; empty for the document itself.
pub(super) fn path_text(steps: &[PathStep]) -> String {
    let mut text = String::new();
    for step in steps {
        match step {
            PathStep::Key(key) if text.is_empty() => text.push_str(key),
            PathStep::Key(key) => {
                text.push('.');
                text.push_str(key);
            }
            PathStep::Index(index) => text.push_str(&format!("[{index}]")),
        }
    }
    text
}

/// Puts `stand_in` at `steps` (creating the last key of an object); false when the path does
/// not lead anywhere (nothing more can be learned then).
pub(super) fn set_at(
    value: &mut serde_json::Value,
    steps: &[PathStep],
    stand_in: serde_json::Value,
) -> bool {
    let Some((last, parents)) = steps.split_last() else {
        return false;
    };
    let mut node = value;
    for step in parents {
        let next = match step {
            PathStep::Key(key) => node.get_mut(key.as_str()),
            PathStep::Index(index) => node.get_mut(*index),
        };
        let Some(next) = next else {
            return false;
        };
        node = next;
    }
    match (last, node) {
        (PathStep::Key(key), serde_json::Value::Object(map)) => {
            map.insert(key.clone(), stand_in);
            true
        }
        (PathStep::Index(index), serde_json::Value::Array(items)) if *index < items.len() => {
            items[*index] = stand_in;
            true
        }
        _ => false,
    }
}

/// The field a `missing field `x`` message names.
pub(super) fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field)
}

/// Messages chrono gives for a string that is not an RFC 3339 timestamp.
const TIMESTAMP_ERRORS: &[&str] = &[
    "input contains invalid characters",
    "premature end of input",
    "input is out of range",
    "trailing input",
    "input is not enough for unique date and time",
    "no possible date and time matching input",
    "bad or unsupported format string",
];

fn is_timestamp_error(message: &str) -> bool {
    TIMESTAMP_ERRORS.iter().any(|m| message.starts_with(m))
}

/// A value of the type serde's message says it expected, to stand in for a failing one.
pub(super) fn stand_in(message: &str) -> serde_json::Value {
    use serde_json::{json, Value};
    if is_timestamp_error(message) {
        return json!("2000-01-01T00:00:00Z");
    }
    let expected = message
        .split_once("expected ")
        .map_or("", |(_, expected)| expected);
    if let Some(variant) = expected
        .strip_prefix("one of `")
        .or_else(|| expected.strip_prefix('`'))
        .and_then(|rest| rest.split_once('`'))
        .map(|(variant, _)| variant)
    {
        return json!(variant);
    }
    if expected.contains("RFC 3339") || expected.contains("timestamp") {
        return json!("2000-01-01T00:00:00Z");
    }
    if expected.contains("string") || expected.contains("char") {
        Value::from("")
    } else if expected.contains("bool") {
        Value::from(false)
    } else if expected.starts_with('f') || expected.contains("float") {
        Value::from(0.5)
    } else if expected.starts_with('i') || expected.starts_with('u') || expected.contains("integer")
    {
        Value::from(0)
    } else if expected.contains("sequence") || expected.contains("array") {
        json!([])
    } else if expected.contains("struct") || expected.contains("map") || expected.contains("object")
    {
        json!({})
    } else {
        Value::Null
    }
}

/// Turns a serde message at `path` into a field error: `missing field `x`` names `path.x`.
pub(super) fn shape_error(path: &str, message: &str) -> FieldError {
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head)
        .to_owned();
    let base = if path == "." || path.is_empty() {
        ""
    } else {
        path
    };
    if let Some(missing) = missing_field(&message) {
        let field = if base.is_empty() {
            missing.to_owned()
        } else {
            format!("{base}.{missing}")
        };
        return FieldError::new(field, "required", format!("{missing} is required"));
    }
    let field = if base.is_empty() { "body" } else { base };
    if is_timestamp_error(&message) {
        return FieldError::new(
            field,
            "invalid_format",
            "not an RFC 3339 timestamp (e.g. 2030-01-31T18:00:00Z)",
        );
    }
    let code = if message.starts_with("unknown variant") {
        "invalid_value"
    } else {
        "invalid_type"
    };
    // serde quotes the offending value (`invalid type: string "hunter2…"`); never echo it,
    // it may be a password.
    let message = match message.split_once("expected ") {
        Some((_, expected)) => format!("wrong type or value: expected {expected}"),
        None => "wrong type or value".to_owned(),
    };
    FieldError::new(field, code, message)
}
