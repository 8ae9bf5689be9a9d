//! `GET /openapi.json`: the OpenAPI 3.1 document, generated from the handlers' annotations and
//! the request and response types (utoipa), so it cannot drift from the code.

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi};

use super::{datasets, generators, page, reports, samples, users};

#[derive(OpenApi)]
#[openapi(
    info(title = "tabveil-server", description = "Differentially private synthetic data as a service: datasets with a lifetime privacy budget, fit jobs, samples, privacy reports and a hash-chained ledger."),
    paths(
        page::owner_page, users::health, users::me, users::create, users::revoke, users::grant, users::ungrant,
        datasets::create, datasets::list, datasets::show, datasets::upload, datasets::download,
        datasets::budget, datasets::ledger,
        generators::create, generators::create_legacy, generators::list, generators::show,
        generators::cancel, generators::events,
        samples::sample, reports::privacy_report, reports::evaluation,
    ),
    modifiers(&Bearer, &GeneratorTypes)
)]
struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        // The owner page only: the token as the password.
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

/// Lists the model registry's generator types as the values of `FitRequest.generator_type`,
/// so a model registered later appears without editing the API.
struct GeneratorTypes;

impl Modify for GeneratorTypes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(RefOr::T(Schema::Object(request))) = openapi
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut("FitRequest"))
        else {
            return;
        };
        if let Some(RefOr::T(Schema::Object(field))) = request.properties.get_mut("generator_type")
        {
            field.enum_values = Some(
                generators::generator_types()
                    .into_iter()
                    .map(serde_json::Value::from)
                    .collect(),
            );
        }
    }
}

/// The document.
pub(crate) fn spec() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /openapi.json`.
pub(crate) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(spec())
}
