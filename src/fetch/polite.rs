//! Politeness: one request at a time per host, and a minimum delay between requests to a host.
//!
//! Many targets live on one host (www.linkedin.com); a global concurrency bound alone would still
//! hit it with several requests at once. Every request, retries included, passes the gate of its
//! host. The clock is tokio's, so tests drive it with a paused clock.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// One host's gate: held for the length of a request; remembers when the last one ended.
type Slot = Arc<tokio::sync::Mutex<Option<Instant>>>;

/// The per-host gates of one process.
#[derive(Debug, Clone, Default)]
pub struct HostGate {
    delay: Duration,
    hosts: Arc<Mutex<HashMap<String, Slot>>>,
}

impl HostGate {
    /// Gates with `delay` between the end of one request to a host and the start of the next.
    pub fn new(delay: Duration) -> Self {
        Self {
            delay,
            hosts: Arc::default(),
        }
    }

    /// Runs `request` when the host is free and rested.
    pub async fn pass<F: Future>(&self, host: &str, request: F) -> F::Output {
        let slot = {
            // A poisoned map only means another task panicked while inserting; the map is intact.
            let mut hosts = self
                .hosts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(hosts.entry(host.to_string()).or_default())
        };
        let mut last = slot.lock().await;
        if let Some(t) = *last {
            tokio::time::sleep_until(t + self.delay).await;
        }
        let out = request.await;
        *last = Some(Instant::now());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_to_one_host_are_serial_and_spaced() {
        let gate = HostGate::new(Duration::from_secs(2));
        let start = Instant::now();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..3 {
            let (gate, log) = (gate.clone(), Arc::clone(&log));
            tasks.push(tokio::spawn(async move {
                gate.pass("a.example", async {
                    let began = start.elapsed();
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    log.lock().unwrap().push((i, began, start.elapsed()));
                })
                .await
            }));
        }
        // another host is not held up
        let other = gate.pass("b.example", async { start.elapsed() }).await;
        assert_eq!(other, Duration::ZERO);
        for t in tasks {
            t.await.unwrap();
        }
        let log = log.lock().unwrap();
        let begins: Vec<u64> = log.iter().map(|(_, b, _)| b.as_secs()).collect();
        assert_eq!(
            begins,
            vec![0, 3, 6],
            "one at a time, 2 s rest after each 1 s request"
        );
    }
}
