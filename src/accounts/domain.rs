//! Parse, don't validate: once a handler holds a `Username`, `Email` or `NewPassword`, it is
//! valid. Each constructor returns the `FieldError` a 422 lists.

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
