//! Services: the daemon's long-running pieces besides checks (mail delivery, the digest
//! schedule) as tasks under one supervisor.
//!
//! The daemon's loop only schedules checks, receives their results and pings the watchdog: it
//! never awaits the network. A relay that stalls (a tarpit answering EHLO and never `MAIL
//! FROM`) holds the courier, not the loop. A service that fails or panics is logged and started
//! again after a backoff (1 s doubling, at most [`MAX_BACKOFF`]); a stop reaches every service
//! through one watch channel, and whatever a service held is left as the store had it: pending
//! mail stays pending.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::config::Watchlist;
use crate::notify::{self, send::Mailer};
use crate::store::SharedStore;

/// The longest wait before a failed service is started again.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How often pending mail is retried when nothing else triggers delivery.
pub const DELIVERY_INTERVAL: Duration = Duration::from_secs(60);
/// Longest sleep of the digest service, so wall-clock jumps (suspend) are noticed.
const DIGEST_NAP: Duration = Duration::from_secs(30);

/// Starts, restarts and stops the services.
pub struct Supervisor {
    tasks: JoinSet<()>,
    stop: watch::Sender<bool>,
}

impl Supervisor {
    pub fn new() -> Self {
        Self {
            tasks: JoinSet::new(),
            stop: watch::Sender::new(false),
        }
    }

