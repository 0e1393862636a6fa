//! Rules shared by every user-written text: Unicode NFC, no control characters other than
//! newline, carriage return and tab, and lengths counted in characters after trimming.

use unicode_normalization::UnicodeNormalization;

use crate::error::FieldError;

/// True for characters a text may not contain.
fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// True for characters that show nothing by themselves: Unicode format characters (zero-width
/// spaces and joiners, bidi marks, overrides and isolates, the BOM, invisible operators, tag
/// characters), variation selectors, and the Hangul and Braille fillers that render blank.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// True for characters a name may not contain because they make it look like something else:
/// controls (newlines and tabs too), and every invisible character of [`is_invisible`].
pub fn is_deceptive(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// Whether a text has at least one character a reader can see.
pub fn has_visible_character(text: &str) -> bool {
    text.chars()
        .any(|c| !c.is_whitespace() && !c.is_control() && !is_invisible(c))
}

/// Checks a required text: NFC-normalised, `min..=max` characters after trimming, no control
/// characters, and at least one visible character (a text of zero-width or format characters
/// only is `too_short`: it shows nothing). Returns the normalised text (trimmed when `trim` is
/// set).
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
    if !has_visible_character(trimmed) {
        return Err(FieldError::new(
            field,
            "too_short",
            "at least one visible character",
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
    fn texts_of_invisible_characters_only_are_too_short() {
        for blank in [
            "\u{200B}",
            "\u{200B}\u{200D}\u{FEFF}",
            " \u{3164} ",
            "\u{2800}\u{202E}",
        ] {
            assert_eq!(
                required_text(blank, "body", 1, 100, false)
                    .expect_err(blank)
                    .code,
                "too_short",
                "{blank:?}"
            );
        }
        assert!(required_text("a\u{200B}", "body", 1, 100, false).is_ok());
        assert!(required_text("👍", "body", 1, 100, false).is_ok());
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
