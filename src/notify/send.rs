//! Send: deliver due outbox rows over SMTP (lettre) or into `.eml` files, and mark each.
//!
//! A row is marked sent only after the server accepted it. SMTP down, refusing, timing out,
//! a failed login or a 4xx keep the row pending with exponential backoff; a 5xx for the message
//! or its recipient fails that row for good (shown by `policywatch outbox`). The password is read
//! when a mailer is built and never appears in an error or a log line.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Event, Rendered};
use crate::config::{Channel, ChannelKind, Email, Security, Smtp, Transport};
use crate::store::{Mail, SharedStore};

/// Why mail could not be sent at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The SMTP settings cannot be used (TLS set-up, CA file, password file).
    #[error("smtp {server}: {message}")]
    Setup {
        /// host:port.
        server: String,
        /// What is wrong.
        message: String,
    },
}

enum Inner {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// A configured way to deliver mail.
pub struct Mailer {
    inner: Inner,
    from: Mailbox,
    /// "smtp host:port as user" or "outbox folder", for messages.
    describe: String,
    /// The longest one exchange with the server (or one file write) may take.
    bound: Duration,
    /// Who this mailer is in the outbox's claims: unique to the process and the mailer.
    claimer: String,
    /// Cap on an alert's changed-sentence text, in characters (`[email] max_body`).
    max_body: usize,
    /// The `[[channel]]`s other than mail, and the client that reaches them.
    channels: Vec<Channel>,
    sender: Option<super::channel::Sender>,
}

/// An SMTP transaction is several commands, each bounded by `[email] timeout` in lettre; a
/// server that answers the greeting and then stalls must not hold a sender past this many
/// timeouts in all.
const SMTP_EXCHANGES: u32 = 4;
/// How long a file-outbox write may take.
const FILE_BOUND: Duration = Duration::from_secs(30);

/// How long a claim on a row lasts: well past one bounded send, so only a dead claimer's rows
/// come due again.
pub(super) fn claim_lease(bound: Duration) -> Duration {
    bound * 2 + Duration::from_secs(60)
}

/// What one delivery run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Accepted by the server (or written).
    pub sent: usize,
    /// Refused for good.
    pub failed: usize,
    /// Still pending, to be retried.
    pub retry: usize,
    /// The error that kept mail pending, if any.
    pub error: Option<String>,
}

impl Delivery {
    /// Adds another run's counts (its error, if any, is the one kept).
    pub fn add(&mut self, other: Delivery) {
        self.sent += other.sent;
        self.failed += other.failed;
        self.retry += other.retry;
        if other.error.is_some() {
            self.error = other.error;
        }
    }
}

/// Wait before retry `attempts` (0-based): 30 s doubling, at most 6 h.
pub fn backoff(attempts: i64) -> Duration {
    let secs = 30u64.saturating_mul(1u64 << attempts.clamp(0, 20));
    Duration::from_secs(secs.min(6 * 3600))
}