    /// Runs the service `make` builds until a stop, starting it again with backoff whenever it
    /// returns an error or panics. A service returns `Ok` only when it saw the stop.
    pub fn spawn<F, Fut>(&mut self, name: &'static str, make: F)
    where
        F: Fn(watch::Receiver<bool>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let mut stop = self.stop.subscribe();
        self.tasks.spawn(async move {
            let mut backoff = Duration::from_secs(1);
            loop {
                let why = match tokio::spawn(make(stop.clone())).await {
                    Ok(Ok(())) => return,
                    Ok(Err(error)) => error,
                    Err(e) if e.is_panic() => format!("panicked: {e}"),
                    Err(e) => format!("died: {e}"),
                };
                tracing::error!(service = name, error = %why, ?backoff, "service failed; restarting");
                tokio::select! {
                    () = stopped(&mut stop) => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        });
    }

    /// Asks every service to stop and waits for them, at most `grace`; any left are abandoned.
    pub async fn stop(mut self, grace: Duration) {
        self.stop.send_replace(true);
        let all = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!(
                services = self.tasks.len(),
                "services abandoned at shutdown"
            );
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
    }
}

/// Resolves once a stop is asked for (or the supervisor is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard wait_for returns is not Send: dropped here, before any other await.
    let _ = stop.wait_for(|s| *s).await.map(drop);
}

/// What the services read of the running configuration; replaced on SIGHUP.
#[derive(Clone)]
pub struct Config {
    /// The watchlist (its rules moved out: services never classify).
    pub wl: Arc<Watchlist>,
    /// `None` when `[email]` cannot be used (logged once, mail stays queued).
    pub mailer: Option<Arc<Mailer>>,
}

/// The courier: delivers due mail when nudged (a check queued some, a digest was queued) and
/// every [`DELIVERY_INTERVAL`]. A stop drops a delivery in progress; the claims of this mailer
/// are then released, so its rows are due again at once rather than when their lease ends.
pub async fn courier(
    store: SharedStore,
    config: watch::Receiver<Config>,
    nudge: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), String> {
    // rows a killed sender held are due now, not when their lease ends
    let alive = |pid: u32| std::path::Path::new("/proc").join(pid.to_string()).exists();
    match store.call(move |s| s.release_dead_claims(&alive)).await {
        Ok(n) if n > 0 => tracing::info!(rows = n, "claims of stopped senders released"),
        Ok(_) => {}
        Err(error) => {
            tracing::warn!(%error, "claims of stopped senders kept until their lease ends")
        }
    }
    loop {
        let mailer = config.borrow().mailer.clone();
        if let Some(mailer) = &mailer {
            tokio::select! {
                () = stopped(&mut stop) => {
                    release(&store, mailer).await;
                    return Ok(());
                }
                done = mailer.deliver(&store, crate::clock::now()) => match done? {
                    d if d.sent + d.failed + d.retry > 0 => tracing::info!(
                        sent = d.sent,
                        failed = d.failed,
                        pending = d.retry,
                        "mail delivered"
                    ),
                    _ => {}
                },
            }
        }
        tokio::select! {
            () = stopped(&mut stop) => return Ok(()),
            () = nudge.notified() => {}
            () = tokio::time::sleep(DELIVERY_INTERVAL) => {}
        }
    }
}

async fn release(store: &SharedStore, mailer: &Mailer) {
    let claimer = mailer.claimer().to_string();
    if let Err(error) = store.call(move |s| s.release_claims(&claimer)).await {
        tracing::warn!(%error, "claims on mail kept until their lease ends");
    }
}

/// The digest schedule: queues the digest at each tick of `[digest] schedule` and nudges the
/// courier.
pub async fn digests(
    store: SharedStore,
    mut config: watch::Receiver<Config>,
    nudge: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), String> {
    loop {
        let wl = Arc::clone(&config.borrow_and_update().wl);
        let Some(schedule) = wl.digest.schedule.clone() else {
            // No digest: wait for a reload or the stop.
            tokio::select! {
                () = stopped(&mut stop) => return Ok(()),
                changed = config.changed() => { changed.map_err(|e| e.to_string())?; continue; }
            }
        };
        let Some(next) = schedule.next_after(crate::clock::now()) else {
            return Err(format!(
                "digest schedule {:?} never runs",
                schedule.source()
            ));
        };
        loop {
            let left = (next - crate::clock::now()).to_std().unwrap_or_default();
            if left.is_zero() {
                break;
            }
            tokio::select! {
                () = stopped(&mut stop) => return Ok(()),
                changed = config.changed() => {
                    changed.map_err(|e| e.to_string())?;
                    break;
                }
                () = tokio::time::sleep(left.min(DIGEST_NAP)) => {}
            }
        }
        if crate::clock::now() < next {
            continue; // reloaded: the schedule may have changed
        }
        match notify::queue_digest(&store, &wl, crate::clock::now()).await? {
            Some(subject) => tracing::info!(%subject, "digest queued"),
            None => tracing::info!("nothing to digest"),
        }
        nudge.notify_one();
    }
}

/// The stamper: trusted timestamps of new chain heads, asked for when the loop nudges it (a
/// round of checks ended) and every [`DELIVERY_INTERVAL`] while some are pending. A TSA that
/// stalls holds only this service.
pub async fn stamper(
    store: SharedStore,
    config: watch::Receiver<Config>,
    nudge: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), String> {
    loop {
        let evidence = config.borrow().wl.evidence.clone();
        if !evidence.tsa.is_empty() {
            tokio::select! {
                () = stopped(&mut stop) => return Ok(()),
                done = crate::evidence::stamp::stamp_due(&store, &evidence, crate::clock::now()) => match done {
                    Ok(s) if s.granted + s.pending > 0 => {
                        tracing::info!(granted = s.granted, pending = s.pending, "timestamps");
                    }
                    Ok(_) => {}
                    Err(e) => return Err(e.to_string()),
                },
            }
        }
        tokio::select! {
            () = stopped(&mut stop) => return Ok(()),
            () = nudge.notified() => {}
            () = tokio::time::sleep(DELIVERY_INTERVAL) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_failing_service_is_restarted_with_backoff_and_stops_when_asked() {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut sup = Supervisor::new();
        let counted = Arc::clone(&runs);
        sup.spawn("flaky", move |mut stop| {
            let runs = Arc::clone(&counted);
            async move {
                match runs.fetch_add(1, Ordering::SeqCst) {
                    0 => Err("first run fails".to_string()),
                    1 => panic!("second run panics"),
                    _ => {
                        let _ = stop.wait_for(|s| *s).await;
                        Ok(())
                    }
                }
            }
        });
        // 1 s, then 2 s of backoff: three runs by 4 s (paused time advances by itself)
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        sup.stop(Duration::from_secs(5)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "not restarted after the stop"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_service_that_ignores_the_stop_is_abandoned_after_the_grace() {
        let mut sup = Supervisor::new();
        sup.spawn("stuck", |_stop| async {
            std::future::pending::<()>().await;
            Ok(())
        });
        let started = tokio::time::Instant::now();
        sup.stop(Duration::from_secs(20)).await;
        assert_eq!(started.elapsed(), Duration::from_secs(20));
    }
}
