//! `[email]`, `[alerts]` and `[digest]`: where mail goes and when it is sent.
//!
//! The SMTP password is deliberately not a key: it comes from `POLICYWATCH_SMTP_PASSWORD` or
//! from `password_file` (a relative name is looked up in systemd's `$CREDENTIALS_DIRECTORY`
//! first), and is read only when mail is sent. Without an `smtp_host`, mail is written as `.eml`
//! files into an `outbox/` folder beside the database.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use lettre::message::Mailbox;
use toml::Spanned;

use super::Validator;
use super::raw::{RawAlerts, RawDigest, RawEmail};
use crate::classify::Severity;
use crate::schedule::Schedule;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// STARTTLS required (submission, port 587).
    StartTls,
    /// Implicit TLS (port 465).
    Tls,
    /// Plain text: only to a relay on this machine.
    None,
}

/// An SMTP server.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS mode.
    pub security: Security,
    /// Login, if the server wants one.
    pub username: Option<String>,
    /// Where the password is read from when no `POLICYWATCH_SMTP_PASSWORD` is set.
    pub password_file: Option<PathBuf>,
    /// An extra CA certificate (PEM) to trust, for a private server.
    pub ca_file: Option<PathBuf>,
    /// Per-command timeout.
    pub timeout: Duration,
}

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum Transport {
    /// A real SMTP server.
    Smtp(Smtp),
    /// `.eml` files in this folder.
    Files(PathBuf),
}

/// `[email]`, checked.
#[derive(Debug, Clone)]
pub struct Email {
    /// Where it goes.
    pub transport: Transport,
    /// Sender.
    pub from: Mailbox,
    /// Recipients of alerts.
    pub to: Vec<Mailbox>,
    /// Recipients of digests.
    pub digest_to: Vec<Mailbox>,
    /// Cap on an alert's changed-sentence text, in characters.
    pub max_body: usize,
    /// The `[[channel]]`s: where notifications go besides `to` and `digest_to`.
    pub channels: Vec<super::Channel>,
}

/// `[alerts]`, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alerts {
    /// Immediate mail for AI-relevant changes at or above this.
    pub min_severity: Severity,
    /// Failures in a row before an incident mail.
    pub on_failure_after: u32,
    /// Mail upcoming-update notices.
    pub announcements: bool,
    /// How long another language of a document may take to follow an AI-relevant change
    /// before a lag is reported.
    pub translation_lag: Duration,
}

/// `[digest]`, checked.
#[derive(Debug, Clone)]
pub struct Digest {
    /// When the daemon sends it (none: only `digest --send-now`).
    pub schedule: Option<Schedule>,
    /// Send even when there is nothing to report.
    pub send_empty: bool,
}

const LOCAL_HOSTS: &[&str] = &["localhost", "127.0.0.1", "::1", "[::1]"];

