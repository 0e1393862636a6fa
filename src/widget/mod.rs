//! The reader's comment widget, served by the service itself so that a news site needs no
//! frontend of its own: the `embed.js` loader a host page includes, the iframe document
//! (`/embed/{slug}`) it mounts from this origin (so the host page's scripts cannot reach the
//! reader's tokens), the widget's ES modules and CSS (`assets/`, embedded in the binary), and
//! `/demo/`, a small news page showing the demo article with the widget under it.

pub mod assets;
pub mod csp;
pub mod routes;

pub use routes::configure;
