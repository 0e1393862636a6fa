//! Rules of notifications that need no database: the kinds, what counts as an `@mention` in a
//! comment's text, which mentions an edit adds, and the plain-text snippet a list shows.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// At most this many distinct names of one comment are looked up and linked: a body of
/// 10,000 characters could otherwise name ~800 users in one query.
pub const MAX_LINKED_MENTIONS: usize = 50;

/// At most this many mentioned users of one comment (or of one edit) are notified, so that one
/// comment cannot page a crowd.
pub const MAX_NOTIFIED_MENTIONS: usize = 10;

/// Characters of a comment's plain text a notification shows.
pub const SNIPPET_CHARS: usize = 140;

/// What a notification is about; stored in `notifications.kind` (its check constraint lists
/// the same names) and in `notification_settings.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone replied to your comment.
    Reply,
    /// Someone mentioned you (`@username`) in a comment.
    Mention,
    /// A prediction you made or forecast on was resolved (`data`: outcome, your Brier score).
    PredictionResolved,
    /// A prediction's deadline passed unresolved (to its author and to moderators).
    DeadlinePassed,
    /// A moderator removed your comment (`data`: reason).
    CommentRemoved,
    /// A moderator restored your comment.
    CommentRestored,
    /// You were banned (`data`: reason, expires_at).
    Ban,
    /// Your ban was lifted.
    Unban,
    /// A comment you reported was dealt with (`data`: action).
    ReportResolved,
}

impl NotificationKind {
    /// Every kind, in the order settings list them.
    pub const ALL: [Self; 9] = [
        Self::Reply,
        Self::Mention,
        Self::PredictionResolved,
        Self::DeadlinePassed,
        Self::CommentRemoved,
        Self::CommentRestored,
        Self::Ban,
        Self::Unban,
        Self::ReportResolved,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::Mention => "mention",
            Self::PredictionResolved => "prediction_resolved",
            Self::DeadlinePassed => "deadline_passed",
            Self::CommentRemoved => "comment_removed",
            Self::CommentRestored => "comment_restored",
            Self::Ban => "ban",
            Self::Unban => "unban",
            Self::ReportResolved => "report_resolved",
        }
    }

    /// The kind stored as `text` (None for a name this build does not know).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl std::fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A piece of a text: plain, or an `@mention` (the name without `@`, as written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Text to keep as it is.
    Text(&'a str),
    /// `@name`: the name as written.
    Mention(&'a str),
}

/// A username character (`accounts::domain::Username`'s alphabet).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits plain text into text and `@mentions`. A mention is `@` followed by 3–32 username
/// characters, not preceded by a username character or `@` (so `mail@example_org` and `@@x` are
/// not mentions) and not followed by another username character (a longer run is no username).
pub fn split_mentions(text: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut plain_from = 0;
    let mut previous: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let starts = c == '@' && !previous.is_some_and(|p| is_name_char(p) || p == '@');
        previous = Some(c);
        if !starts {
            continue;
        }
        let name_from = at + 1;
        let name_len = text[name_from..]
            .find(|c: char| !is_name_char(c))
            .unwrap_or(text.len() - name_from);
        if !(3..=32).contains(&name_len) {
            continue;
        }
        if plain_from < at {
            segments.push(Segment::Text(&text[plain_from..at]));
        }
        segments.push(Segment::Mention(&text[name_from..name_from + name_len]));
        plain_from = name_from + name_len;
        while chars.peek().is_some_and(|(i, _)| *i < plain_from) {
            previous = chars.next().map(|(_, c)| c);
        }
    }
    if plain_from < text.len() {
        segments.push(Segment::Text(&text[plain_from..]));
    }
    segments
}

/// The distinct names (lower case, first appearance first) of `mentions`, at most
/// [`MAX_LINKED_MENTIONS`]: what one lookup asks for.
pub fn distinct_names<'a>(mentions: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = HashSet::new();
    mentions
        .into_iter()
        .map(str::to_ascii_lowercase)
        .filter(|name| seen.insert(name.clone()))
        .take(MAX_LINKED_MENTIONS)
        .collect()
}

