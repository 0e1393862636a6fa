//! What each comment endpoint does between the HTTP request and the queries: checks and
//! renders input (`writing`), runs the write transactions of `comments::write`, and loads what
//! the answer shows (`reading`). Every function returns a [`CommentError`]; handlers only
//! extract, call and map it with `?`.

pub mod reading;
pub mod writing;

pub use crate::comments::error::CommentError;
