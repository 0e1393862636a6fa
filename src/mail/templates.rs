//! The words of every mail and of the unsubscribe page, from the templates in
//! `src/mail/templates/` (MiniJinja, embedded in the binary). Each mail is a pair: `NAME.txt`,
//! whose first line is `Subject: …`, and `NAME.html`, which extends `layout.html` and is
//! auto-escaped (values never become markup). Changing what a mail says means editing its
//! templates, not the code that sends it.

use std::sync::LazyLock;

use minijinja::Environment;
use serde::Serialize;

use super::OutgoingMail;

/// Every template, by the name others import or extend it by.
const FILES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("items.txt", include_str!("templates/items.txt")),
    ("items.html", include_str!("templates/items.html")),
    (
        "password_reset.txt",
        include_str!("templates/password_reset.txt"),
    ),
    (
        "password_reset.html",
        include_str!("templates/password_reset.html"),
    ),
    (
        "password_changed.txt",
        include_str!("templates/password_changed.txt"),
    ),
    (
        "password_changed.html",
        include_str!("templates/password_changed.html"),
    ),
    (
        "verify_email.txt",
        include_str!("templates/verify_email.txt"),
    ),
    (
        "verify_email.html",
        include_str!("templates/verify_email.html"),
    ),
    (
        "email_changed.txt",
        include_str!("templates/email_changed.txt"),
    ),
    (
        "email_changed.html",
        include_str!("templates/email_changed.html"),
    ),
    (
        "notification.txt",
        include_str!("templates/notification.txt"),
    ),
    (
        "notification.html",
        include_str!("templates/notification.html"),
    ),
    ("digest.txt", include_str!("templates/digest.txt")),
    ("digest.html", include_str!("templates/digest.html")),
    (
        "unsubscribe.html",
        include_str!("templates/unsubscribe.html"),
    ),
];

/// The templates, parsed once. They are part of the binary, so a syntax error is a bug that
/// the unit tests below catch (each template is rendered there) before it can ship.
static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    for (name, source) in FILES {
        if let Err(error) = env.add_template(name, source) {
            tracing::error!(template = name, %error, "mail template does not parse");
        }
    }
    env
});

/// A mail as its templates word it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// From the first line of the text template.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

impl Rendered {
    /// The outbox row of this mail to `recipient`, sent for `purpose`.
    pub fn to(self, purpose: &str, recipient: &str) -> OutgoingMail {
        let mut mail = OutgoingMail::new(purpose, recipient, self.subject, self.text);
        mail.html_body = Some(self.html);
        mail
    }
}

/// Renders the mail `name` (`name.txt` and `name.html`) with `context`.
pub fn render(name: &str, context: impl Serialize) -> Result<Rendered, minijinja::Error> {
    let context = minijinja::Value::from_serialize(&context);
    let text = TEMPLATES
        .get_template(&format!("{name}.txt"))?
        .render(&context)?;
    let html = TEMPLATES
        .get_template(&format!("{name}.html"))?
        .render(&context)?;
    let (subject, text) = split_subject(&text).ok_or_else(|| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("{name}.txt does not start with a Subject: line"),
        )
    })?;
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

/// Renders the single HTML page `name` (e.g. `unsubscribe.html`) with `context`.
pub fn render_page(name: &str, context: impl Serialize) -> Result<String, minijinja::Error> {
    TEMPLATES
        .get_template(name)?
        .render(minijinja::Value::from_serialize(&context))
}

/// The subject (first line, `Subject: …`) and the body after it; whitespace around the
/// subject goes, as does a newline a template leaves inside it.
fn split_subject(text: &str) -> Option<(String, String)> {
    let (first, body) = text.split_once('\n')?;
    let subject = first.strip_prefix("Subject:")?.trim();
    if subject.is_empty() {
        return None;
    }
    Some((subject.to_owned(), body.to_owned()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_template_parses() {
        for (name, _) in FILES {
            assert!(
                TEMPLATES.get_template(name).is_ok(),
                "{name} does not parse"
            );
        }
    }

    #[test]
    fn account_mails_have_a_subject_and_escape_html() {
        let context = json!({
            "username": "ada<b>", "link": "https://h.example/x?token=a&b", "email": "a@b.example",
            "old": "old@b.example",
        });
        for name in [
            "password_reset",
            "password_changed",
            "verify_email",
            "email_changed",
        ] {
            let mail = render(name, &context).expect(name);
            assert!(!mail.subject.is_empty() && !mail.subject.contains('\n'));
            assert!(mail.text.contains("Hello ada<b>,"), "{name}: {}", mail.text);
            assert!(mail.html.contains("ada&lt;b&gt;"), "{name}: {}", mail.html);
            assert!(!mail.html.contains("ada<b>"));
        }
        let reset = render("password_reset", &context).expect("reset");
        assert!(reset.text.contains("https://h.example/x?token=a&b"));
        assert!(reset.html.contains("token=a&amp;b"), "{}", reset.html);
    }

    #[test]
    fn a_template_without_a_subject_line_is_refused() {
        assert_eq!(split_subject("Hello\n"), None);
        assert_eq!(split_subject("Subject:  \nbody"), None);
        assert_eq!(
            split_subject("Subject: Hi there \nbody\n"),
            Some(("Hi there".to_owned(), "body\n".to_owned()))
        );
    }
}
