//! The OpenAPI document: the `ApiDoc` skeleton (info, security, shared schemas) filled with
//! every route registered through utoipa-actix-web, so the contract comes from the code.

use actix_web::App;
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::RefOr;
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

/// Marks every property of every response schema as required: hindsight always sends every
/// documented field (null when it does not apply), and frontends must be able to rely on that.
/// Request schemas (named `…Request`) keep their optional fields optional.
struct ResponsesAlwaysComplete;

fn require_all(schema: &mut Schema) {
    match schema {
        Schema::Object(object) => {
            object.required = object.properties.keys().cloned().collect();
            for property in object.properties.values_mut() {
                if let RefOr::T(inner) = property {
                    require_all(inner);
                }
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                if let RefOr::T(inner) = items.as_mut() {
                    require_all(inner);
                }
            }
        }
        Schema::AllOf(all) => {
            for item in &mut all.items {
                if let RefOr::T(inner) = item {
                    require_all(inner);
                }
            }
        }
        _ => {}
    }
}

impl Modify for ResponsesAlwaysComplete {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, schema) in components.schemas.iter_mut() {
            if name.ends_with("Request") {
                continue;
            }
            if let RefOr::T(schema) = schema {
                require_all(schema);
            }
        }
    }
}

/// Lists every problem type with its status in the description of `Problem.type`, from
/// [`crate::error::ProblemKind::ALL`], so clients can switch on them from the contract alone.
struct ProblemTypesListed;

impl Modify for ProblemTypesListed {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let parts: Vec<&mut Schema> = match components.schemas.get_mut("Problem") {
            Some(RefOr::T(Schema::AllOf(all))) => all
                .items
                .iter_mut()
                .filter_map(|item| match item {
                    RefOr::T(schema) => Some(schema),
                    RefOr::Ref(_) => None,
                })
                .collect(),
            Some(RefOr::T(schema)) => vec![schema],
            _ => return,
        };
        let kind = parts.into_iter().find_map(|part| match part {
            Schema::Object(object) => match object.properties.get_mut("type") {
                Some(RefOr::T(Schema::Object(kind))) => Some(kind),
                _ => None,
            },
            _ => None,
        });
        let Some(kind) = kind else {
            return;
        };
        let mut description = kind.description.clone().unwrap_or_default();
        description.push_str("\n\nEvery type the service answers, with its status:\n");
        for kind in crate::error::ProblemKind::ALL {
            description.push_str(&format!(
                "\n- `/problems/{}` ({})",
                kind.slug(),
                kind.status()
            ));
        }
        kind.description = Some(description);
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
    components(schemas(
        Problem,
        FieldError,
        crate::comments::sort::Sort,
        crate::predictions::state::PredictionSort,
        crate::predictions::state::StatusFilter,
        crate::moderation::model::ReportStatus,
        crate::events::wire::VotesData,
        crate::events::wire::ForecastsData,
        crate::events::wire::ResolutionData,
        crate::events::wire::LockData,
        crate::events::wire::ThreadDeletedData,
        crate::events::wire::PinData,
        crate::events::wire::NotificationData,
        crate::events::wire::UnreadData,
        crate::events::wire::ResetData,
        crate::events::schema::ThreadStreamEvent,
        crate::events::schema::UserStreamEvent,
    )),
    modifiers(&BearerScheme),
    tags(
        (name = "operations", description = "Health and readiness"),
        (name = "accounts", description = "Registration, tokens, profiles and roles"),
        (name = "articles", description = "Articles, written by admins"),
        (name = "comments", description = "Threaded comments under each article"),
        (name = "predictions", description = "Predictions, forecasts, resolution and track records"),
        (name = "moderation", description = "Removal, locks, pins, bans, reports and the public moderation log"),
        (name = "notifications", description = "A reader's notifications, their settings and comment mutes"),
        (name = "live", description = include_str!("events/streams.md")),
        (name = "search", description = "Full-text search over comments, articles and predictions"),
    )
)]
pub struct ApiDoc;

/// The complete document, as served and as committed in `openapi.yaml`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::startup::routes)
        .split_for_parts();
    ResponsesAlwaysComplete.modify(&mut doc);
    ProblemTypesListed.modify(&mut doc);
    doc
}

/// The document in YAML (what `hindsight openapi` prints).
pub fn yaml() -> anyhow::Result<String> {
    document()
        .to_yaml()
        .map_err(|e| anyhow::anyhow!("rendering the OpenAPI document: {e}"))
}

/// The rendered YAML, computed once at startup.
pub struct OpenApiYaml(pub String);

/// `GET /api/v1/openapi.yaml` (the JSON is served by the Swagger UI service at
/// `/api/v1/openapi.json`).
#[actix_web::get("/api/v1/openapi.yaml")]
pub async fn serve_yaml(yaml: actix_web::web::Data<OpenApiYaml>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/yaml")
        .body(yaml.0.clone())
}

/// `/docs` without the trailing slash leads to the interactive docs.
#[actix_web::get("/docs")]
pub async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Found()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}
