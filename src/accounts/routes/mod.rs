//! Account handlers: HTTP only (extract, call, map the result). Registration and tokens in
//! `auth`, the own account in `own_account`, profiles and roles in `users`.

pub mod auth;
pub mod own_account;
pub mod users;

use auth::{
    confirm_password_reset, login, logout, refresh, register, request_password_reset, verify_email,
};
use own_account::{change_password, delete_me, me, resend_verification, update_me};
use users::{change_role, profile};

/// Registers every account route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(request_password_reset)
        .service(confirm_password_reset)
        .service(verify_email)
        .service(me)
        .service(update_me)
        .service(delete_me)
        .service(change_password)
        .service(resend_verification)
        .service(profile)
        .service(change_role);
}
