//! The OpenAPI document: the `ApiDoc` skeleton (info, security, shared schemas) filled with
//! every route registered through utoipa-actix-web, so the contract comes from the code.

use actix_web::App;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};

/// Declares the bearer scheme that authenticated operations reference.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The parts of the document that no handler declares.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "hindsight",
        description = "Comment sections for a news-analysis site: articles, threaded comments, predictions with scored forecasts, votes and moderation. Errors are RFC 9457 problem+json documents.",
        license(name = "MIT", identifier = "MIT")
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerScheme),
    tags(
        (name = "operations", description = "Health and readiness"),
        (name = "accounts", description = "Registration, tokens, profiles and roles"),
        (name = "articles", description = "Articles, written by admins"),
        (name = "comments", description = "Threaded comments under each article"),
    )
)]
pub struct ApiDoc;

/// The complete document, as served and as committed in `openapi.yaml`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::startup::routes)
        .split_for_parts();
    doc
}

/// The document in YAML (what `hindsight openapi` prints).
pub fn yaml() -> anyhow::Result<String> {
    document()
        .to_yaml()
        .map_err(|e| anyhow::anyhow!("rendering the OpenAPI document: {e}"))
}
