//! Articles: the pieces each discussion hangs under. Admins write them (or import Markdown
//! files); everyone reads them.
//!
//! Layers: `routes` (HTTP only) → `service` (returning `ArticleError`) → `domain` (slugs,
//! tags, lengths, rendering; no database) and `queries` (every statement); `model` holds the
//! rows and wire types, `markdown` the renderer comments share.

pub mod domain;
pub mod error;
pub mod markdown;
pub mod mention_links;
pub mod model;
pub mod queries;
pub mod routes;
pub mod service;
