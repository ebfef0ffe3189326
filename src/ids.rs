//! Ids in paths: opaque strings; one that is not a UUID names nothing, so it is a 404.

use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Parses a path id, answering 404 for anything that is not a UUID.
pub fn parse_id(entity: &'static str, raw: &str) -> AppResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| AppError::not_found(entity, raw))
}

/// A fresh id: UUIDv7, so ids sort roughly by creation time and index well.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
