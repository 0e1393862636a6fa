//! The rules of a search request that need no database: which parameters are valid together,
//! and how a highlighted snippet is made safe to insert as HTML.

use crate::error::{FieldError, FieldErrors};

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// Largest page.
pub const MAX_LIMIT: i64 = 50;

/// How many of the newest matches a search ranks. A common word matches tens of thousands of
/// comments; ranking them all costs a query hundreds of milliseconds, and nobody pages that
/// far: a query matching more is best narrowed (more words, an article, an author).
pub const MAX_RANKED: i64 = 1_000;

/// Marks the start of a match in `ts_headline`'s output: a private-use character, which
/// escaping leaves alone and no markup can forge (it is replaced only after escaping).
pub const MATCH_START: char = '\u{E000}';

/// Marks the end of a match.
pub const MATCH_END: char = '\u{E001}';

/// The options `ts_headline` is called with: the markers, and up to two fragments of 10–30
/// words.
pub fn headline_options() -> String {
    format!(
        "StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords=30, MinWords=10, \
         MaxFragments=2, FragmentDelimiter=\" … \""
    )
}

/// What is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchType {
    /// Visible comments.
    Comments,
    /// Live, published articles.
    Articles,
    /// Predictions of visible comments.
    Predictions,
}

impl SearchType {
    /// The `type` parameter's name, also the cursor's list name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Comments => "comments",
            Self::Articles => "articles",
            Self::Predictions => "predictions",
        }
    }
}

/// Which predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredictionStatus {
    /// Not resolved yet.
    Open,
    /// Resolved (any outcome).
    Resolved,
}

impl PredictionStatus {
    /// The `status` parameter's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
        }
    }
}

/// A checked search request (paging is checked by `pagination`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    /// The query, trimmed.
    pub query: String,
    /// What is searched.
    pub kind: SearchType,
    /// An article's slug.
    pub article: Option<String>,
    /// An author's username.
    pub author: Option<String>,
    /// Predictions only.
    pub status: Option<PredictionStatus>,
    /// The text search configuration (`search_language`, the same `search_settings` holds).
    pub language: String,
}

/// Checks the parameters, collecting every failure into `errors` (so that one 422 names them
/// all, with the paging ones).
pub fn parse(
    errors: &mut FieldErrors,
    q: Option<&str>,
    kind: Option<&str>,
    article: Option<&str>,
    author: Option<&str>,
    status: Option<&str>,
) -> Option<SearchRequest> {
    let query = errors.check(check_query(q));
    let kind = errors.check(match kind {
        None | Some("comments") => Ok(SearchType::Comments),
        Some("articles") => Ok(SearchType::Articles),
        Some("predictions") => Ok(SearchType::Predictions),
        Some(_) => Err(FieldError::new(
            "type",
            "invalid_value",
            "one of comments, articles, predictions",
        )),
    });
    let status = errors.check(match (status, kind) {
        (None, _) => Ok(None),
        (Some(_), Some(kind)) if kind != SearchType::Predictions => Err(FieldError::new(
            "status",
            "not_allowed",
            "status filters predictions only (type=predictions)",
        )),
        (Some("open"), _) => Ok(Some(PredictionStatus::Open)),
        (Some("resolved"), _) => Ok(Some(PredictionStatus::Resolved)),
        (Some(_), _) => Err(FieldError::new(
            "status",
            "invalid_value",
            "one of open, resolved",
        )),
    });
    Some(SearchRequest {
        query: query?,
        kind: kind?,
        article: non_blank(article),
        author: non_blank(author),
        status: status?,
        language: String::new(),
    })
}

/// A filter's value, trimmed; a blank one is no filter.
fn non_blank(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The query: present, 1–[`MAX_QUERY_CHARS`] characters once trimmed.
fn check_query(q: Option<&str>) -> Result<String, FieldError> {
    let query = q.map(str::trim).unwrap_or_default();
    if query.is_empty() {
        return Err(FieldError::new("q", "required", "what to search for"));
    }
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(FieldError::new(
            "q",
            "too_long",
            format!("at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    Ok(query.to_owned())
}

/// A `ts_headline` result as HTML: whitespace collapsed, everything escaped, the match markers
/// turned into `<mark>` elements, and the result cleaned by the same sanitiser as comment
/// bodies with only `<mark>` allowed (so a marker in the text itself cannot unbalance it).
pub fn snippet_html(headline: &str) -> String {
    let collapsed = headline.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut escaped = String::with_capacity(collapsed.len() + 32);
    for c in collapsed.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            MATCH_START => escaped.push_str("<mark>"),
            MATCH_END => escaped.push_str("</mark>"),
            other => escaped.push(other),
        }
    }
    ammonia::Builder::empty()
        .add_tags(["mark"])
        .clean(&escaped)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(
        q: Option<&str>,
        kind: Option<&str>,
        status: Option<&str>,
    ) -> Result<SearchRequest, Vec<(String, String)>> {
        let mut errors = FieldErrors::new();
        let request = parse(&mut errors, q, kind, Some(" "), Some("Ada"), status);
        match errors.finish() {
            Ok(()) => Ok(request.expect("request")),
            Err(crate::error::ApiError::Validation(fields)) => {
                Err(fields.into_iter().map(|f| (f.field, f.code)).collect())
            }
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_request_is_checked_field_by_field() {
        let ok = parsed(Some("  summit  "), None, None).expect("valid");
        assert_eq!(ok.query, "summit");
        assert_eq!(ok.kind, SearchType::Comments);
        assert_eq!(ok.article, None, "a blank filter is no filter");
        assert_eq!(ok.author.as_deref(), Some("Ada"));
        let predictions = parsed(Some("x"), Some("predictions"), Some("open")).expect("valid");
        assert_eq!(predictions.status, Some(PredictionStatus::Open));

        let fields = parsed(Some(" "), Some("posts"), Some("open")).expect_err("invalid");
        assert_eq!(
            fields,
            [
                ("q".to_owned(), "required".to_owned()),
                ("type".to_owned(), "invalid_value".to_owned()),
            ]
        );
        let long = "x".repeat(201);
        let fields = parsed(Some(&long), Some("comments"), Some("open")).expect_err("invalid");
        assert_eq!(
            fields,
            [
                ("q".to_owned(), "too_long".to_owned()),
                ("status".to_owned(), "not_allowed".to_owned()),
            ]
        );
        let fields = parsed(Some("x"), Some("predictions"), Some("maybe")).expect_err("bad");
        assert_eq!(fields, [("status".to_owned(), "invalid_value".to_owned())]);
    }

    #[test]
    fn snippets_escape_the_text_and_mark_only_the_matches() {
        let headline =
            format!("a <img src=x onerror=alert(1)> {MATCH_START}summit{MATCH_END}\n\n & \"more\"");
        assert_eq!(
            snippet_html(&headline),
            "a &lt;img src=x onerror=alert(1)&gt; <mark>summit</mark> &amp; \"more\""
        );
        let unbalanced = format!("{MATCH_START}open <b>never closed");
        let html = snippet_html(&unbalanced);
        assert!(
            html.starts_with("<mark>open &lt;b&gt;never closed"),
            "{html}"
        );
        assert!(html.ends_with("</mark>"), "{html}");
    }
}
