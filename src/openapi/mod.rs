//! The OpenAPI document, assembled from the `#[utoipa::path]` annotations on the handlers.
//! A test compares its paths with Rocket's routes, so the two cannot drift apart.

mod serve;

pub use serve::{DocsFile, docs, openapi_json};

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::{
    areas, audit, certifications, change_requests, channels, feedback, indicators, meta, photos,
    policies, products, public, schemes, subjects, sync, tokens, units,
};

/// Routes of this module: the document and its UI.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![serve::openapi_json, serve::docs]
}

/// The whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "ocop-registry",
        description = "System of record for Vietnam's OCOP programme: subjects, products, star \
                       recognitions, evidence and the value-chain and modern-channel indicators.",
    ),
    paths(
        meta::health,
        meta::metrics,
        serve::openapi_json,
        serve::docs,
        units::routes::list_units,
        units::routes::get_unit,
        tokens::routes::list_tokens,
        tokens::routes::create_token,
        tokens::routes::revoke_token,
        audit::routes::list_audit,
        subjects::routes::list_subjects,
        subjects::routes::create_subject,
        subjects::routes::get_subject,
        subjects::routes::update_subject,
        change_requests::routes::create_change_request,
        change_requests::routes::list_change_requests,
        change_requests::routes::decide_change_request,
        crate::drafts::routes::create_draft,
        crate::drafts::routes::list_drafts,
        crate::drafts::routes::get_draft,
        crate::drafts::routes::complete_draft,
        crate::drafts::routes::discard_draft,
        crate::imports::routes::import,
        crate::imports::routes::template,
        crate::notices::routes::list_notices,
        crate::documents::routes::upload_document,
        crate::documents::routes::get_document,
        crate::users::routes::create_user,
        crate::users::routes::list_users,
        crate::users::routes::reset_user_password,
        crate::users::routes::update_user,
        products::routes::list_products,
        products::routes::create_product,
        products::routes::get_product,
        products::routes::update_product,
        products::routes::list_recognitions,
        products::routes::create_recognition,
        products::routes::get_recognition,
        products::routes::revoke_recognition,
        public::routes::list_public_products,
        public::routes::get_public_product,
        feedback::routes::report_form,
        feedback::routes::submit_report,
        feedback::routes::published_answers,
        feedback::routes::list_reports,
        feedback::routes::answer_report,
        feedback::routes::close_report,
        feedback::routes::report_photo,
        photos::routes::upload_photo,
        photos::routes::product_photos,
        photos::routes::list_photos,
        photos::routes::photo_file,
        photos::routes::approve_photo,
        photos::routes::reject_photo,
        areas::routes::list_areas,
        areas::routes::create_area,
        areas::routes::get_area,
        areas::routes::update_area,
        areas::routes::list_all_areas,
        areas::routes::transition_area,
        schemes::routes::list_schemes,
        schemes::routes::create_scheme,
        schemes::routes::update_scheme,
        certifications::routes::list_certifications,
        certifications::routes::list_all_certifications,
        certifications::routes::create_certification,
        certifications::routes::get_certification,
        certifications::routes::update_certification,
        certifications::routes::transition_certification,
        channels::routes::list_channels,
        channels::routes::list_all_channels,
        channels::routes::create_channel,
        channels::routes::get_channel,
        channels::routes::update_channel,
        channels::routes::verify_channel,
        channels::routes::reject_channel,
        channels::routes::list_listings,
        policies::routes::list_policies,
        policies::routes::create_policy,
        indicators::routes::get_indicators,
        indicators::routes::explain_indicators,
        indicators::routes::indicator_changes,
        indicators::routes::list_reports,
        indicators::routes::freeze_report,
        indicators::routes::get_report,
        sync::routes::get_channel_connection,
        sync::routes::put_channel_connection,
        sync::routes::delete_channel_connection,
        sync::routes::authorize_channel,
        sync::routes::sync_channel,
        sync::routes::list_sync_runs,
        sync::routes::receive_webhook,
        sync::routes::match_listing,
    ),
    // Enums used only as query parameters are not reached through any body schema,
    // so they are registered here for the parameters' `$ref`s to resolve.
    components(schemas(
        crate::export::Format,
        crate::indicators::dto::SubjectOrder,
        crate::i18n::Lang,
        crate::domain::UnitLevel,
        crate::domain::ListingStatus,
        crate::domain::LegalForm,
        crate::sync::dto::RunStatus,
        crate::change_requests::dto::RequestStatus,
        crate::drafts::dto::DraftEntity,
        crate::imports::dto::ImportKind,
        crate::imports::dto::ImportSummary,
        crate::imports::dto::RowMessage,
        crate::drafts::dto::DraftStatus,
    )),
    modifiers(&BearerAuth, &CommonErrors)
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the paths refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `ocop-registry token create`"))
                    .build(),
            ),
        );
    }
}

