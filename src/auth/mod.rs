//! Authentication: argon2id passwords, JWT access tokens with refresh-token families, and the
//! extractors (`AuthUser`, `MaybeUser`, `Admin`) through which a handler's signature says who
//! may call it.

pub mod extract;
pub mod held;
pub mod password;
pub mod queries;
pub mod role;
pub mod tokens;

pub use extract::{Admin, AuthUser, MaybeUser, Moderator};
pub use held::AuthConn;
pub use role::Role;