impl Mailer {
    /// Builds the transport of `[email]` (reading the SMTP password now).
    pub fn new(email: &Email) -> Result<Self, SendError> {
        let bound = match &email.transport {
            Transport::Smtp(smtp) => smtp.timeout * SMTP_EXCHANGES,
            Transport::Files(_) => FILE_BOUND,
        };
        let (inner, describe) = match &email.transport {
            Transport::Files(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| SendError::Setup {
                    server: "outbox".into(),
                    message: format!("cannot create {}: {e}", dir.display()),
                })?;
                (
                    Inner::Files(AsyncFileTransport::new(dir), dir.clone()),
                    format!("outbox folder {}", dir.display()),
                )
            }
            Transport::Smtp(smtp) => smtp_transport(smtp)?,
        };
        Ok(Self {
            inner,
            from: email.from.clone(),
            describe,
            bound,
            claimer: format!("{}-{:016x}", std::process::id(), rand::random::<u64>()),
            max_body: email.max_body,
            channels: email
                .channels
                .iter()
                .filter(|c| !matches!(c.kind, ChannelKind::Email { .. }))
                .cloned()
                .collect(),
            sender: if email.channels.is_empty() {
                None
            } else {
                Some(
                    super::channel::Sender::new().map_err(|message| SendError::Setup {
                        server: "channels".into(),
                        message,
                    })?,
                )
            },
        })
    }

    /// The name of this mailer's claims on outbox rows.
    pub fn claimer(&self) -> &str {
        &self.claimer
    }

    /// What this mailer sends through, for messages.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    fn message(&self, mail: &Mail, rendered: &Rendered) -> Result<Message, String> {
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|e| format!("invalid recipient {:?}: {e}", mail.recipient))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject.as_str())
            .message_id(Some(format!("<{}>", mail.message_id)))
            .multipart(MultiPart::alternative_plain_html(
                crate::extract::visible(&rendered.text).into_owned(),
                crate::extract::visible(&rendered.html).into_owned(),
            ))
            .map_err(|e| format!("cannot build the message: {e}"))
    }

    /// [`render`](Self::render), once per event however many recipients it has: `cache` keeps
    /// the last event rendered (rows come in id order, an event's rows together).
    async fn rendered(
        &self,
        store: &SharedStore,
        mail: &Mail,
        cache: &mut Option<(i64, Rendered)>,
    ) -> Result<Rendered, String> {
        if let (Some(id), Some((cached, r))) = (mail.event_id, cache.as_ref())
            && id == *cached
        {
            return Ok(r.clone());
        }
        let r = self.render(store, mail).await?;
        if let Some(id) = mail.event_id {
            *cache = Some((id, r.clone()));
        }
        Ok(r)
    }

    /// The message of a row: its event rendered now (a page change's diff made again from the
    /// two stored versions, on the blocking pool), or, for a row queued before events, the
    /// bodies it was queued with.
    async fn render(&self, store: &SharedStore, mail: &Mail) -> Result<Rendered, String> {
        let Some(json) = &mail.event else {
            return Ok(Rendered {
                subject: mail.subject.clone(),
                text: mail.text.clone(),
                html: mail.html.clone(),
            });
        };
        let event = Event::from_json(json)?;
        let change = match event.diff_of() {
            Some((target, old, new)) => {
                let target = target.to_string();
                store
                    .call(move |s| {
                        let old = s.version(&target, Some(old))?;
                        let new = s.version(&target, Some(new))?;
                        Ok(old
                            .zip(new)
                            .map(|(o, n)| crate::diff::diff(&o.text, &n.text)))
                    })
                    .await?
            }
            None => None,
        };
        Ok(event.render(change.as_ref(), self.max_body))
    }

    /// Delivers every due row of the outbox, claiming each before sending it so that another
    /// process delivering the same outbox never sends it too: mail, and each other channel at
    /// the same time, so that a slow one holds up no other.
    pub async fn deliver(
        &self,
        store: &SharedStore,
        now: DateTime<Utc>,
    ) -> Result<Delivery, String> {
        let known: Vec<String> = self.channels.iter().map(|c| c.id.clone()).collect();
        let due = store
            .call(move |s| {
                s.fail_orphan_rows(&known)?;
                s.due_mail(now)
            })
            .await?;
        if due.is_empty() {
            return Ok(Delivery::default());
        }
        let mail = async {
            if due.iter().any(|m| m.channel.is_none()) {
                self.deliver_mail(
                    store,
                    now,
                    due.iter().filter(|m| m.channel.is_none()).count(),
                )
                .await
            } else {
                Ok(Delivery::default())
            }
        };
        let others = futures_util::future::join_all(self.channels.iter().filter_map(|c| {
            let sender = self.sender.as_ref()?;
            due.iter()
                .any(|m| m.channel.as_deref() == Some(c.id.as_str()))
                .then(|| super::channel::deliver(store, sender, c, &self.claimer, now))
        }));
        let (mail, others) = tokio::join!(mail, others);
        let mut done = mail?;
        for d in others {
            done.add(d?);
        }
        Ok(done)
    }

    /// Delivers the due mail rows.
    async fn deliver_mail(
        &self,
        store: &SharedStore,
        now: DateTime<Utc>,
        due: usize,
    ) -> Result<Delivery, String> {
        let mut done = Delivery::default();
        // Down, refusing, TLS or login failure: nothing is lost, everything waits.
        let unreachable = match &self.inner {
            Inner::Smtp(t) => match tokio::time::timeout(self.bound, t.test_connection()).await {
                Ok(Ok(_)) => None,
                Ok(Err(e)) => Some(format!("{}: {e}", self.describe)),
                Err(_) => Some(format!(
                    "{}: no answer within {}",
                    self.describe,
                    humantime::format_duration(self.bound)
                )),
            },
            Inner::Files(..) => None,
        };
        if let Some(error) = &unreachable {
            tracing::warn!(%error, pending = due, "mail kept pending");
        }
        let lease = claim_lease(self.bound);
        let mut cache: Option<(i64, Rendered)> = None;
        loop {
            let until = crate::clock::now().max(now) + lease;
            let claimer = self.claimer.clone();
            let Some(m) = store
                .call(move |s| s.claim_mail(now, until, &claimer, None))
                .await?
            else {
                break;
            };
            let built = match &unreachable {
                Some(_) => Err(String::new()),
                None => self
                    .rendered(store, &m, &mut cache)
                    .await
                    .map_err(|e| format!("cannot render the message: {e}"))
                    .and_then(|r| self.message(&m, &r)),
            };
            let outcome = match (&unreachable, built) {
                (Some(error), _) => Err((error.clone(), false)),
                (None, Err(e)) => Err((format!("{}: {e}", self.describe), true)),
                (None, Ok(msg)) => self
                    .send(msg)
                    .await
                    .map_err(|(e, permanent)| (format!("{}: {e}", self.describe), permanent)),
            };
            let id = m.id;
            match outcome {
                Ok(where_) => {
                    tracing::info!(mail = id, kind = %m.kind, to = %m.recipient, %where_, "mail sent");
                    store.call(move |s| s.mail_sent(id, now)).await?;
                    done.sent += 1;
                }
                Err((error, permanent)) => {
                    if unreachable.is_none() {
                        tracing::warn!(mail = id, to = %m.recipient, %error, permanent, "mail not delivered");
                    }
                    let retry_at = (!permanent).then(|| now + backoff(m.attempts));
                    let err = error.clone();
                    store
                        .call(move |s| s.mail_failed(id, &err, retry_at))
                        .await?;
                    if permanent {
                        done.failed += 1;
                    } else {
                        done.retry += 1;
                    }
                    done.error = Some(error);
                }
            }
        }
        Ok(done)
    }

    /// Sends one message; the error says whether it is permanent.
    async fn send(&self, msg: Message) -> Result<String, (String, bool)> {
        let bound = humantime::format_duration(self.bound);
        tokio::time::timeout(self.bound, self.send_unbounded(msg))
            .await
            .unwrap_or_else(|_| {
                Err((
                    format!("no answer within {bound}: kept for a later try"),
                    false,
                ))
            })
    }

    async fn send_unbounded(&self, msg: Message) -> Result<String, (String, bool)> {
        match &self.inner {
            Inner::Smtp(t) => match t.send(msg).await {
                Ok(resp) => Ok(format!("accepted: {}", resp.code())),
                Err(e) => Err((e.to_string(), e.is_permanent())),
            },
            Inner::Files(t, dir) => match t.send(msg).await {
                Ok(id) => Ok(format!(
                    "written to {}",
                    dir.join(format!("{id}.eml")).display()
                )),
                Err(e) => Err((format!("cannot write to {}: {e}", dir.display()), false)),
            },
        }
    }
}

