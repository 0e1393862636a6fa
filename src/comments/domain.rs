//! Rules of comments that need no database: rendering a body within its cost bounds, and the
//! value of a vote. (The refusals of a locked thread and of states read under lock are
//! `CommentError` variants, raised by the transactions in `write`.)

use crate::comments::error::CommentError;
use crate::error::FieldError;

/// A comment body rendered to HTML, or the 422 entry for one too costly to render: rendering
/// is bounded so that a crafted body cannot stall a worker.
pub fn render_body(text: &str) -> Result<String, FieldError> {
    crate::articles::markdown::render(text).map_err(|refusal| refusal.field_error("body"))
}

/// A comment body rendered with its `@mentions` of existing users (`links`, looked up by
/// `notifications::service::mentioned_users`) as links to their profiles.
pub fn render_body_linking(
    text: &str,
    links: &crate::articles::markdown::MentionLinks,
) -> Result<String, FieldError> {
    crate::articles::markdown::render_with_mentions(text, links)
        .map_err(|refusal| refusal.field_error("body"))
}

/// A vote's value as stored: 1 up, -1 down, 0 clears; anything else is refused before the
/// database sees it.
pub fn vote_value(value: i64) -> Result<i16, CommentError> {
    match value {
        -1 => Ok(-1),
        0 => Ok(0),
        1 => Ok(1),
        _ => Err(CommentError::VoteOutOfRange),
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
    fn votes_are_up_down_or_clear() {
        assert_eq!(vote_value(1).ok(), Some(1));
        assert_eq!(vote_value(0).ok(), Some(0));
        assert_eq!(vote_value(-1).ok(), Some(-1));
        assert!(matches!(vote_value(2), Err(CommentError::VoteOutOfRange)));
        assert!(matches!(vote_value(-5), Err(CommentError::VoteOutOfRange)));
    }
}
