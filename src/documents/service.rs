//! Uploading, reading and attaching documents.

use entity::document;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, IntoActiveModel};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::dto::DocumentView;
use super::store::DocumentStore;
use crate::audit::{self, Change};
use crate::auth::{Actor, owned, visible};
use crate::db::begin_write;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::{clock, ids};

/// The entity name in the audit trail.
const ENTITY: &str = "document";

/// The types a document may have, recognised from its first bytes (a name or a declared type
/// proves nothing).
const ACCEPTED: &[&str] = &["application/pdf", "image/jpeg", "image/png"];

/// An uploaded file, as received.
#[derive(Debug)]
pub struct Upload {
    /// Whose document: required of auditors and administrators, an owner's own otherwise.
    pub subject_id: Option<Uuid>,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The type of a document's content, if accepted.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    infer::get(bytes)
        .map(|t| t.mime_type())
        .and_then(|m| ACCEPTED.iter().copied().find(|a| *a == m))
}

/// A file name safe to echo in a header: the last path part, control characters and quotes
/// dropped, at most 255 characters.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(255)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() {
        "tai-lieu".to_owned()
    } else {
        cleaned
    }
}

/// Stores an uploaded document of a subject the actor reaches (owners: their own).
pub async fn upload(
    db: &DatabaseConnection,
    store: &DocumentStore,
    actor: &Actor,
    upload: Upload,
) -> AppResult<DocumentView> {
    let m = prepare(db, store, actor, upload).await?;
    let txn = begin_write(db).await?;
    let view = record_in(&txn, actor, m).await?;
    txn.commit().await?;
    Ok(view)
}

/// Checks an upload and stores its bytes; the row to record is returned, for the caller's
/// write transaction ([`record_in`]). No write lock is held while the bytes travel.
pub async fn prepare(
    db: &impl ConnectionTrait,
    store: &DocumentStore,
    actor: &Actor,
    upload: Upload,
) -> AppResult<document::Model> {
    actor.require(&[Role::Admin, Role::Auditor, Role::Owner])?;
    let subject_id = match (actor.role, upload.subject_id, actor.subject_id) {
        (Role::Owner, None, Some(own)) => own,
        (_, Some(s), _) => s,
        _ => return Err(AppError::invalid("subject_id", "is required")),
    };
    visible(db, actor, subject_id).await?;
    if upload.bytes.is_empty() {
        return Err(AppError::invalid("file", "must not be empty"));
    }
    if upload.bytes.len() as u64 > store.max_bytes {
        return Err(AppError::PayloadTooLarge {
            limit: store.max_bytes,
        });
    }
    // A file that is not what it must be is a refused field (422), as every other rule.
    let content_type = sniff(&upload.bytes)
        .ok_or_else(|| AppError::invalid("file", crate::msg!("error-document-type")))?;
    let sha256 = hex::encode(Sha256::digest(&upload.bytes));
    let storage_key = format!("sha256/{sha256}");
    let size = upload.bytes.len() as i64;
    // The bytes first: a row never names a file that is not there. A failure after this leaves
    // a file no row names, which a retry of the same upload reuses.
    store.put(&storage_key, upload.bytes).await?;
    Ok(document::Model {
        id: ids::new_id(),
        subject_id,
        sha256,
        content_type: content_type.to_owned(),
        size,
        file_name: clean_name(&upload.file_name),
        storage_key,
        uploaded_by: actor.name.clone(),
        created_at: clock::now(),
    })
}

/// Records a prepared document in the caller's write transaction, with its audit entry.
pub async fn record_in(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    m: document::Model,
) -> AppResult<DocumentView> {
    let subject_id = m.subject_id;
    let row = m.into_active_model().reset_all().insert(txn).await?;
    let view = DocumentView::from(row);
    audit::record(
        txn,
        actor,
        Change::created(ENTITY, view.id, Some(subject_id), &view),
    )
    .await?;
    Ok(view)
}

/// A document and its bytes, for those who reach its subject (404 for another owner's).
pub async fn read(
    db: &DatabaseConnection,
    store: &DocumentStore,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(DocumentView, Vec<u8>)> {
    let m: document::Model = owned(db, actor, id, false).await?;
    let bytes = store.get(&m.storage_key).await?;
    Ok((DocumentView::from(m), bytes))
}

/// The document `id` as evidence of a record of `subject_id`: it must be that subject's own
/// (refused like a missing one otherwise, naming `field`).
pub async fn evidence(
    db: &impl ConnectionTrait,
    subject_id: Uuid,
    id: Uuid,
) -> AppResult<document::Model> {
    crate::db::unique(
        db,
        <document::Entity as sea_orm::EntityTrait>::find_by_id(id),
    )
    .await?
    .filter(|d| d.subject_id == subject_id)
    .ok_or_else(|| {
        AppError::invalid(
            "evidence_document_id",
            "must be a document uploaded for the subject",
        )
    })
}

/// [`evidence`] for an optional document: its id once checked.
pub async fn evidence_id(
    db: &impl ConnectionTrait,
    subject_id: Uuid,
    id: Option<Uuid>,
) -> AppResult<Option<Uuid>> {
    match id {
        Some(id) => Ok(Some(evidence(db, subject_id, id).await?.id)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_content_not_the_name() {
        assert_eq!(
            sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
            Some("application/pdf")
        );
        assert_eq!(
            sniff(&[
                0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D
            ]),
            Some("image/png")
        );
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F']),
            Some("image/jpeg")
        );
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(sniff(b"MZ\x90\x00\x03"), None, "an executable named .pdf");
        assert_eq!(
            clean_name("C:\\scan\\giay \"chung\" nhan.pdf"),
            "giay chung nhan.pdf"
        );
        assert_eq!(clean_name("../../"), "tai-lieu");
    }
}
