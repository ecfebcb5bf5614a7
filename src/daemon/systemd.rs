//! sd_notify: READY=1 when running, STATUS= after each cycle, WATCHDOG=1 from the loop,
//! STOPPING=1 on the way out. Without `NOTIFY_SOCKET` (not under systemd) these do nothing.

use std::time::Duration;

use sd_notify::NotifyState;

fn send(states: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::debug!(error = %e, "sd_notify failed");
    }
}

/// Tells systemd the daemon is up.
pub fn ready(targets: usize) {
    let status = format!("watching {targets} targets");
    send(&[NotifyState::Ready, NotifyState::Status(&status)]);
}

/// A one-line status for `systemctl status`.
pub fn status(line: &str) {
    send(&[NotifyState::Status(line)]);
}

/// Tells systemd the daemon is stopping.
pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

/// The watchdog: pinged at half of `WatchdogSec=`.
pub struct Watchdog {
    enabled: Option<Duration>,
}

impl Watchdog {
    /// Reads `WATCHDOG_USEC` (and `WATCHDOG_PID`) from the environment.
    pub fn from_env() -> Self {
        Self {
            enabled: sd_notify::watchdog_enabled(),
        }
    }

    /// How often to ping (an hour when there is no watchdog, to keep the select arm idle).
    pub fn interval(&self) -> Duration {
        self.enabled.map_or(Duration::from_secs(3600), |d| {
            (d / 2).max(Duration::from_millis(100))
        })
    }

    /// Pings, if enabled.
    pub fn ping(&self) {
        if self.enabled.is_some() {
            send(&[NotifyState::Watchdog]);
        }
    }
}
