//! The widget's static files, embedded in the binary with `include_bytes!` (no build chain,
//! nothing to deploy beside the binary), each with its content type and a strong ETag
//! computed once from its bytes.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// One embedded file.
pub struct Asset {
    /// The name it is served under (`/widget/{name}`, or a fixed route for the pages).
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("assets/", $name)),
        }
    };
}

/// Everything under `/widget/`: the modules the iframe document loads, its CSS, the demo
/// page's script and CSS. The loader and the two HTML pages have routes of their own.
pub const WIDGET_FILES: &[Asset] = &[
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("thread.js", JS),
    asset!("comment.js", JS),
    asset!("compose.js", JS),
    asset!("auth.js", JS),
    asset!("predictions.js", JS),
    asset!("users.js", JS),
    asset!("moderation.js", JS),
    asset!("live.js", JS),
    asset!("strings.js", JS),
    asset!("widget.css", CSS),
    asset!("demo.js", JS),
    asset!("demo.css", CSS),
];

/// `GET /embed.js`: the loader a host page includes.
pub const LOADER: Asset = asset!("embed.js", JS);

/// `GET /embed/{slug}`: the iframe document (the same for every slug: the script reads the
/// slug from its own URL, so no request input is ever written into HTML).
pub const EMBED_PAGE: Asset = asset!("embed.html", HTML);

/// `GET /demo/`: the demo news page.
pub const DEMO_PAGE: Asset = asset!("demo.html", HTML);

/// Every file the widget serves, for the size budget (tests) and the ETags.
pub fn all() -> impl Iterator<Item = &'static Asset> {
    WIDGET_FILES
        .iter()
        .chain([&LOADER, &EMBED_PAGE, &DEMO_PAGE])
}

/// The widget file named `name`, if there is one.
pub fn widget_file(name: &str) -> Option<&'static Asset> {
    WIDGET_FILES.iter().find(|asset| asset.name == name)
}

impl Asset {
    /// A strong ETag from the first 16 bytes of the file's SHA-256, computed once per file.
    pub fn etag(&self) -> &'static str {
        static TAGS: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
        let tags = TAGS.get_or_init(|| {
            all()
                .map(|asset| (asset.name, etag_of(asset.body)))
                .collect()
        });
        tags.iter()
            .find(|(name, _)| *name == self.name)
            .map_or("\"0\"", |(_, tag)| tag.as_str())
    }
}

/// A strong ETag for `body`: the first 16 bytes of its SHA-256, quoted.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}
