//! `@mentions` in comment bodies, for `markdown`: which names a body mentions outside code,
//! links and image alt text, and the linker that carries each mention of an existing user through the sanitizer
//! as a placeholder made of a per-render random nonce, turned into
//! `<a class="mention" href="/users/username">@username</a>` only after sanitizing (why: see
//! `markdown`'s module documentation).

use std::collections::HashMap;

use pulldown_cmark::{CowStr, Event, Parser, Tag, TagEnd};

use crate::notifications::domain::{self as mentions, Segment};

/// Tracks whether text is inside a link, an image or a code block, where `@name` stays text.
///
/// Images count as links: the renderer turns an image into a link whose text is the alt text
/// before the linker sees it, while [`mentions_in`] reads the raw Markdown, where the alt text
/// sits inside `Tag::Image`. Treating both the same keeps detection (who is notified) and
/// linking (what `body_html` shows) in agreement: a mention in alt text does neither.
#[derive(Debug, Default)]
struct MentionScope {
    links: usize,
    code: usize,
}

impl MentionScope {
    /// Updates the scope with `event`; true when `event` is text where mentions count.
    fn admits(&mut self, event: &Event<'_>) -> bool {
        match event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => self.links += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => {
                self.links = self.links.saturating_sub(1);
            }
            Event::Start(Tag::CodeBlock(_)) => self.code += 1,
            Event::End(TagEnd::CodeBlock) => self.code = self.code.saturating_sub(1),
            Event::InlineHtml(raw) | Event::Html(raw) => {
                let tag = raw.trim_start().to_ascii_lowercase();
                if tag.starts_with("</a") {
                    self.links = self.links.saturating_sub(1);
                } else if tag.starts_with("<a ") || tag.starts_with("<a>") {
                    self.links += 1;
                }
            }
            Event::Text(_) => return self.links == 0 && self.code == 0,
            _ => {}
        }
        false
    }
}

/// The distinct names (lower case, at most `MAX_LINKED_MENTIONS`) a comment body mentions
/// outside code, links and image alt text (exactly where the renderer links them): whom to
/// look up before rendering it.
pub fn mentions_in(markdown: &str) -> Vec<String> {
    let mut scope = MentionScope::default();
    let mut found = Vec::new();
    for event in Parser::new_ext(markdown, super::markdown::parser_options()) {
        if !scope.admits(&event) {
            continue;
        }
        if let Event::Text(text) = &event {
            found.extend(
                mentions::split_mentions(text)
                    .into_iter()
                    .filter_map(|segment| match segment {
                        Segment::Mention(name) => Some(name.to_ascii_lowercase()),
                        Segment::Text(_) => None,
                    }),
            );
        }
    }
    mentions::distinct_names(found.iter().map(String::as_str))
}

/// Existing users a body may link: lower-case name → username as registered.
pub type MentionLinks = HashMap<String, String>;

/// Replaces the mentions of known users in text events by this render's placeholders.
pub(super) struct MentionLinker<'m> {
    links: &'m MentionLinks,
    nonce: String,
    scope: MentionScope,
    /// (placeholder, username) of every name placed.
    placed: Vec<(String, String)>,
}

impl<'m> MentionLinker<'m> {
    pub(super) fn new(links: &'m MentionLinks) -> Self {
        Self {
            links,
            nonce: format!("{:032x}", rand::random::<u128>()),
            scope: MentionScope::default(),
            placed: Vec::new(),
        }
    }

