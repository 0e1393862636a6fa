//! Entity tags: how one is made (versions, request, reader) and how `If-None-Match` and
//! `If-Match` are compared with it (RFC 9110: weak comparison for the first, strong for the
//! second; `*` matches any current representation).

use actix_web::http::header;
use actix_web::HttpRequest;
use sha2::{Digest, Sha256};

use crate::ids::UserId;

/// The strong tag of a response: the versions it shows (which name the resource's id), a short
/// hash of the route pattern and the query (a page, its sort, its cursor), and the reader for
/// a signed-in view. The same on every
/// instance of one build, so a CDN can revalidate against any of them.
pub fn etag(version: &str, route: &str, query: &str, viewer: Option<UserId>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(route.as_bytes());
    hasher.update(b"?");
    hasher.update(query.as_bytes());
    let digest = hasher.finalize();
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    match viewer {
        Some(id) => format!("\"{version}-{short}-r{}\"", id.get()),
        None => format!("\"{version}-{short}\""),
    }
}

/// The tags a conditional header lists.
pub enum Condition {
    /// `*`.
    Any,
    /// The listed tags as sent, `W/` kept.
    Tags(Vec<String>),
}

impl Condition {
    /// Strong comparison (`If-Match`): a weak tag never matches.
    pub fn matches(&self, current: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|t| t == current),
        }
    }

    /// Weak comparison (`If-None-Match`): `W/` is ignored.
    pub fn matches_weakly(&self, current: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags
                .iter()
                .any(|t| t.strip_prefix("W/").unwrap_or(t) == current),
        }
    }
}

/// Parses a conditional header's value(s); `None` when absent or unreadable.
fn condition(req: &HttpRequest, name: header::HeaderName) -> Option<Condition> {
    let mut tags = Vec::new();
    for value in req.headers().get_all(name) {
        let text = value.to_str().ok()?;
        for part in text.split(',') {
            let part = part.trim();
            if part == "*" {
                return Some(Condition::Any);
            }
            if !part.is_empty() {
                tags.push(part.to_owned());
            }
        }
    }
    (!tags.is_empty()).then_some(Condition::Tags(tags))
}

/// Whether `If-None-Match` names `current` (answer 304).
pub fn none_match(req: &HttpRequest, current: &str) -> bool {
    condition(req, header::IF_NONE_MATCH).is_some_and(|c| c.matches_weakly(current))
}

/// The `If-Match` condition, if the request has one.
pub fn if_match(req: &HttpRequest) -> Option<Condition> {
    condition(req, header::IF_MATCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn tags_differ_by_version_query_and_reader() {
        let base = etag("a1.5.0", "/p", "sort=best", None);
        assert_ne!(base, etag("a1.6.0", "/p", "sort=best", None));
        assert_ne!(base, etag("a1.5.0", "/p", "sort=new", None));
        assert_ne!(base, etag("a1.5.0", "/p", "sort=best", Some(UserId(3))));
        assert_eq!(base, etag("a1.5.0", "/p", "sort=best", None));
        assert!(base.starts_with('"') && base.ends_with('"'));
    }

    #[test]
    fn if_none_match_compares_weakly_and_lists() {
        let tag = etag("p1", "/x", "", None);
        let req = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, format!("\"other\", W/{tag}")))
            .to_http_request();
        assert!(none_match(&req, &tag));
        let star = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "*"))
            .to_http_request();
        assert!(none_match(&star, &tag));
        assert!(!none_match(&TestRequest::default().to_http_request(), &tag));
    }

    #[test]
    fn if_match_compares_strongly() {
        let tag = etag("p1", "/x", "", None);
        let weak = TestRequest::default()
            .insert_header((header::IF_MATCH, format!("W/{tag}")))
            .to_http_request();
        assert!(!if_match(&weak).is_some_and(|c| c.matches(&tag)));
        let strong = TestRequest::default()
            .insert_header((header::IF_MATCH, tag.clone()))
            .to_http_request();
        assert!(if_match(&strong).is_some_and(|c| c.matches(&tag)));
    }
}
