//! Rules of comments that need no database: rendering a body within its cost bounds, and the
//! problems a write in a locked thread answers.

use crate::error::{ApiError, FieldError};

/// A comment body rendered to HTML, or the 422 entry for one too costly to render.
pub fn render_body(text: &str) -> Result<String, FieldError> {
    crate::articles::markdown::render(text).map_err(|refusal| refusal.field_error("body"))
}

/// The 403 for writing in a locked thread (its problem type names the lock).
pub fn thread_locked(reason: Option<String>) -> ApiError {
    let mut extra = serde_json::Map::new();
    extra.insert("lock_reason".to_owned(), serde_json::Value::from(reason));
    ApiError::Forbidden {
        kind: crate::error::ProblemKind::ThreadLocked,
        detail: "this thread is locked: no new comments, replies or edits".to_owned(),
        code: None,
        extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_too_costly_to_render_names_the_body() {
        assert!(render_body("**fine**").is_ok());
        let error = render_body(&">".repeat(100)).expect_err("too deep");
        assert_eq!(
            (error.field.as_str(), error.code.as_str()),
            ("body", "too_complex")
        );
    }

    #[test]
    fn a_locked_thread_problem_carries_its_reason() {
        match thread_locked(Some("heated".into())) {
            ApiError::Forbidden { kind, extra, .. } => {
                assert_eq!(kind, crate::error::ProblemKind::ThreadLocked);
                assert_eq!(extra["lock_reason"], "heated");
            }
            other => panic!("expected a 403, got {other:?}"),
        }
    }
}
