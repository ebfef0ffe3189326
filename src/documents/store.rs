//! The one storage interface for documents: `object_store`, so a deployment chooses a local
//! folder or S3-compatible storage by configuration and the code does not change.

use std::sync::Arc;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::AppConfig;
use crate::error::{AppError, AppResult};

/// Where document bytes live.
#[derive(Clone)]
pub struct DocumentStore {
    inner: Arc<dyn ObjectStore>,
    /// Largest document accepted (bytes).
    pub max_bytes: u64,
}

impl std::fmt::Debug for DocumentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DocumentStore({})", self.inner)
    }
}

impl DocumentStore {
    /// From `documents.store`: a URL with a scheme (`s3://bucket/prefix`, `file:///abs/path`,
    /// options from the `AWS_*` variables), else a local folder, created if missing.
    pub fn from_config(c: &AppConfig) -> Result<Self, String> {
        let spec = c.documents.store.trim();
        let inner: Arc<dyn ObjectStore> = if spec.contains("://") {
            let url = reqwest::Url::parse(spec)
                .map_err(|e| format!("documents.store {spec:?} is not a URL: {e}"))?;
            let options = std::env::vars()
                .filter(|(k, _)| k.starts_with("AWS_"))
                .map(|(k, v)| (k.to_ascii_lowercase(), v));
            let (store, prefix) = object_store::parse_url_opts(&url, options)
                .map_err(|e| format!("documents.store {spec:?}: {e}"))?;
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        } else {
            std::fs::create_dir_all(spec)
                .map_err(|e| format!("cannot create the document folder {spec:?}: {e}"))?;
            Arc::new(
                object_store::local::LocalFileSystem::new_with_prefix(spec)
                    .map_err(|e| format!("document folder {spec:?}: {e}"))?,
            )
        };
        Ok(DocumentStore {
            inner,
            max_bytes: c.documents.max_bytes,
        })
    }

    /// Stores bytes under a key. Keys are named by content, so writing one twice is harmless.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> AppResult<()> {
        self.inner
            .put(&Path::from(key), PutPayload::from(bytes))
            .await
            .map_err(|e| {
                AppError::Unavailable(format!("the document store refused a file: {e}").into())
            })?;
        Ok(())
    }

    /// Removes what is under a key (nothing there is no error).
    pub async fn delete(&self, key: &str) -> AppResult<()> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(AppError::Unavailable(
                format!("the document store did not remove a file: {e}").into(),
            )),
        }
    }

    /// The bytes under a key.
    pub async fn get(&self, key: &str) -> AppResult<Vec<u8>> {
        let got = self.inner.get(&Path::from(key)).await.map_err(|e| {
            AppError::Unavailable(
                format!("the document store did not give a file back: {e}").into(),
            )
        })?;
        let bytes = got.bytes().await.map_err(|e| {
            AppError::Unavailable(format!("reading a stored document failed: {e}").into())
        })?;
        Ok(bytes.to_vec())
    }
}
