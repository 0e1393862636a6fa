//! The Content-Security-Policy of the widget's pages: only this origin's scripts, styles,
//! images and API, no inline script, no third-party request; framing allowed only to this
//! origin and the host pages listed in `HINDSIGHT_EMBED_ORIGINS`.

/// The policy of `/embed/{slug}`: framed by this origin (the demo) and the listed host pages.
pub fn embed_policy(embed_origins: &[String]) -> String {
    let mut ancestors = String::from("'self'");
    for origin in embed_origins {
        ancestors.push(' ');
        ancestors.push_str(origin);
    }
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-ancestors {ancestors}; base-uri 'none'; form-action 'none'"
    )
}

/// The policy of `/demo/`: like the embed page's, plus framing the widget from this origin;
/// the demo itself may be framed by nobody.
pub fn demo_policy() -> &'static str {
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'none'"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listed_host_pages_may_frame_the_widget() {
        let policy = embed_policy(&["https://news.example".to_owned()]);
        assert!(policy.contains("frame-ancestors 'self' https://news.example;"));
        assert!(policy.contains("script-src 'self';"));
        assert!(!policy.contains("unsafe"));
    }

    #[test]
    fn without_a_list_only_this_origin_may_frame_it() {
        assert!(embed_policy(&[]).contains("frame-ancestors 'self';"));
    }
}