/// The names of `now` (lower case) that `before` did not mention: whom an edit newly mentions.
pub fn newly_mentioned(before: &[String], now: &[String]) -> Vec<String> {
    let old: HashSet<&str> = before.iter().map(String::as_str).collect();
    now.iter()
        .filter(|name| !old.contains(name.as_str()))
        .cloned()
        .collect()
}

/// A short plain-text preview of a Markdown body: its words (markup dropped), whitespace
/// collapsed, cut at [`SNIPPET_CHARS`] characters with an ellipsis.
pub fn snippet(markdown: &str) -> String {
    use pulldown_cmark::{Event, Parser, TagEnd};
    let mut raw = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(text) | Event::Code(text) => raw.push_str(&text),
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_)
                | TagEnd::TableCell,
            ) => raw.push(' '),
            _ => {}
        }
        if raw.len() > 8 * SNIPPET_CHARS {
            break;
        }
    }
    let words = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.chars().count() <= SNIPPET_CHARS {
        return words;
    }
    let cut: String = words.chars().take(SNIPPET_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mentions(text: &str) -> Vec<&str> {
        split_mentions(text)
            .into_iter()
            .filter_map(|s| match s {
                Segment::Mention(name) => Some(name),
                Segment::Text(_) => None,
            })
            .collect()
    }

    #[test]
    fn kinds_round_trip_and_match_the_check_constraint() {
        let migration =
            include_str!("../../migrations/2026-12-02-000009_events_notifications/up.sql");
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).expect("json"), kind.as_str());
            assert!(migration.contains(&format!("'{kind}'")), "{kind}");
        }
        assert_eq!(NotificationKind::parse("email"), None);
    }

    #[test]
    fn mentions_are_at_signs_before_usernames() {
        assert_eq!(mentions("hi @alice and @Bob_2!"), ["alice", "Bob_2"]);
        assert_eq!(mentions("@carol: yes"), ["carol"]);
        assert_eq!(mentions("(@dave)"), ["dave"]);
    }

    #[test]
    fn emails_short_long_and_doubled_names_are_not_mentions() {
        assert!(mentions("write to mail@example_org").is_empty());
        assert!(mentions("@ab is too short").is_empty());
        assert!(mentions(&format!("@{}", "a".repeat(33))).is_empty());
        assert!(mentions("@@alice").is_empty());
        assert!(mentions("@-alice").is_empty());
        assert_eq!(mentions(&format!("@{}", "a".repeat(32))).len(), 1);
    }

    #[test]
    fn segments_keep_every_character() {
        let text = "a @alice b @bob_x, mail@host @x";
        let joined: String = split_mentions(text)
            .into_iter()
            .map(|s| match s {
                Segment::Text(t) => t.to_owned(),
                Segment::Mention(n) => format!("@{n}"),
            })
            .collect();
        assert_eq!(joined, text);
        assert_eq!(
            split_mentions("@alice"),
            vec![Segment::Mention("alice")],
            "no empty text around"
        );
    }

    #[test]
    fn names_are_distinct_lower_case_and_capped() {
        assert_eq!(distinct_names(["Alice", "bob", "ALICE"]), ["alice", "bob"]);
        let many: Vec<String> = (0..80).map(|i| format!("user{i}")).collect();
        assert_eq!(
            distinct_names(many.iter().map(String::as_str)).len(),
            MAX_LINKED_MENTIONS
        );
    }

    #[test]
    fn an_edit_notifies_only_names_it_adds() {
        let before = vec!["alice".to_owned(), "bob".to_owned()];
        let now = vec!["bob".to_owned(), "carol".to_owned()];
        assert_eq!(newly_mentioned(&before, &now), ["carol"]);
        assert!(newly_mentioned(&now, &now).is_empty());
    }

    #[test]
    fn snippets_are_plain_and_short() {
        assert_eq!(
            snippet("**Bold** claim with `code`\n\n> quoted"),
            "Bold claim with code quoted"
        );
        let long = snippet(&"word ".repeat(100));
        assert_eq!(long.chars().count(), SNIPPET_CHARS);
        assert!(long.ends_with('…'));
        assert_eq!(snippet("<b>raw</b> html"), "raw html");
    }
}
