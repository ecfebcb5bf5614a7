//! `[[channel]]` tables: where notifications go besides `[email]` (webhooks, Slack, Teams,
//! Matrix, ntfy, more mail recipients), and which events and severities each takes.
//!
//! A secret (a webhook's signing secret, a Slack or Teams URL, an access token) is never a
//! watchlist value: it names a file (`*_file`, relative names looked up in systemd's
//! `$CREDENTIALS_DIRECTORY` first) or an environment variable (`*_env`), read when the channel
//! delivers, and never shown in a log, an error, `status`, `outbox` or the database.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::Validator;
use crate::classify::Severity;

/// The events a channel can take.
pub const EVENTS: [&str; 5] = ["alert", "digest", "incident", "recovery", "lag"];

/// Where a secret is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// A file (a relative name is looked up in `$CREDENTIALS_DIRECTORY` first).
    File(PathBuf),
    /// An environment variable.
    Env(String),
}

impl Secret {
    /// Reads it, trimmed; the error names the file or variable, never the value.
    pub fn read(&self, what: &str) -> Result<String, String> {
        match self {
            Secret::Env(name) => std::env::var(name)
                .map(|v| v.trim().to_string())
                .map_err(|_| format!("the {what} variable {name} is not set")),
            Secret::File(file) => read_secret_file(file, what),
        }
    }
}

/// Reads a small secret file: at most 4 KB, so that a mistaken path (`/dev/zero`, a log)
/// fails at once instead of filling memory.
pub fn read_secret_file(file: &std::path::Path, what: &str) -> Result<String, String> {
    let path = match std::env::var_os("CREDENTIALS_DIRECTORY") {
        Some(dir) if file.is_relative() => PathBuf::from(dir).join(file),
        _ => file.to_path_buf(),
    };
    const MAX: u64 = 4096;
    let cannot = |e: std::io::Error| format!("cannot read the {what} file {}: {e}", path.display());
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(std::fs::File::open(&path).map_err(cannot)?, MAX + 1),
        &mut text,
    )
    .map_err(cannot)?;
    if text.len() as u64 > MAX {
        return Err(format!(
            "the {what} file {} is larger than {MAX} bytes: not a secret file",
            path.display()
        ));
    }
    Ok(text.trim().to_string())
}

/// What a channel is and where it delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// More mail recipients, through `[email]`'s transport.
    Email {
        /// Recipients.
        to: Vec<Mailbox>,
    },
    /// A signed JSON POST.
    Webhook {
        /// Where.
        url: Url,
        /// The HMAC key.
        secret: Secret,
    },
    /// A Slack incoming webhook (its URL is the secret).
    Slack {
        /// The webhook URL.
        url: Secret,
    },
    /// A Microsoft Teams incoming webhook or workflow (its URL is the secret).
    Teams {
        /// The webhook URL.
        url: Secret,
    },
    /// A Matrix room.
    Matrix {
        /// The homeserver.
        homeserver: Url,
        /// The room (`!id:server`).
        room_id: String,
        /// The access token.
        token: Secret,
    },
    /// An ntfy topic.
    Ntfy {
        /// The server.
        server: Url,
        /// The topic.
        topic: String,
        /// An access token, if the topic is protected.
        token: Option<Secret>,
    },
}

impl ChannelKind {
    /// The kind's name.
    pub fn name(&self) -> &'static str {
        match self {
            ChannelKind::Email { .. } => "email",
            ChannelKind::Webhook { .. } => "webhook",
            ChannelKind::Slack { .. } => "slack",
            ChannelKind::Teams { .. } => "teams",
            ChannelKind::Matrix { .. } => "matrix",
            ChannelKind::Ntfy { .. } => "ntfy",
        }
    }
}

/// A checked `[[channel]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Stable id (outbox rows name it).
    pub id: String,
    /// What it is.
    pub kind: ChannelKind,
    /// Alerts below this severity are not sent here.
    pub min_severity: Severity,
    /// The events it takes.
    pub events: Vec<String>,
    /// The longest one delivery may take.
    pub timeout: Duration,
}

