//! What answers when no route matched: 405 with `Allow` when the path is known under another
//! method, else 404. The known paths come from the generated OpenAPI document, so the fallback
//! cannot drift from the routes (actix's route macros alone would answer 404 for both).

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::{web, HttpRequest};
use utoipa::openapi::OpenApi;

use crate::error::ApiError;

/// Every documented path pattern with the methods it serves.
#[derive(Debug, Default)]
pub struct KnownRoutes(Vec<(ResourceDef, Vec<Method>)>);

impl KnownRoutes {
    /// Collects the paths and methods of an OpenAPI document.
    pub fn from_openapi(doc: &OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                let pairs = [
                    (&item.get, Method::GET),
                    (&item.post, Method::POST),
                    (&item.put, Method::PUT),
                    (&item.patch, Method::PATCH),
                    (&item.delete, Method::DELETE),
                ];
                for (operation, method) in pairs {
                    if operation.is_some() {
                        methods.push(method);
                    }
                }
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }

    /// The methods served at `path`, when the path is known at all.
    pub fn methods_for(&self, path: &str) -> Option<Vec<Method>> {
        let mut found: Option<Vec<Method>> = None;
        for (def, methods) in &self.0 {
            if def.is_match(path) {
                found
                    .get_or_insert_with(Vec::new)
                    .extend(methods.iter().cloned());
            }
        }
        found
    }
}

/// The app's default service.
pub async fn not_found_or_method_not_allowed(
    req: HttpRequest,
    routes: web::Data<KnownRoutes>,
) -> Result<actix_web::HttpResponse, ApiError> {
    match routes.methods_for(req.path()) {
        Some(methods) if !methods.contains(req.method()) => {
            Err(ApiError::MethodNotAllowed(methods))
        }
        _ => Err(ApiError::not_found(format!("no route {}", req.path()))),
    }
}
