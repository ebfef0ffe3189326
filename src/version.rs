//! Optimistic concurrency: the version of a record a writer read, which a write must still
//! find. Services take it as this plain value; `http` reads it from the `If-Match` header (an
//! ETag this API sent), and the pages from the form's hidden `version` field. It depends on
//! nothing else in the crate (the 412 it becomes is `error`'s business).

/// The version a write expects to find, or `None` to write whatever the record's version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpectedVersion(pub Option<i32>);

/// The record has moved on since the writer read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale {
    pub current: i32,
    pub expected: i32,
}

impl ExpectedVersion {
    /// [`Stale`] unless no version is expected or `current` is the one expected.
    pub fn check(self, current: i32) -> Result<(), Stale> {
        match self.0 {
            Some(expected) if expected != current => Err(Stale { current, expected }),
            _ => Ok(()),
        }
    }
}