impl Channel {
    /// Whether it takes events of this kind (`test` always).
    pub fn takes(&self, event: &str) -> bool {
        event == "test" || self.events.iter().any(|e| e == event)
    }
}

/// One `[[channel]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    pub id: Spanned<String>,
    pub kind: Spanned<String>,
    pub min_severity: Option<Spanned<String>>,
    pub events: Option<Spanned<Vec<Spanned<String>>>>,
    pub timeout: Option<Spanned<String>>,
    pub to: Option<Spanned<Vec<Spanned<String>>>>,
    pub url: Option<Spanned<String>>,
    pub url_file: Option<Spanned<String>>,
    pub url_env: Option<Spanned<String>>,
    pub secret_file: Option<Spanned<String>>,
    pub secret_env: Option<Spanned<String>>,
    pub homeserver: Option<Spanned<String>>,
    pub room_id: Option<Spanned<String>>,
    pub access_token_file: Option<Spanned<String>>,
    pub access_token_env: Option<Spanned<String>>,
    pub server: Option<Spanned<String>>,
    pub topic: Option<Spanned<String>>,
    pub token_file: Option<Spanned<String>>,
    pub token_env: Option<Spanned<String>>,
}

impl Validator<'_> {
    /// Checks each `[[channel]]`.
    pub(super) fn channels(
        &mut self,
        raws: Vec<(String, RawChannel)>,
        default_severity: Severity,
    ) -> Vec<Channel> {
        let mut out: Vec<Channel> = Vec::new();
        for (name, raw) in raws {
            let before = self.errors.len();
            let id = raw.id.get_ref().clone();
            if !(1..=64).contains(&id.len())
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                self.err(
                    raw.id.span().start,
                    &format!("{name}.id"),
                    format!("invalid id {id:?}: use 1 to 64 of a-z, 0-9, '.', '_', '-'"),
                );
            } else if out.iter().any(|c| c.id == id) {
                self.err(
                    raw.id.span().start,
                    &format!("{name}.id"),
                    format!("duplicate channel id {id:?}"),
                );
            }
            let min_severity = match raw.min_severity.as_ref() {
                None => default_severity,
                Some(s) => match s.get_ref().parse::<Severity>() {
                    Ok(sev) if sev > Severity::None => sev,
                    _ => {
                        self.err(
                            s.span().start,
                            &format!("{name}.min_severity"),
                            format!(
                                "unknown severity {:?}: use low, medium or high",
                                s.get_ref()
                            ),
                        );
                        default_severity
                    }
                },
            };
            let events = match &raw.events {
                None => EVENTS.iter().map(|e| e.to_string()).collect(),
                Some(list) => {
                    for e in list.get_ref() {
                        if !EVENTS.contains(&e.get_ref().as_str()) {
                            self.err(
                                e.span().start,
                                &format!("{name}.events"),
                                format!(
                                    "unknown event {:?}: use {}",
                                    e.get_ref(),
                                    EVENTS.join(", ")
                                ),
                            );
                        }
                    }
                    list.get_ref().iter().map(|e| e.get_ref().clone()).collect()
                }
            };
            let timeout = self.duration(
                &format!("{name}.timeout"),
                raw.timeout.as_ref(),
                Duration::from_secs(10),
            );
            let kind = self.kind(&name, &raw);
            if let (Some(kind), true) = (kind, self.errors.len() == before) {
                out.push(Channel {
                    id,
                    kind,
                    min_severity,
                    events,
                    timeout,
                });
            }
        }
        out
    }

    fn kind(&mut self, name: &str, raw: &RawChannel) -> Option<ChannelKind> {
        let at = raw.kind.span().start;
        let need = |v: &mut Self, field: &Option<Spanned<String>>, key: &str| {
            if field.is_none() {
                v.err(
                    at,
                    &format!("{name}.{key}"),
                    format!("missing: a {} channel needs `{key}`", raw.kind.get_ref()),
                );
            }
            field.as_ref().map(|f| f.get_ref().clone())
        };
        let kind = match raw.kind.get_ref().as_str() {
            "email" => {
                let Some(list) = &raw.to else {
                    self.err(at, &format!("{name}.to"), "missing: the recipients");
                    return None;
                };
                let to = list
                    .get_ref()
                    .iter()
                    .filter_map(|a| {
                        a.get_ref()
                            .parse::<Mailbox>()
                            .map_err(|e| {
                                self.err(
                                    a.span().start,
                                    &format!("{name}.to"),
                                    format!("invalid address {:?}: {e}", a.get_ref()),
                                )
                            })
                            .ok()
                    })
                    .collect();
                ChannelKind::Email { to }
            }
            "webhook" => {
                let url = raw
                    .url
                    .as_ref()
                    .and_then(|u| self.url(&format!("{name}.url"), u));
                if raw.url.is_none() {
                    need(self, &None, "url");
                }
                let secret = self.secret(
                    name,
                    "secret",
                    &raw.secret_file,
                    &raw.secret_env,
                    (true, at),
                )?;
                ChannelKind::Webhook { url: url?, secret }
            }
            "slack" | "teams" => {
                if raw.url.is_some() {
                    self.err(
                        raw.url.as_ref().map_or(at, |u| u.span().start),
                        &format!("{name}.url"),
                        "a Slack or Teams webhook URL is a secret: give `url_file` or `url_env`",
                    );
                }
                let url = self.secret(name, "url", &raw.url_file, &raw.url_env, (true, at))?;
                if raw.kind.get_ref() == "slack" {
                    ChannelKind::Slack { url }
                } else {
                    ChannelKind::Teams { url }
                }
            }
            "matrix" => {
                let homeserver = raw
                    .homeserver
                    .as_ref()
                    .and_then(|u| self.url(&format!("{name}.homeserver"), u));
                let room_id = need(self, &raw.room_id, "room_id");
                if raw.homeserver.is_none() {
                    need(self, &None, "homeserver");
                }
                let token = self.secret(
                    name,
                    "access_token",
                    &raw.access_token_file,
                    &raw.access_token_env,
                    (true, at),
                )?;
                ChannelKind::Matrix {
                    homeserver: homeserver?,
                    room_id: room_id?,
                    token,
                }
            }
            "ntfy" => {
                let server = match &raw.server {
                    Some(u) => self.url(&format!("{name}.server"), u)?,
                    None => Url::parse("https://ntfy.sh").ok()?,
                };
                let topic = need(self, &raw.topic, "topic")?;
                let token =
                    self.secret(name, "token", &raw.token_file, &raw.token_env, (false, at));
                ChannelKind::Ntfy {
                    server,
                    topic,
                    token,
                }
            }
            other => {
                self.err(
                    at,
                    &format!("{name}.kind"),
                    format!("unknown channel kind {other:?}: use email, webhook, slack, teams, matrix or ntfy"),
                );
                return None;
            }
        };
        Some(kind)
    }

    /// A secret given as `<key>_file` or `<key>_env` (exactly one when `required`).
    fn secret(
        &mut self,
        name: &str,
        key: &str,
        file: &Option<Spanned<String>>,
        env: &Option<Spanned<String>>,
        (required, at): (bool, usize),
    ) -> Option<Secret> {
        match (file, env) {
            (Some(f), None) => Some(Secret::File(PathBuf::from(f.get_ref()))),
            (None, Some(e)) => Some(Secret::Env(e.get_ref().clone())),
            (Some(f), Some(_)) => {
                self.err(
                    f.span().start,
                    &format!("{name}.{key}_file"),
                    format!("give `{key}_file` or `{key}_env`, not both"),
                );
                None
            }
            (None, None) => {
                if required {
                    self.err(
                        at,
                        &format!("{name}.{key}_file"),
                        format!("missing: the {key} comes from `{key}_file` or `{key}_env`, never from the watchlist"),
                    );
                }
                None
            }
        }
    }
}
