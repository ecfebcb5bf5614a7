//! Daemon: `policywatch run`, the always-on service.
//!
//! One loop (mini-redis style) owns the [`plan::Plan`] and waits on whichever comes first:
//! shutdown, SIGHUP, a finished check, the next due time, or the watchdog tick. Checks run as
//! tracked tasks within the global concurrency bound (and, inside the fetcher, one request at a
//! time per host). Mail delivery and the digest schedule are services under a supervisor
//! (`services`): the loop never awaits the network, so a stalled relay cannot stop checks,
//! signals or the watchdog.
//!
//! The loop never sleeps longer than [`MAX_SLEEP`], and due times are wall-clock: after a
//! suspend it wakes, sees the ticks it missed and runs each target once. On shutdown no new
//! check starts; in-flight ones get [`SHUTDOWN_GRACE`] to finish and are then abandoned, which is
//! safe because every check writes in one SQLite transaction.

pub mod plan;
mod services;
mod systemd;

use std::collections::HashMap;
use std::fs::File;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::classify::RuleSets;
use crate::config::{self, Target, TargetId, Watchlist};
use crate::fetch::Fetcher;
use crate::notify::send::Mailer;
use crate::pipeline::{CheckReport, Pipeline, Settings, Status};
use crate::schedule::Schedule;
use crate::store::{SharedStore, Store};
use plan::Plan;

/// Longest sleep of the loop, so wall-clock jumps (suspend, clock changes) are noticed.
pub const MAX_SLEEP: Duration = Duration::from_secs(30);
/// How long in-flight checks may run on after a stop is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Why the daemon could not run.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The watchlist is invalid at start.
    #[error("{0}")]
    Config(#[from] config::ConfigErrors),
    /// Another daemon holds the database.
    #[error(
        "another `policywatch run` is using {db} (lock {lock} is held): stop it first, or use another --db"
    )]
    Locked {
        /// The database.
        db: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The database or its lock could not be opened.
    #[error("{0}")]
    Store(String),
    /// Signals or the HTTP client could not be set up.
    #[error("{0}")]
    Setup(String),
}

