//! Articles: the pieces each discussion hangs under. Admins write them (or import Markdown
//! files); everyone reads them.

pub mod markdown;
pub mod model;
pub mod queries;
pub mod routes;