fn smtp_transport(smtp: &Smtp) -> Result<(Inner, String), SendError> {
    let server = format!("{}:{}", smtp.host, smtp.port);
    let setup = |message: String| SendError::Setup {
        server: server.clone(),
        message,
    };
    let tls = if smtp.security == Security::None {
        Tls::None
    } else {
        let mut params = TlsParameters::builder(smtp.host.clone());
        if let Some(ca) = &smtp.ca_file {
            let pem = std::fs::read(ca)
                .map_err(|e| setup(format!("cannot read ca_file {}: {e}", ca.display())))?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| setup(format!("invalid ca_file {}: {e}", ca.display())))?;
            params = params.add_root_certificate(cert);
        }
        let params = params
            .build()
            .map_err(|e| setup(format!("TLS set-up failed: {e}")))?;
        if smtp.security == Security::Tls {
            Tls::Wrapper(params)
        } else {
            Tls::Required(params)
        }
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(smtp.timeout));
    let mut describe = format!("smtp {server}");
    if let Some(user) = &smtp.username {
        let password = smtp.password().map_err(setup)?.ok_or_else(|| {
            setup(format!(
                "user {user:?} needs a password: set POLICYWATCH_SMTP_PASSWORD or email.password_file"
            ))
        })?;
        builder = builder.credentials(Credentials::new(user.clone(), password));
        describe = format!("smtp {server} as {user}");
    }
    Ok((Inner::Smtp(builder.build()), describe))
}