/// Takes the lock beside the database, so that only one daemon uses it. Other commands do not
/// take it: SQLite's WAL and busy timeout keep them safe alongside.
pub fn lock(db: &Path) -> Result<File, DaemonError> {
    let lock = db.with_extension("db.lock");
    let lock = if lock == db {
        db.with_extension("lock")
    } else {
        lock
    };
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|e| DaemonError::Store(format!("cannot open lock {}: {e}", lock.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(DaemonError::Locked {
            db: db.to_path_buf(),
            lock,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(DaemonError::Store(format!(
            "cannot lock {}: {e}",
            lock.display()
        ))),
    }
}

struct Loaded {
    /// The watchlist. Its rules are compiled for each round of checks rather than held while
    /// idle: their regexes are about a megabyte, compiling them takes a few milliseconds,
    /// rounds are hours apart.
    wl: Arc<Watchlist>,
    targets: HashMap<TargetId, Arc<Target>>,
    /// The round's pipeline: built when a round starts, dropped when its last check ends.
    pipeline: Option<Arc<Pipeline>>,
    /// What the services read.
    services: services::Config,
}

impl Loaded {
    /// The pipeline of the round in progress, built for its first check.
    fn pipeline(&mut self, store: &SharedStore, fetcher: &Fetcher) -> Arc<Pipeline> {
        let pipeline = self.pipeline.get_or_insert_with(|| {
            // The same specs compiled when the watchlist was loaded; compiling is deterministic.
            let rules = RuleSets::build(
                self.wl.targets.iter().map(|t| t.language.as_str()),
                &self.wl.user_rules,
            )
            .unwrap_or_else(|e| unreachable!("loaded rules compile again: {e}"));
            let settings = Settings::new(&self.wl, rules);
            Arc::new(Pipeline::new(store.clone(), fetcher.clone(), settings))
        });
        Arc::clone(pipeline)
    }
}

/// Between rounds the daemon sleeps, usually for hours: it hands back what the round (or the
/// start) used and no longer needs: SQLite's page cache and the allocator's free pages.
async fn release_memory(store: &SharedStore) {
    if let Err(error) = store.release_memory().await {
        tracing::warn!(%error, "SQLite kept its page cache");
    }
    crate::memory::release_free_heap();
    let code = crate::memory::release_code_pages();
    tracing::debug!(bytes = code, "code pages released until the next round");
}

fn load(wl: Watchlist) -> Loaded {
    let targets = wl
        .targets
        .iter()
        .filter(|t| t.enabled)
        .map(|t| (t.id.clone(), Arc::new(t.clone())))
        .collect();
    let mailer = Mailer::new(&wl.email)
        .map_err(|e| tracing::error!(error = %e, "mail cannot be sent; it stays queued"))
        .ok()
        .map(Arc::new);
    let wl = Arc::new(wl);
    Loaded {
        services: services::Config {
            wl: Arc::clone(&wl),
            mailer,
        },
        wl,
        targets,
        pipeline: None,
    }
}

fn schedules(l: &Loaded) -> Vec<(TargetId, Schedule)> {
    l.targets
        .values()
        .map(|t| (t.id.clone(), t.schedule.clone()))
        .collect()
}

/// Runs until `shutdown` completes. `watchlist` is re-read on SIGHUP; `db` overrides its store.
pub async fn run(
    watchlist: &Path,
    db: Option<&Path>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let wl = config::load(watchlist)?;
    let db_path = db.map_or_else(|| wl.store_path.clone(), Path::to_path_buf);
    if let Some(parent) = db_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| DaemonError::Store(format!("{}: {e}", parent.display())))?;
    }
    let _lock = lock(&db_path)?;
    let path = db_path.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(&path))
        .await
        .map_err(|e| DaemonError::Store(e.to_string()))?
        .map_err(|e| DaemonError::Store(e.to_string()))?;
    let store = SharedStore::new(store);
    let fetcher = Fetcher::new(wl.host_delay).map_err(|e| DaemonError::Setup(e.to_string()))?;
    let mut hangup =
        signal(SignalKind::hangup()).map_err(|e| DaemonError::Setup(format!("SIGHUP: {e}")))?;
    let mut rand = rand::random::<f64>;

    let mut now = crate::clock::now();
    let mut loaded = load(wl);
    let mut plan = Plan::new(&schedules(&loaded), loaded.wl.jitter, now, &mut rand);
    let mut checks: JoinSet<(TargetId, CheckReport)> = JoinSet::new();
    let mut permits = Arc::new(Semaphore::new(loaded.wl.concurrency));
    let mut cycle = Cycle::default();
    // Mail and digests: services the loop only nudges and reconfigures.
    let config = watch::Sender::new(loaded.services.clone());
    let nudge = Arc::new(Notify::new());
    let mut supervisor = services::Supervisor::new();
    {
        let (store, config, nudge) = (store.clone(), config.clone(), Arc::clone(&nudge));
        supervisor.spawn("courier", move |stop| {
            services::courier(store.clone(), config.subscribe(), Arc::clone(&nudge), stop)
        });
    }
    let stamp_nudge = Arc::new(Notify::new());
    {
        let (store, config, nudge) = (store.clone(), config.clone(), Arc::clone(&stamp_nudge));
        supervisor.spawn("stamper", move |stop| {
            services::stamper(store.clone(), config.subscribe(), Arc::clone(&nudge), stop)
        });
    }
    {
        let (store, config, nudge) = (store.clone(), config.clone(), Arc::clone(&nudge));
        supervisor.spawn("digest", move |stop| {
            services::digests(store.clone(), config.subscribe(), Arc::clone(&nudge), stop)
        });
    }
    // The web view: bound now, so a taken port or a missing token stops the start.
    let site = watch::Sender::new(Arc::clone(&loaded.wl));
    if let Some(addr) = loaded.wl.http.listen {
        let auth = loaded
            .wl
            .http
            .token()
            .map_err(DaemonError::Setup)?
            .map(crate::serve::auth::Auth::new);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map(Arc::new)
            .map_err(|e| {
                DaemonError::Setup(format!("cannot listen on {addr} ([http] listen): {e}"))
            })?;
        tracing::info!(address = %addr, "serving the web view");
        let state = crate::serve::AppState::new(site.subscribe(), db_path.clone(), auth);
        supervisor.spawn("http", move |stop| {
            let (listener, state) = (Arc::clone(&listener), state.clone());
            async move {
                crate::serve::run(listener, state, stop).await;
                Ok(())
            }
        });
    }
    let watchdog = systemd::Watchdog::from_env();
    let mut watchdog_tick = tokio::time::interval(watchdog.interval());
    // Parsing the watchlist and opening the store leave freed memory behind.
    release_memory(&store).await;
    systemd::ready(loaded.targets.len());
    tracing::info!(targets = loaded.targets.len(), db = %db_path.display(), "policywatch running");

    tokio::pin!(shutdown);
    loop {
        now = crate::clock::now();
        for id in plan.due(now, &mut rand) {
            let Some(target) = loaded.targets.get(&id).cloned() else {
                continue;
            };
            let (pipeline, permits) = (loaded.pipeline(&store, &fetcher), Arc::clone(&permits));
            checks.spawn(async move {
                // The semaphore is never closed, so acquire only fails if it were.
                let _permit = permits.acquire_owned().await;
                (target.id.clone(), pipeline.check(&target).await)
            });
        }
        let sleep = plan
            .next_wake()
            .map_or(MAX_SLEEP, |w| {
                (w - crate::clock::now()).to_std().unwrap_or_default()
            })
            .min(MAX_SLEEP);

        tokio::select! {
            // SIGTERM / SIGINT: stop starting checks, drain the running ones below.
            () = &mut shutdown => break,
            // SIGHUP: a valid watchlist replaces the running one; an invalid one is logged and ignored.
            _ = hangup.recv() => match config::load(watchlist) {
                Ok(wl) => {
                    if wl.store_path != db_path && db.is_none() {
                        tracing::warn!("the store path changed in the watchlist; restart to use it");
                    }
                    let concurrency = wl.concurrency;
                    loaded = load(wl);
                    config.send_replace(loaded.services.clone());
                    if loaded.wl.http != site.borrow().http {
                        tracing::warn!("[http] changed in the watchlist; restart to serve with it");
                    }
                    site.send_replace(Arc::clone(&loaded.wl));
                    plan.reload(&schedules(&loaded), loaded.wl.jitter, crate::clock::now(), &mut rand);
                    permits = Arc::new(Semaphore::new(concurrency));
                    tracing::info!(targets = loaded.targets.len(), "watchlist reloaded");
                }
                Err(errors) => {
                    for e in &errors.0 {
                        tracing::error!(error = %e, "watchlist not reloaded");
                    }
                }
            },
            // A check finished: free its slot, deliver any mail it queued, report the cycle.
            Some(done) = checks.join_next() => {
                match done {
                    Ok((id, report)) => {
                        plan.finished(&id);
                        cycle.add(&report);
                        if matches!(report.status(), Status::Changed | Status::Failed) {
                            nudge.notify_one();
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "a check task died"),
                }
                if checks.is_empty() {
                    // lags move only when versions are recorded or days pass: once a round
                    match crate::notify::lag::evaluate(&store, &loaded.wl, crate::clock::now()).await {
                        Ok((raised, _)) if raised > 0 => nudge.notify_one(),
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, "translation lags not evaluated"),
                    }
                    stamp_nudge.notify_one();
                    systemd::status(&cycle.summary(plan.next_wake()));
                    cycle = Cycle::default();
                    loaded.pipeline = None;
                    release_memory(&store).await;
                }
            }
            // The due time, or MAX_SLEEP: go round and look at the clock.
            () = tokio::time::sleep(sleep) => {}
            // Proof of life for systemd's watchdog: only a loop that turns gets here.
            _ = watchdog_tick.tick() => watchdog.ping(),
        }
    }

    systemd::stopping();
    tracing::info!(in_flight = checks.len(), "stopping");
    // The services and the checks in flight stop together, within one grace.
    let drain_checks = async {
        if tokio::time::timeout(SHUTDOWN_GRACE, async {
            while checks.join_next().await.is_some() {}
        })
        .await
        .is_err()
        {
            tracing::warn!(
                abandoned = checks.len(),
                "checks abandoned at shutdown (nothing half-written)"
            );
            checks.abort_all();
            while checks.join_next().await.is_some() {}
        }
    };
    tokio::join!(drain_checks, supervisor.stop(SHUTDOWN_GRACE));
    Ok(())
}

/// Counts of the checks since the last status line.
#[derive(Debug, Default)]
struct Cycle {
    checked: usize,
    changed: usize,
    failed: usize,
}

impl Cycle {
    fn add(&mut self, r: &CheckReport) {
        self.checked += 1;
        match r.status() {
            Status::Changed => self.changed += 1,
            Status::Failed => self.failed += 1,
            Status::New | Status::Unchanged => {}
        }
    }

    fn summary(&self, next: Option<DateTime<Utc>>) -> String {
        let next = next.map_or_else(
            || "none".into(),
            |n| n.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
        format!(
            "last cycle: {} checked, {} changed, {} failed; next check {next}",
            self.checked, self.changed, self.failed
        )
    }
}
