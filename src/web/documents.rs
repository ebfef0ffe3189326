//! A document from the pages: the same service and the same rule as the API (its subject's
//! owner, the auditors of its unit, administrators), for the signed-in person.

use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::{State, get};
use sea_orm::DatabaseConnection;

use super::page::{PageError, Viewer};
use crate::documents::DocumentStore;
use crate::export::Download;
use crate::ids::parse_id;

/// A document shown in the browser's own viewer (a PDF, a photo), not saved as a download:
/// the auditor reads the scan beside the claim. Only PDF, JPEG and PNG are ever stored (by
/// their content), and every answer says `nosniff`.
pub struct Shown(pub Download);

impl<'r> Responder<'r, 'static> for Shown {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = self.0.respond_to(req)?;
        if let Some(d) = res.headers().get_one("Content-Disposition") {
            let inline = d.replacen("attachment", "inline", 1);
            res.set_raw_header("Content-Disposition", inline);
        }
        Ok(res)
    }
}

#[get("/documents/<id>")]
pub async fn document(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    viewer: Viewer,
    id: &str,
) -> Result<Shown, PageError> {
    let actor = viewer.actor()?;
    let id = parse_id("document", id)?;
    let (doc, bytes) =
        crate::documents::service::read(db.inner(), store.inner(), actor, id).await?;
    Ok(Shown(Download::of(doc.file_name, &doc.content_type, bytes)))
}
