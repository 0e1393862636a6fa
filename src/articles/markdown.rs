//! Markdown to sanitised HTML (pulldown-cmark, then ammonia), so a frontend can show
//! `body_html` as is: no scripts, no event handlers, no `javascript:` links, every link marked
//! `rel="nofollow ugc noopener"`, no relative or protocol-relative (`//host`) URLs, and no
//! remote images: an image would make every reader's browser fetch it (a tracking pixel learns
//! each reader's IP), so a Markdown image becomes a plain link to it and raw `<img>` is dropped.
//!
//! Cost bounds. pulldown-cmark's parse is linear (its table padding is capped internally), but
//! html5ever, under ammonia, does work proportional to the nesting depth for every element it
//! opens, so deeply nested input is quadratic: 10,000 characters of `>` are ~5,000 nested
//! quotes and took ~0.4 s. Tables amplify too: a wide header followed by one-word lines turns
//! 10 KB into megabytes of empty cells. So the event stream is checked once, on its way into
//! the HTML writer, and the render is refused (422, code `too_complex`) at the first bound
//! crossed; what reaches ammonia is then both shallow and small. `bench/markdown.sh` times
//! the pathological inputs.
//!
//! Mentions. `@username` in a comment's text (outside code, links and image alt text) becomes
//! `<a class="mention" href="/users/username">@username</a>` for users that exist (the caller
//! looked them up: [`mentions_in`] lists the candidates). The sanitizer would drop that link
//! (relative URL, `class`), and must: raw HTML a user writes goes through it too, so anything it
//! kept could be forged. So each mention travels through the sanitizer as a placeholder made of
//! a random per-render nonce, and only placeholders of this render become links afterwards; a
//! user's own `<a class="mention" href="/users/admin">` loses its class and its href as before.

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

use super::mention_links::MentionLinker;
pub use super::mention_links::{mentions_in, MentionLinks};

use crate::error::FieldError;

/// How much a body may make the renderer do.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Deepest nesting of Markdown elements (a list level counts 2: list and item).
    pub max_nesting: usize,
    /// Table cells in all, counting the empty cells pulldown-cmark adds to short rows.
    pub max_table_cells: usize,
    /// Tags (`<`) in raw HTML, which html5ever may nest or re-open at will.
    pub max_raw_html_tags: usize,
    /// Bytes of HTML handed to ammonia, whose cost is linear in it once depth is bounded.
    pub max_html_bytes: usize,
}

/// Comment bodies (10,000 characters): every body within these renders in under ~10 ms.
pub const COMMENT_BOUNDS: Bounds = Bounds {
    max_nesting: 32,
    max_table_cells: 5_000,
    max_raw_html_tags: 256,
    max_html_bytes: 64 * 1024,
};

/// Article bodies (up to 1 MiB, written by admins): the same depth, room for their length.
pub const ARTICLE_BOUNDS: Bounds = Bounds {
    max_nesting: 32,
    max_table_cells: 100_000,
    max_raw_html_tags: 20_000,
    max_html_bytes: 8 * 1024 * 1024,
};

/// Why a body was not rendered; the caller answers 422.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderRefusal {
    /// Deeper than `max_nesting`.
    NestingTooDeep,
    /// More than `max_table_cells`.
    TooManyTableCells,
    /// More than `max_raw_html_tags`.
    TooMuchRawHtml,
    /// More than `max_html_bytes` of HTML.
    OutputTooLarge,
}

impl fmt::Display for RenderRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NestingTooDeep => "the Markdown is nested too deeply (at most 16 list levels)",
            Self::TooManyTableCells => "the Markdown has too many table cells",
            Self::TooMuchRawHtml => "the Markdown has too many HTML tags",
            Self::OutputTooLarge => "the Markdown renders to too much HTML",
        })
    }
}

impl std::error::Error for RenderRefusal {}

impl RenderRefusal {
    /// The 422 entry naming `field`.
    pub fn field_error(self, field: &str) -> FieldError {
        FieldError::new(field, "too_complex", self.to_string())
    }
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .link_rel(Some("nofollow ugc noopener"))
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            .url_relative(ammonia::UrlRelative::Deny)
            .rm_tags(["img"]);
        builder
    })
}

/// Counts what the bounds limit, event by event.
struct Meter {
    bounds: Bounds,
    depth: usize,
    cells: usize,
    raw_tags: usize,
}

impl Meter {
    fn check(&mut self, event: &Event<'_>) -> Option<RenderRefusal> {
        match event {
            Event::Start(tag) => {
                self.depth += 1;
                if matches!(tag, Tag::TableCell) {
                    self.cells += 1;
                }
                if self.depth > self.bounds.max_nesting {
                    Some(RenderRefusal::NestingTooDeep)
                } else if self.cells > self.bounds.max_table_cells {
                    Some(RenderRefusal::TooManyTableCells)
                } else {
                    None
                }
            }
            Event::End(_) => {
                self.depth = self.depth.saturating_sub(1);
                None
            }
            Event::Html(raw) | Event::InlineHtml(raw) => {
                self.raw_tags += raw.bytes().filter(|&b| b == b'<').count();
                (self.raw_tags > self.bounds.max_raw_html_tags)
                    .then_some(RenderRefusal::TooMuchRawHtml)
            }
            _ => None,
        }
    }
}

/// Turns a Markdown image into a link to it, its alt text (or, without one, its URL) as the
/// link's text; every other event passes unchanged.
struct ImagesAsLinks<'a> {
    open_image: Option<CowStr<'a>>,
    alt_seen: bool,
}