impl Validator<'_> {
    pub(super) fn email(&mut self, raw: Option<RawEmail>, store_path: &Path, base: &Path) -> Email {
        let raw = raw.unwrap_or_default();
        let outbox = store_path.parent().unwrap_or(Path::new(".")).join("outbox");
        let transport = match &raw.smtp_host {
            None => Transport::Files(outbox),
            Some(host) => {
                let security = match raw
                    .security
                    .as_ref()
                    .map(|s| (s.get_ref().as_str(), s.span().start))
                {
                    None | Some(("starttls", _)) => Security::StartTls,
                    Some(("tls", _)) => Security::Tls,
                    Some(("none", at)) => {
                        if !LOCAL_HOSTS.contains(&host.get_ref().as_str()) {
                            self.err(at, "email.security", "\"none\" sends the password and mail in clear text: it is only allowed for a relay on localhost");
                        }
                        Security::None
                    }
                    Some((other, at)) => {
                        self.err(
                            at,
                            "email.security",
                            format!(
                                "unknown security {other:?}: use \"starttls\", \"tls\" or \"none\""
                            ),
                        );
                        Security::StartTls
                    }
                };
                let port = raw.smtp_port.as_ref().map_or(
                    match security {
                        Security::StartTls => 587,
                        Security::Tls => 465,
                        Security::None => 25,
                    },
                    |p| *p.get_ref(),
                );
                if host.get_ref().trim().is_empty() {
                    self.err(host.span().start, "email.smtp_host", "must not be empty");
                }
                let file = |p: &Option<Spanned<String>>| p.as_ref().map(|p| base.join(p.get_ref()));
                Transport::Smtp(Smtp {
                    host: host.get_ref().clone(),
                    port,
                    security,
                    username: raw.username.as_ref().map(|u| u.get_ref().clone()),
                    password_file: raw
                        .password_file
                        .as_ref()
                        .map(|p| PathBuf::from(p.get_ref())),
                    ca_file: file(&raw.ca_file),
                    timeout: self.duration(
                        "email.timeout",
                        raw.timeout.as_ref(),
                        Duration::from_secs(30),
                    ),
                })
            }
        };
        let smtp = matches!(transport, Transport::Smtp(_));
        let from = match &raw.from {
            Some(f) => self.mailbox("email.from", f),
            None if smtp => {
                let at = raw.smtp_host.as_ref().map_or(0, |h| h.span().start);
                self.err(at, "email.from", "missing: the sender address");
                None
            }
            None => None,
        }
        .unwrap_or_else(local_mailbox);
        let to = match &raw.to {
            Some(list) if list.get_ref().is_empty() => {
                self.err(
                    list.span().start,
                    "email.to",
                    "must list at least one address",
                );
                Vec::new()
            }
            Some(list) => list
                .get_ref()
                .iter()
                .filter_map(|a| self.mailbox("email.to", a))
                .collect(),
            None if smtp => {
                let at = raw.smtp_host.as_ref().map_or(0, |h| h.span().start);
                self.err(at, "email.to", "missing: the recipients of alerts");
                Vec::new()
            }
            None => vec![local_mailbox()],
        };
        let digest_to = match &raw.digest_to {
            Some(list) => list
                .get_ref()
                .iter()
                .filter_map(|a| self.mailbox("email.digest_to", a))
                .collect(),
            None => to.clone(),
        };
        let max_body = raw
            .max_body
            .as_ref()
            .map_or(20_000, |m| *m.get_ref() as usize);
        Email {
            transport,
            from,
            to,
            digest_to,
            max_body,
            channels: Vec::new(),
        }
    }

    fn mailbox(&mut self, key: &str, raw: &Spanned<String>) -> Option<Mailbox> {
        Mailbox::from_str(raw.get_ref())
            .map_err(|e| {
                self.err(
                    raw.span().start,
                    key,
                    format!("invalid address {:?}: {e}", raw.get_ref()),
                )
            })
            .ok()
    }

    pub(super) fn alerts(&mut self, raw: Option<RawAlerts>) -> Alerts {
        let raw = raw.unwrap_or_default();
        let min_severity = match raw
            .min_severity
            .as_ref()
            .map(|s| (s.get_ref().as_str(), s.span().start))
        {
            None | Some(("medium", _)) => Severity::Medium,
            Some(("high", _)) => Severity::High,
            Some(("low", _)) => Severity::Low,
            Some((other, at)) => {
                self.err(
                    at,
                    "alerts.min_severity",
                    format!("unknown severity {other:?}: use low, medium or high"),
                );
                Severity::Medium
            }
        };
        let on_failure_after = match &raw.on_failure_after {
            Some(n) if *n.get_ref() == 0 => {
                self.err(
                    n.span().start,
                    "alerts.on_failure_after",
                    "must be at least 1",
                );
                3
            }
            Some(n) => *n.get_ref(),
            None => 3,
        };
        let translation_lag = self.duration(
            "alerts.translation_lag",
            raw.translation_lag.as_ref(),
            Duration::from_secs(14 * 86_400),
        );
        Alerts {
            min_severity,
            on_failure_after,
            announcements: raw.announcements.unwrap_or(true),
            translation_lag,
        }
    }

    pub(super) fn digest(&mut self, raw: Option<RawDigest>) -> Digest {
        let raw = raw.unwrap_or_default();
        Digest {
            schedule: raw
                .schedule
                .as_ref()
                .and_then(|s| self.schedule("digest.schedule", Some(s))),
            send_empty: raw.send_empty.unwrap_or(false),
        }
    }
}

fn local_mailbox() -> Mailbox {
    // Invariant: a constant, valid address.
    Mailbox::from_str("policywatch <policywatch@localhost>").unwrap_or_else(|e| unreachable!("{e}"))
}

impl Smtp {
    /// The password: `POLICYWATCH_SMTP_PASSWORD`, else the `password_file` (a relative name is
    /// looked up in `$CREDENTIALS_DIRECTORY` first). Never logged.
    pub fn password(&self) -> Result<Option<String>, String> {
        if let Ok(p) = std::env::var("POLICYWATCH_SMTP_PASSWORD") {
            return Ok(Some(p));
        }
        let Some(file) = &self.password_file else {
            return Ok(None);
        };
        super::channel::read_secret_file(file, "SMTP password").map(Some)
    }
}
