//! The pages: server-rendered HTML in Vietnamese (English on request), for the department, the
//! public and, later, owners. Handlers call the same services as the API; templates are
//! checked at compile time (askama); the style sheet is inside the binary; no page needs
//! JavaScript.

pub mod account;
pub mod accounts;
pub mod connect;
pub mod dashboard;
pub mod decisions;
pub mod documents;
pub mod drafts;
mod drill;
pub mod feedback;
mod figures;
pub mod forms;
pub mod imports;
pub mod labels;
pub mod map;
pub mod me;
pub mod owner_forms;
mod owner_specs;
pub mod page;
pub mod photos;
pub mod public;
pub mod queue;
mod queue_items;
pub mod records;
pub mod reports;
pub mod subject_forms;
pub mod subject_specs;
pub mod subjects;
mod unit_choice;
pub mod units;

use rocket::get;
use rocket::http::{ContentType, Header};

/// The files the pages load, compiled in (no CDN reaches a department's network): the style
/// sheet, the map of areas and Leaflet (static/leaflet/LICENSE, BSD-2-Clause).
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.css", "text/css", include_str!("../../static/app.css")),
    (
        "map.js",
        "text/javascript",
        include_str!("../../static/map.js"),
    ),
    (
        "leaflet/leaflet.js",
        "text/javascript",
        include_str!("../../static/leaflet/leaflet.js"),
    ),
    (
        "leaflet/leaflet.css",
        "text/css",
        include_str!("../../static/leaflet/leaflet.css"),
    ),
];

/// Cached for a day: the file changes only with the binary.
#[derive(rocket::Responder)]
pub struct Asset {
    body: &'static str,
    content_type: ContentType,
    cache: Header<'static>,
}

#[get("/static/<path..>")]
pub fn asset(path: std::path::PathBuf) -> Option<Asset> {
    let path = path.to_str()?;
    let (_, kind, body) = ASSETS.iter().find(|(name, _, _)| *name == path)?;
    Some(Asset {
        body,
        content_type: ContentType::parse_flexible(kind)?,
        cache: Header::new("Cache-Control", "public, max-age=86400"),
    })
}

/// Routes of the pages.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        asset,
        account::login_form,
        account::login,
        account::logout,
        account::password_form,
        account::change_password,
        dashboard::dashboard,
        drill::subjects_page,
        drill::subjects_export,
        dashboard::dashboard_export,
        map::unit_map,
        imports::imports_form,
        imports::imports_template,
        imports::imports_upload,
        me::me,
        me::save_contact,
        owner_forms::submit,
        owner_forms::submit_edit,
        documents::document,
        accounts::accounts,
        subjects::registry,
        subjects::registry_export,
        drafts::drafts_page,
        drafts::complete,
        drafts::discard,
        subjects::subject,
        subject_forms::register,
        subject_forms::submit,
        units::units_page,
        accounts::create,
        accounts::act,
        connect::connect,
        connect::connect_go,
        connect::disconnect,
        connect::callback,
        queue::queue,
        decisions::decide_certification,
        decisions::decide_area,
        decisions::decide_channel,
        decisions::decide_request,
        decisions::decide_feedback,
        decisions::decide_photo,
        photos::photos,
        photos::upload,
        photos::file,
        photos::public_photo,
        reports::freeze,
        reports::list,
        reports::open,
        reports::export,
        public::search,
        public::product,
        public::product_unknown,
        labels::label_svg,
        labels::label_pdf,
        feedback::report_page,
        feedback::send_report,
        feedback::report_photo,
    ]
}