impl<'a> ImagesAsLinks<'a> {
    fn map(&mut self, event: Event<'a>) -> Vec<Event<'a>> {
        match event {
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => {
                self.open_image = Some(dest_url.clone());
                self.alt_seen = false;
                vec![Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url,
                    title,
                    id: CowStr::Borrowed(""),
                })]
            }
            Event::End(TagEnd::Image) => {
                let url = self.open_image.take();
                let mut events = Vec::with_capacity(2);
                if let (Some(url), false) = (url, self.alt_seen) {
                    events.push(Event::Text(url));
                }
                events.push(Event::End(TagEnd::Link));
                events
            }
            other => {
                if self.open_image.is_some() {
                    self.alt_seen = true;
                }
                vec![other]
            }
        }
    }
}

/// Renders a comment body to HTML that is safe to embed, or refuses one whose rendering would
/// cost out of proportion to its length.
pub fn render(markdown: &str) -> Result<String, RenderRefusal> {
    render_within(markdown, COMMENT_BOUNDS)
}

/// Renders a comment body, linking the mentions of the users in `links`.
pub fn render_with_mentions(markdown: &str, links: &MentionLinks) -> Result<String, RenderRefusal> {
    render_linking(markdown, COMMENT_BOUNDS, links)
}

/// The Markdown extensions comments and articles use.
pub(super) fn parser_options() -> Options {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options
}

/// Renders an article body (larger bounds than comments).
pub fn render_article(markdown: &str) -> Result<String, RenderRefusal> {
    render_within(markdown, ARTICLE_BOUNDS)
}

/// Renders within `bounds`.
pub fn render_within(markdown: &str, bounds: Bounds) -> Result<String, RenderRefusal> {
    render_linking(markdown, bounds, &MentionLinks::new())
}

/// Renders within `bounds`, linking the mentions of `links`.
fn render_linking(
    markdown: &str,
    bounds: Bounds,
    links: &MentionLinks,
) -> Result<String, RenderRefusal> {
    let options = parser_options();
    let mut meter = Meter {
        bounds,
        depth: 0,
        cells: 0,
        raw_tags: 0,
    };
    let mut refusal = None;
    let mut images = ImagesAsLinks {
        open_image: None,
        alt_seen: false,
    };
    // The first violation ends the stream; the partial HTML is then discarded.
    let events = Parser::new_ext(markdown, options)
        .map_while(|event| match meter.check(&event) {
            Some(violation) => {
                refusal = Some(violation);
                None
            }
            None => Some(event),
        })
        .flat_map(|event| images.map(event));
    let mut linker = MentionLinker::new(links);
    let events = events.flat_map(|event| linker.map(event));
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    if let Some(refusal) = refusal {
        return Err(refusal);
    }
    if html.len() > bounds.max_html_bytes {
        return Err(RenderRefusal::OutputTooLarge);
    }
    let clean = sanitizer().clean(&html).to_string();
    Ok(linker.link(clean))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(markdown: &str) -> String {
        render(markdown).expect("renders")
    }

    #[test]
    fn markdown_becomes_html() {
        assert_eq!(ok("**bold** claim"), "<p><strong>bold</strong> claim</p>\n");
    }

    #[test]
    fn scripts_handlers_and_javascript_links_do_not_survive() {
        let html = ok(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn links_are_marked_nofollow_ugc_noopener() {
        let html = ok("[source](https://example.com/report)");
        assert!(html.contains(r#"rel="nofollow ugc noopener""#), "{html}");
    }

    #[test]
    fn images_become_links_and_never_load() {
        let html = ok("![the chart](https://tracker.example/pixel.gif)");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains(r#"<a href="https://tracker.example/pixel.gif" rel="nofollow ugc noopener">the chart</a>"#),
            "{html}"
        );
        let bare = ok("![](https://example.com/a.png)");
        assert!(bare.contains(">https://example.com/a.png</a>"), "{bare}");
        let raw = ok("<img src=\"https://tracker.example/p.gif\">");
        assert!(!raw.contains("<img") && !raw.contains("tracker"), "{raw}");
    }

    #[test]
    fn relative_and_protocol_relative_urls_are_dropped() {
        for markdown in [
            "[x](//evil.example/path)",
            "[x](/local/path)",
            "[x](relative.html)",
            "![x](//evil.example/pixel.gif)",
            "<a href=\"//evil.example/\">x</a>",
        ] {
            let html = ok(markdown);
            assert!(!html.contains("href"), "{markdown}: {html}");
            assert!(!html.contains("evil.example"), "{markdown}: {html}");
        }
    }

    #[test]
    fn ordinary_nesting_renders() {
        assert!(
            render("> quote\n> - item\n>   - **sub [link](https://e.com)**\n>     1. deep\n")
                .is_ok()
        );
    }

    #[test]
    fn pathological_bodies_are_refused() {
        let body = |unit: &str| unit.repeat(10_000 / unit.len());
        assert_eq!(render(&body(">")), Err(RenderRefusal::NestingTooDeep));
        assert_eq!(
            render(&(body("- ") + "a")),
            Err(RenderRefusal::NestingTooDeep)
        );
        assert_eq!(render(&body("1. ")), Err(RenderRefusal::NestingTooDeep));
        assert_eq!(render(&body("<div>")), Err(RenderRefusal::TooMuchRawHtml));
        let wide = format!(
            "{}\n{}\n{}",
            "|a".repeat(100),
            "|-".repeat(100),
            "a\n".repeat(4800)
        );
        assert_eq!(render(&wide), Err(RenderRefusal::TooManyTableCells));
    }
}
