//! Rules shared by every user-written text: Unicode NFC, no control characters other than
//! newline, carriage return and tab, and lengths counted in characters after trimming.

use unicode_normalization::UnicodeNormalization;

use crate::error::FieldError;

/// True for characters a text may not contain.
fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// Checks a required text: NFC-normalised, `min..=max` characters after trimming, no control
/// characters. Returns the normalised text (trimmed when `trim` is set).
pub fn required_text(
    raw: &str,
    field: &str,
    min: usize,
    max: usize,
    trim: bool,
) -> Result<String, FieldError> {
    let normalised: String = raw.nfc().collect();
    let trimmed = normalised.trim();
    let length = trimmed.chars().count();
    if length < min {
        let code = if length == 0 { "required" } else { "too_short" };
        return Err(FieldError::new(
            field,
            code,
            format!("at least {min} characters"),
        ));
    }
    if length > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
    if normalised.chars().any(is_forbidden_control) {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "control characters other than newline and tab are not allowed",
        ));
    }
    Ok(if trim { trimmed.to_owned() } else { normalised })
}

/// Checks an optional text; empty after trimming means "none".
pub fn optional_text(
    raw: Option<String>,
    field: &str,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match raw {
        None => Ok(None),
        Some(raw) if raw.trim().is_empty() => Ok(None),
        Some(raw) => required_text(&raw, field, 1, max, true).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_normalised_to_nfc() {
        // "e" + combining acute accent becomes the single precomposed character.
        let text = required_text("caf\u{0065}\u{0301}", "body", 1, 10, true).expect("valid");
        assert_eq!(text, "caf\u{00e9}");
        assert_eq!(text.chars().count(), 4);
    }

    #[test]
    fn lengths_count_characters_after_trimming() {
        assert_eq!(
            required_text("   ", "body", 1, 10, true)
                .expect_err("blank")
                .code,
            "required"
        );
        assert_eq!(
            required_text("ab", "title", 3, 10, true)
                .expect_err("short")
                .code,
            "too_short"
        );
        assert_eq!(
            required_text("한국어한국어", "t", 1, 5, true)
                .expect_err("long")
                .code,
            "too_long"
        );
        assert!(required_text("  한국어  ", "t", 1, 5, true).is_ok());
    }

    #[test]
    fn control_characters_are_refused_but_newlines_and_tabs_are_fine() {
        assert!(required_text("line\nnext\ttab\r\n", "body", 1, 100, false).is_ok());
        assert_eq!(
            required_text("bell\u{7}", "body", 1, 100, false)
                .expect_err("bell")
                .code,
            "invalid_characters"
        );
    }

    #[test]
    fn empty_optional_texts_mean_none() {
        assert_eq!(
            optional_text(Some("  ".into()), "bio", 10).expect("ok"),
            None
        );
        assert_eq!(optional_text(None, "bio", 10).expect("ok"), None);
        assert_eq!(
            optional_text(Some(" hi ".into()), "bio", 10)
                .expect("ok")
                .as_deref(),
            Some("hi")
        );
    }
}
