//! Markdown to sanitised HTML (pulldown-cmark, then ammonia), so a frontend can show
//! `body_html` as is: no scripts, no event handlers, no `javascript:` links, and every link
//! marked `rel="nofollow ugc noopener"`.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{Options, Parser};

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .link_rel(Some("nofollow ugc noopener"))
            .url_schemes(HashSet::from(["http", "https", "mailto"]));
        builder
    })
}

/// Renders user Markdown to HTML that is safe to embed.
pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let parser = Parser::new_ext(markdown, options);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    sanitizer().clean(&html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html() {
        assert_eq!(
            render("**bold** claim"),
            "<p><strong>bold</strong> claim</p>\n"
        );
    }

    #[test]
    fn scripts_handlers_and_javascript_links_do_not_survive() {
        let html = render(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn links_are_marked_nofollow_ugc_noopener() {
        let html = render("[source](https://example.com/report)");
        assert!(html.contains(r#"rel="nofollow ugc noopener""#), "{html}");
    }
}
