//! A document from the pages: the same service and the same rule as the API (its subject's
//! owner, the auditors of its unit, administrators), for the signed-in person.

use rocket::{State, get};
use sea_orm::DatabaseConnection;

use super::page::{PageError, Viewer};
use crate::documents::DocumentStore;
use crate::export::Download;
use crate::ids::parse_id;

#[get("/documents/<id>")]
pub async fn document(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    viewer: Viewer,
    id: &str,
) -> Result<Download, PageError> {
    let actor = viewer.actor()?;
    let id = parse_id("document", id)?;
    let (doc, bytes) =
        crate::documents::service::read(db.inner(), store.inner(), actor, id).await?;
    Ok(crate::documents::routes::file_of(doc, bytes))
}