/// Documents the error answers that any operation of a given shape can give, so a
/// handler's annotation lists only what is particular to it. An answer the handler
/// already documents is left as written.
struct CommonErrors;

impl CommonErrors {
    fn add(op: &mut Operation, status: &str, description: &str) {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(error_response(description)));
    }
}

/// What the server accepts as a date (`crate::validate::parse_date`): zero-padded, 1900–2100.
pub const DATE_PATTERN: &str =
    "^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

/// Text parameters never hold control characters (`crate::http::parse_query` refuses them).
fn no_control_characters(schema: &mut utoipa::openapi::schema::Schema) {
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    if let Schema::Object(o) = schema {
        let text = match &o.schema_type {
            SchemaType::Type(t) => *t == Type::String,
            SchemaType::Array(ts) => ts.contains(&Type::String),
            SchemaType::AnyValue => false,
        };
        if text && o.format.is_none() && o.enum_values.is_none() && o.pattern.is_none() {
            o.pattern = Some("^[^\\x00-\\x1f\\x7f-\\x9f]*$".to_owned());
        }
    }
}

/// Adds the date range to every `format: date` string in a schema, wherever it is nested.
fn date_patterns(schema: &mut utoipa::openapi::schema::Schema) {
    use utoipa::openapi::schema::{ArrayItems, KnownFormat, Schema, SchemaFormat};
    let each = |items: &mut Vec<RefOr<Schema>>| {
        for i in items.iter_mut() {
            if let RefOr::T(x) = i {
                date_patterns(x);
            }
        }
    };
    match schema {
        Schema::Object(o) => {
            if matches!(o.format, Some(SchemaFormat::KnownFormat(KnownFormat::Date))) {
                o.pattern = Some(DATE_PATTERN.to_owned());
            }
            for p in o.properties.values_mut() {
                if let RefOr::T(x) = p {
                    date_patterns(x);
                }
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(item) = &mut a.items
                && let RefOr::T(x) = item.as_mut()
            {
                date_patterns(x);
            }
        }
        Schema::OneOf(o) => each(&mut o.items),
        Schema::AllOf(o) => each(&mut o.items),
        Schema::AnyOf(o) => each(&mut o.items),
        _ => {}
    }
}

/// States in the document what the request guards enforce on parameters: ids are UUIDs, and an
/// `If-Match` is an ETag this API sent (or `*`).
fn tighten_parameters(op: &mut Operation) {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    for p in op.parameters.iter_mut().flatten() {
        let RefOr::T(p) = p else { continue };
        match (&p.parameter_in, p.name.as_str()) {
            (ParameterIn::Path, "id") => {
                p.schema = Some(RefOr::T(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                        .into(),
                ));
            }
            (ParameterIn::Header, "If-Match") => {
                p.schema = Some(RefOr::T(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some("^(\\*|(W/)?\"[0-9]{1,9}\"|[0-9]{1,9})$"))
                        .into(),
                ));
            }
            _ => {
                if let Some(RefOr::T(schema)) = &mut p.schema {
                    date_patterns(schema);
                    no_control_characters(schema);
                }
            }
        }
    }
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            for schema in components.schemas.values_mut() {
                if let RefOr::T(s) = schema {
                    date_patterns(s);
                }
            }
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_params = path.contains('{');
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_query = op.parameters.as_ref().is_some_and(|ps| {
                    ps.iter().any(|p| {
                        matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query))
                    })
                });
                if secured {
                    Self::add(op, "401", "No, unknown or revoked token");
                    Self::add(
                        op,
                        "429",
                        "Too many failed authentications from this client; see Retry-After",
                    );
                }
                tighten_parameters(op);
                if has_path_params {
                    Self::add(op, "404", "No such resource, or not visible to the caller");
                }
                if has_query {
                    Self::add(op, "400", "Malformed query parameter");
                    Self::add(op, "404", "A record the query names does not exist");
                    Self::add(op, "422", "Query parameters that do not go together");
                }
                if op.request_body.is_some() {
                    Self::add(op, "400", "Malformed JSON");
                    Self::add(op, "413", "Body too large");
                    Self::add(op, "415", "Body is not application/json");
                    Self::add(op, "422", "Invalid fields");
                    Self::add(op, "404", "A record the request names does not exist");
                }
                Self::add(op, "500", "Internal fault; details are logged, never sent");
            }
        }
    }
}
