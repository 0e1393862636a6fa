//! The comment widget as served: the loader, the iframe page, the modules and the demo page,
//! with their types, caching, strict Content-Security-Policy, framing from the setting, the
//! size budget, and the Markdown preview the widget's composer calls.

use std::io::Write;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{assert_problem, json_with_status, problem_fields, TestApp};

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Every directive of the strict policy, and nothing that loosens it.
fn assert_strict(policy: &str) {
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} missing: {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    assert!(!policy.contains('*'), "{policy}");
}

#[tokio::test]
async fn the_embed_page_is_html_under_a_strict_policy_framed_only_by_this_origin() {
    let app = TestApp::spawn().await;
    let response = app.get("/embed/xi-lee-summit-2026").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert_eq!(header(&response, "cache-control"), "no-cache");
    let policy = header(&response, "content-security-policy");
    assert_strict(&policy);
    assert!(policy.contains("frame-ancestors 'self';"), "{policy}");
    let body = response.text().await.expect("body");
    assert!(body.contains(r#"<script type="module" src="/widget/app.js"></script>"#));
    assert!(!body.contains("<script>"), "no inline script");
}

#[tokio::test]
async fn the_slug_is_never_written_into_the_page() {
    let app = TestApp::spawn().await;
    let response = app.get("/embed/%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!(
        response.status(),
        200,
        "an unknown slug is shown by the widget itself"
    );
    let body = response.text().await.expect("body");
    assert!(!body.contains("alert(1)"), "{body}");
    let same = app
        .get("/embed/another-article")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(body, same, "one document for every slug");
}

#[tokio::test]
async fn listed_host_pages_may_frame_the_widget_and_are_told_to_it() {
    let app = TestApp::spawn_with(|s| {
        s.embed_origins = vec![
            "https://news.example".to_owned(),
            "http://localhost:3000".to_owned(),
        ];
    })
    .await;
    let response = app.get("/embed/any").await;
    let policy = header(&response, "content-security-policy");
    assert!(
        policy.contains("frame-ancestors 'self' https://news.example http://localhost:3000;"),
        "{policy}"
    );
    assert_strict(&policy);
    let body = response.text().await.expect("body");
    assert!(
        body.contains(r#"content="https://news.example http://localhost:3000""#),
        "{body}"
    );
}

#[tokio::test]
async fn the_loader_is_javascript_cached_with_an_etag() {
    let app = TestApp::spawn().await;
    let response = app.get("/embed.js").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(header(&response, "cache-control"), "public, max-age=300");
    let etag = header(&response, "etag");
    assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");
    let again = app
        .request(Method::GET, "/embed.js")
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag"), etag);
}

#[tokio::test]
async fn widget_files_are_served_with_their_types_and_unknown_ones_are_404() {
    let app = TestApp::spawn().await;
    for (file, content_type) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("strings.js", "text/javascript; charset=utf-8"),
        ("widget.css", "text/css; charset=utf-8"),
        ("demo.css", "text/css; charset=utf-8"),
    ] {
        let response = app.get(&format!("/widget/{file}")).await;
        assert_eq!(response.status(), 200, "{file}");
        assert_eq!(header(&response, "content-type"), content_type, "{file}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    }
    for missing in ["nope.js", "..%2Fmod.rs", "routes.rs", "embed.html"] {
        assert_problem(app.get(&format!("/widget/{missing}")).await, 404).await;
    }
    let post = app
        .request(Method::POST, "/widget/app.js")
        .send()
        .await
        .expect("request");
    assert_eq!(header(&post, "allow"), "GET");
    assert_problem(post, 405).await;
}

#[tokio::test]
async fn assets_are_gzipped_for_clients_that_accept_it() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/widget/thread.js")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-encoding"), "gzip");
}

#[tokio::test]
async fn the_demo_page_frames_the_widget_from_this_origin_only() {
    let app = TestApp::spawn().await;
    let redirect = app.get("/demo").await;
    assert_eq!(redirect.status(), 308);
    assert_eq!(header(&redirect, "location"), "/demo/");
    let response = app.get("/demo/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    let policy = header(&response, "content-security-policy");
    assert_strict(&policy);
    assert!(policy.contains("frame-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let body = response.text().await.expect("body");
    assert!(body.contains(r#"<div id="hindsight-thread" data-article="xi-lee-summit-2026""#));
    assert!(body.contains(r#"<script src="/embed.js" async></script>"#));
}

#[test]
fn every_asset_gzipped_fits_in_50_kb() {
    let mut total = 0;
    for asset in hindsight::widget::assets::all() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(asset.body).expect("gzip");
        total += encoder.finish().expect("gzip").len();
    }
    assert!(total <= 50 * 1024, "{total} bytes gzipped");
}

#[test]
fn only_the_server_s_sanitised_html_is_ever_parsed_as_html() {
    for asset in hindsight::widget::assets::WIDGET_FILES {
        let text = String::from_utf8_lossy(asset.body);
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            let allowed = sink == "innerHTML" && ["dom.js", "demo.js"].contains(&asset.name);
            let uses = text.matches(sink).count();
            assert!(
                allowed && uses == 1 || uses == 0,
                "{} uses {sink}",
                asset.name
            );
        }
    }
}

#[tokio::test]
async fn a_preview_renders_markdown_as_a_comment_would_without_posting_it() {
    let app = TestApp::spawn().await;
    let body = json!({"body": "**bold** <img src=x onerror=alert(1)> [x](javascript:alert(1))"});
    assert_problem(app.post("/api/v1/preview", &body).await, 401).await;
    let reader = app.register("previewer").await;
    let preview = json_with_status(
        app.post_as(&reader.token, "/api/v1/preview", &body).await,
        200,
    )
    .await;
    let html = preview["body_html"].as_str().expect("html");
    assert!(html.contains("<strong>bold</strong>"), "{html}");
    assert!(
        !html.contains("onerror") && !html.contains("javascript:"),
        "{html}"
    );
    assert_eq!(app.count("SELECT count(*) FROM comments").await, 0);
    let empty = assert_problem(
        app.post_as(&reader.token, "/api/v1/preview", &json!({"body": "  "}))
            .await,
        422,
    )
    .await;
    assert_eq!(
        problem_fields(&empty),
        [("body".to_owned(), "required".to_owned())]
    );
}
