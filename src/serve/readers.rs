//! Read-only connections to the database, opened on demand and kept for the next request.
//!
//! Each is a [`Store::reader`] (`query_only`): no request can write, and in WAL mode a read
//! neither waits for a check's write nor holds one up. Work runs on tokio's blocking threads,
//! which the daemon's checks use too (parsing, SQLite): at most [`slots`] reads run at once, so
//! a burst of requests leaves threads free for the checks. A connection is handed back with its
//! page cache freed, so an idle server holds little.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::store::{Store, StoreError};

/// How many idle connections are kept.
const KEEP: usize = 4;

/// How many reads run at once: one core fewer than the machine has (at least one), which
/// leaves the blocking pool (the cores plus one) two threads for the checks.
pub fn slots() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get().saturating_sub(1))
        .max(1)
}

/// The pool.
#[derive(Clone)]
pub struct Readers {
    path: Arc<PathBuf>,
    idle: Arc<Mutex<Vec<Store>>>,
    slots: Arc<tokio::sync::Semaphore>,
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
            slots: Arc::new(tokio::sync::Semaphore::new(slots())),
        }
    }

    /// Runs `f` on a connection, on a blocking thread.
    pub async fn read<R, F>(&self, f: F) -> Result<R, ReadError>
    where
        R: Send + 'static,
        F: FnOnce(&Store) -> Result<R, StoreError> + Send + 'static,
    {
        let this = self.clone();
        // held until the read ends, even when the request timed out and went
        let slot = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|e| ReadError::Task(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
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
