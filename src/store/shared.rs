//! The store as async code shares it: one call at a time, on tokio's blocking pool
//! ([`SharedStore::call`]) or in place when short ([`SharedStore::quick`]), and the typed
//! failure those calls return ([`StoreFailure`]: the message, and whether the database was only
//! busy).

use std::sync::{Arc, Mutex, TryLockError};

use super::{Store, StoreError};

/// A store call that failed, as it reaches async callers: the message (which names the
/// database) and whether the database was only busy (worth trying again).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StoreFailure {
    message: String,
    busy: bool,
}

impl StoreFailure {
    /// A failure that is not the database's (a worker that died).
    fn other(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            busy: false,
        }
    }

    /// Whether another connection held a lock past the busy timeout.
    pub fn is_busy(&self) -> bool {
        self.busy
    }
}

impl From<StoreError> for StoreFailure {
    fn from(e: StoreError) -> Self {
        Self {
            busy: e.is_busy(),
            message: e.to_string(),
        }
    }
}

impl From<StoreFailure> for String {
    fn from(e: StoreFailure) -> Self {
        e.message
    }
}

/// A store shared by async tasks, one call at a time: on tokio's blocking pool ([`call`](Self::call)),
/// or in place when short ([`quick`](Self::quick)).
#[derive(Clone)]
pub struct SharedStore(Arc<Mutex<Store>>);

const POISONED: &str = "store lock poisoned by an earlier panic";

impl SharedStore {
    /// Shares an open store.
    pub fn new(store: Store) -> Self {
        Self(Arc::new(Mutex::new(store)))
    }

    /// Frees the connection's page cache (SQLite's `shrink_memory`), as the daemon does between
    /// rounds of checks.
    pub async fn release_memory(&self) -> Result<(), StoreFailure> {
        self.call(|s| s.release_memory()).await
    }

    /// Runs `f` on the store without blocking the runtime.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreFailure>
    where
        F: FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.blocking(f))
            .await
            .map_err(|e| StoreFailure::other(format!("store task failed: {e}")))?
    }

    /// Runs `f` on the store from a thread that may block (waiting for the store included): the
    /// blocking pool's, inside a task that already runs there.
    pub fn blocking<R>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, StoreError>,
    ) -> Result<R, StoreFailure> {
        let mut store = self.0.lock().map_err(|_| StoreFailure::other(POISONED))?;
        f(&mut store).map_err(StoreFailure::from)
    }

    /// Runs `f`, a short call (a few indexed rows read or written), on the calling thread when
    /// the store is free, and as [`call`](Self::call) does when another task holds it.
    ///
    /// A hand-off to the blocking pool and back costs two thread wake-ups, more than such a call
    /// itself: on the load bench (N = 200), running a check's state read and its record of an
    /// unchanged page in place cut the run's context switches from 2,120 to 860 and its CPU by a
    /// tenth.
    ///
    /// Only for calls that stay short: no compression and no large rows. In place, SQLite is
    /// told not to wait for a lock: when another process holds the write lock (a `check-now`
    /// beside the daemon), the call fails at once with "busy" and is run again on the blocking
    /// pool, where waiting harms nothing. So `f` may be called twice; a failed first call
    /// changed nothing (its transaction rolled back).
    pub async fn quick<R, F>(&self, mut f: F) -> Result<R, StoreFailure>
    where
        F: FnMut(&mut Store) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        // The guard must be gone before any await (it is not Send): the fallback is outside.
        match self.0.try_lock() {
            Ok(mut store) => {
                let done = store.without_waiting(&mut f);
                match done {
                    Err(e) if e.is_busy() => {}
                    other => return other.map_err(StoreFailure::from),
                }
            }
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Poisoned(_)) => {
                return Err(StoreFailure::other(POISONED));
            }
        }
        self.call(f).await
    }
}
