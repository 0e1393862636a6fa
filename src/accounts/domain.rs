//! Parse, don't validate: once a handler holds a `Username`, `Email` or `NewPassword`, it is
//! valid. Each constructor returns the `FieldError` a 422 lists.
//!
//! Why `validator` serves only [`Email`] (its address syntax, IDN domains included) and not
//! its `#[derive(Validate)]` for the request bodies: the rules here and in `crate::text`
//! return the value to keep (trimmed, NFC-normalised), count characters after that
//! normalisation, choose the code by the outcome (`required` for an empty text, `too_short`
//! otherwise, `too_short` again for text with no visible character), stop at the first failing
//! rule of a field, and need other fields or libraries (`same_as_identity`, zxcvbn's
//! `weak_password`, deadlines relative to the service clock). The derive checks the raw value
//! and reports its own codes, so each field would need a `custom` function wrapping these
//! parsers, plus a mapping of its error tree back onto the `errors[]` codes: more code for the
//! same rules, spread over every feature's request types.

use validator::ValidateEmail;

use crate::config::Secret;
use crate::error::FieldError;

/// 3–32 characters of `[A-Za-z0-9_]`, kept as registered; unique without regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Checks length and alphabet.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let length = raw.chars().count();
        if length < 3 {
            return Err(FieldError::new(field, "too_short", "at least 3 characters"));
        }
        if length > 32 {
            return Err(FieldError::new(field, "too_long", "at most 32 characters"));
        }
        if !raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(FieldError::new(
                field,
                "invalid_format",
                "only letters A–Z, digits and _",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The username as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A syntactically valid address (surrounding spaces trimmed), at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Checks syntax and length.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(
                field,
                "required",
                "an email address is required",
            ));
        }
        if trimmed.chars().count() > 254 {
            return Err(FieldError::new(field, "too_long", "at most 254 characters"));
        }
        if !trimmed.validate_email() {
            return Err(FieldError::new(
                field,
                "invalid_format",
                "not an email address",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What a ban that outlives its account remembers of the address: SHA-256 (hex) of it in
    /// lower case without a `+tag` on the local part, so `Ann+x@Example.com` and
    /// `ann@example.com` are one address for ban evasion, and the address itself is not kept.
    pub fn ban_key(&self) -> String {
        email_ban_key(&self.0)
    }
}

/// [`Email::ban_key`] of a stored address.
pub fn email_ban_key(address: &str) -> String {
    use sha2::{Digest, Sha256};
    let lower = address.trim().to_lowercase();
    let normalised = match lower.rsplit_once('@') {
        Some((local, domain)) => {
            let local = local.split_once('+').map_or(local, |(base, _)| base);
            format!("{local}@{domain}")
        }
        None => lower,
    };
    Sha256::digest(normalised.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a ban that outlives its account remembers of the username: its NFKC lower-case fold.
pub fn username_ban_key(username: &str) -> String {
    fold_identity(username)
}

/// Case-folded NFKC: the form in which two names look the same to a reader
/// (`ＡＬＩＣＥ`, `Alice` and `alice` are one).
pub fn fold_identity(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfkc().collect::<String>().to_lowercase()
}

/// A display name: 1–64 visible characters (NFC, trimmed), none of the characters that let a
/// name look like something it is not (controls, bidi overrides and isolates, zero-width and
/// filler characters). Whether it impersonates another user's username is a database question
/// the handler asks with [`DisplayName::folded`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Checks length and characters; an empty or blank name is `None` (cleared).
    pub fn parse(raw: &str, field: &str) -> Result<Option<Self>, FieldError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        if raw.chars().any(crate::text::is_deceptive) {
            return Err(FieldError::new(
                field,
                "invalid_characters",
                "control, bidirectional, zero-width and filler characters are not allowed",
            ));
        }
        crate::text::required_text(raw, field, 1, 64, true).map(|name| Some(Self(name)))
    }

    /// The name as it will be stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name folded like usernames are compared ([`fold_identity`]).
    pub fn folded(&self) -> String {
        fold_identity(&self.0)
    }

    /// The stored name.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A password fit to be hashed: 10–128 characters (never trimmed), not the username or email,
/// and not one zxcvbn scores below 2.
#[derive(Debug, Clone)]
pub struct NewPassword(Secret);

impl NewPassword {
    /// Checks length, likeness to the account's names, and strength.
    pub fn parse(raw: &str, field: &str, username: &str, email: &str) -> Result<Self, FieldError> {
        let length = raw.chars().count();
        if length < 10 {
            return Err(FieldError::new(
                field,
                "too_short",
                "at least 10 characters",
            ));
        }
        if length > 128 {
            return Err(FieldError::new(field, "too_long", "at most 128 characters"));
        }
        let same_as = |other: &str| !other.is_empty() && raw.eq_ignore_ascii_case(other.trim());
        if same_as(username) || same_as(email) {
            return Err(FieldError::new(
                field,
                "same_as_identity",
                "must differ from the username and the email address",
            ));
        }
        let score = u8::from(zxcvbn::zxcvbn(raw, &[username, email]).score());
        if score < 2 {
            return Err(FieldError::new(
                field,
                "weak_password",
                "too common or too easy to guess; a few unrelated words make a strong password",
            ));
        }
        Ok(Self(Secret::new(raw)))
    }

    /// The password, for hashing.
    pub fn secret(&self) -> &Secret {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_ban_keys_ignore_case_and_tags() {
        let key = |raw: &str| Email::parse(raw, "email").expect("valid").ban_key();
        assert_eq!(key("Ann+promo@Example.com"), key("ann@example.com"));
        assert_ne!(key("ann@example.com"), key("anna@example.com"));
        assert_eq!(key("ann@example.com").len(), 64);
    }

    #[test]
    fn display_names_refuse_deceptive_characters() {
        for bad in [
            "admin\u{202E}nimda",
            "zero\u{200B}width",
            "\u{3164}",
            "filler\u{3164}name",
            "bell\u{7}",
            "iso\u{2066}late",
            "joiner\u{200D}",
            "bom\u{FEFF}",
            "halfwidth\u{FFA0}",
        ] {
            let error = DisplayName::parse(bad, "display_name").expect_err(bad);
            assert_eq!(error.code, "invalid_characters", "{bad:?}");
        }
        assert_eq!(
            DisplayName::parse("  ", "display_name").expect("blank"),
            None
        );
        let name = DisplayName::parse(" Min-ji 민지 ", "display_name")
            .expect("valid")
            .expect("some");
        assert_eq!(name.as_str(), "Min-ji 민지");
        assert_eq!(
            DisplayName::parse("ＡＬＩＣＥ", "d")
                .expect("ok")
                .expect("some")
                .folded(),
            "alice"
        );
    }

    #[test]
    fn usernames_have_a_length_and_an_alphabet() {
        assert!(Username::parse("ab", "username").is_err());
        assert!(Username::parse("abc", "username").is_ok());
        assert!(Username::parse(&"a".repeat(32), "username").is_ok());
        assert_eq!(
            Username::parse(&"a".repeat(33), "username")
                .expect_err("long")
                .code,
            "too_long"
        );
        assert_eq!(
            Username::parse("bad-name", "username")
                .expect_err("dash")
                .code,
            "invalid_format"
        );
        assert!(Username::parse("Mixed_Case_9", "username").is_ok());
    }

    #[test]
    fn emails_need_valid_syntax() {
        assert!(Email::parse("reader@example.com", "email").is_ok());
        assert_eq!(
            Email::parse("nope", "email").expect_err("bad").code,
            "invalid_format"
        );
        assert_eq!(
            Email::parse(" ", "email").expect_err("empty").code,
            "required"
        );
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        // Ten characters, twenty bytes: long enough.
        let ten_wide = "ééééééééé€";
        assert_eq!(ten_wide.chars().count(), 10);
        let err = NewPassword::parse(ten_wide, "password", "someone", "a@b.c");
        assert!(err
            .as_ref()
            .map_or_else(|e| e.code != "too_short", |_| true));
        assert_eq!(
            NewPassword::parse("short", "password", "u", "e@x.y")
                .expect_err("short")
                .code,
            "too_short"
        );
        assert_eq!(
            NewPassword::parse(&"x".repeat(129), "password", "u", "e@x.y")
                .expect_err("long")
                .code,
            "too_long"
        );
    }

    #[test]
    fn common_passwords_are_weak() {
        assert_eq!(
            NewPassword::parse("password123", "password", "someone", "s@x.y")
                .expect_err("common")
                .code,
            "weak_password"
        );
        assert!(
            NewPassword::parse("orbit-kettle-marble-7", "password", "someone", "s@x.y").is_ok()
        );
    }

    #[test]
    fn a_password_equal_to_the_username_is_refused() {
        assert_eq!(
            NewPassword::parse("LongUsername1", "password", "longusername1", "s@x.y")
                .expect_err("same")
                .code,
            "same_as_identity"
        );
    }
}