    pub(super) fn map<'a>(&mut self, event: Event<'a>) -> Vec<Event<'a>> {
        if !self.scope.admits(&event) || self.links.is_empty() {
            return vec![event];
        }
        let Event::Text(text) = &event else {
            return vec![event];
        };
        let segments = mentions::split_mentions(text);
        if !segments.iter().any(|s| matches!(s, Segment::Mention(_))) {
            return vec![event];
        }
        segments
            .into_iter()
            .map(|segment| match segment {
                Segment::Mention(name) => match self.placeholder(name) {
                    Some(placeholder) => Event::Text(CowStr::from(placeholder)),
                    None => Event::Text(CowStr::from(format!("@{name}"))),
                },
                Segment::Text(plain) => Event::Text(CowStr::from(plain.to_owned())),
            })
            .collect()
    }

    /// The placeholder of a known user's name (None for a name nobody has).
    fn placeholder(&mut self, name: &str) -> Option<String> {
        let username = self.links.get(&name.to_ascii_lowercase())?;
        if !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return None;
        }
        if let Some((placeholder, _)) = self.placed.iter().find(|(_, u)| u == username) {
            return Some(placeholder.clone());
        }
        let placeholder = format!("hsmention{}n{}e", self.nonce, self.placed.len());
        self.placed.push((placeholder.clone(), username.clone()));
        Some(placeholder)
    }

    /// The sanitised HTML with this render's placeholders turned into mention links.
    pub(super) fn link(&self, mut html: String) -> String {
        for (placeholder, username) in &self.placed {
            let link = format!(r#"<a class="mention" href="/users/{username}">@{username}</a>"#);
            html = html.replace(placeholder.as_str(), &link);
        }
        html
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::articles::markdown::render_with_mentions;

    fn links(names: &[&str]) -> MentionLinks {
        names
            .iter()
            .map(|n| (n.to_ascii_lowercase(), (*n).to_owned()))
            .collect()
    }

    #[test]
    fn mentions_of_known_users_become_links() {
        let html =
            render_with_mentions("hi @Alice and @nobody", &links(&["Alice"])).expect("renders");
        assert!(
            html.contains(r#"<a class="mention" href="/users/Alice">@Alice</a>"#),
            "{html}"
        );
        assert!(
            html.contains("@nobody") && !html.contains("/users/nobody"),
            "{html}"
        );
        assert!(!html.contains("hsmention"), "{html}");
        let cased = render_with_mentions("@alice", &links(&["Alice"])).expect("renders");
        assert!(
            cased.contains(r#"href="/users/Alice">@Alice</a>"#),
            "{cased}"
        );
    }

    #[test]
    fn mentions_in_code_and_links_stay_text() {
        let known = links(&["alice"]);
        for markdown in [
            "`@alice`",
            "```\n@alice\n```",
            "    @alice indented code",
            "[@alice](https://example.com)",
            "<a href=\"https://example.com\">@alice</a>",
        ] {
            let html = render_with_mentions(markdown, &known).expect("renders");
            assert!(!html.contains("mention"), "{markdown}: {html}");
            assert!(mentions_in(markdown).is_empty(), "{markdown}");
        }
        assert_eq!(mentions_in("**@Alice** and @bob, @alice"), ["alice", "bob"]);
    }

    /// The renderer turns an image into a link before linking mentions, so its alt text never
    /// links; detection must agree, or `@alice` would be notified of a mention she cannot see.
    #[test]
    fn mentions_in_image_alt_text_neither_link_nor_notify() {
        let known = links(&["alice", "bob"]);
        for markdown in [
            "![@alice](https://example.com/a.png)",
            "![see **@alice**](https://example.com/a.png \"title\")",
            "![@alice][chart]\n\n[chart]: https://example.com/a.png",
        ] {
            let html = render_with_mentions(markdown, &known).expect("renders");
            assert!(!html.contains("/users/"), "{markdown}: {html}");
            assert!(mentions_in(markdown).is_empty(), "{markdown}");
        }
        let around = "@bob ![@alice](https://example.com/a.png) @alice";
        assert_eq!(mentions_in(around), ["bob", "alice"]);
        let html = render_with_mentions(around, &known).expect("renders");
        assert!(
            html.contains(r#"href="/users/bob""#) && html.contains(r#"href="/users/alice""#),
            "after the image, mentions count again: {html}"
        );
    }

    #[test]
    fn a_mention_link_cannot_be_forged() {
        let known = links(&["alice"]);
        for markdown in [
            "<a class=\"mention\" href=\"/users/admin\">@admin</a>",
            "<a class=\"mention\" href=\"https://evil.example/\">@alice</a>",
            "<span class=\"mention\">x</span>",
            "hsmention00000000000000000000000000000000n0e",
        ] {
            let html = render_with_mentions(markdown, &known).expect("renders");
            assert!(!html.contains("class="), "{markdown}: {html}");
            assert!(!html.contains("/users/"), "{markdown}: {html}");
        }
    }
}
