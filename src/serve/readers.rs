//! Read-only connections to the database, opened on demand and kept for the next request.
//!
//! Each is a [`Store::reader`] (`query_only`): no request can write, and in WAL mode a read
//! neither waits for a check's write nor holds one up. Work runs on tokio's blocking threads;
//! a connection is handed back with its page cache freed, so an idle server holds little.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::store::{Store, StoreError};

/// How many idle connections are kept.
const KEEP: usize = 4;

/// The pool.
#[derive(Clone)]
pub struct Readers {
    path: Arc<PathBuf>,
    idle: Arc<Mutex<Vec<Store>>>,
}

/// Why a read did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The blocking task died.
    #[error("a read task failed: {0}")]
    Task(String),
}

impl Readers {
    /// Connections to the database at `path` (which [`Store::open`] created).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path: Arc::new(path),
            idle: Arc::default(),
        }
    }

    /// Runs `f` on a connection, on a blocking thread.
    pub async fn read<R, F>(&self, f: F) -> Result<R, ReadError>
    where
        R: Send + 'static,
        F: FnOnce(&Store) -> Result<R, StoreError> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let taken = this.idle.lock().map(|mut idle| idle.pop()).ok().flatten();
            let store = match taken {
                Some(s) => s,
                None => Store::reader(&this.path)?,
            };
            let out = f(&store);
            if store.release_memory().is_ok()
                && let Ok(mut idle) = this.idle.lock()
                && idle.len() < KEEP
            {
                idle.push(store);
            }
            Ok(out?)
        })
        .await
        .map_err(|e| ReadError::Task(e.to_string()))?
    }
}
