//! Notify: decide which events are mailed, queue them, and deliver the outbox.
//!
//! A check queues [`event::Event`]s, not messages: this module turns an event into outbox rows
//! ([`mails`], one per recipient, with a stable Message-ID derived from what the event is
//! about) and decides whether a change deserves an immediate alert ([`wants_alert`]). [`render`]
//! is pure (event -> subject, text, HTML) and runs when a row is delivered; [`send`] is the thin
//! I/O shell that delivers due rows over SMTP or into `.eml` files.

pub mod channel;
pub mod event;
pub mod lag;
pub mod render;
pub mod send;

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;

use crate::classify::Verdict;
use crate::config::{Alerts, Email, Kind, Target, Watchlist};
use crate::diff::Change;
use crate::facts::summary::Plain;
use crate::store::{NewMail, SharedStore};
pub use event::Event;
pub use render::{ItemAlert, Rendered};

/// Outbox rows for one message to each recipient. `key` names what the mail is about (such as
/// `alert:linkedin-privacy-policy:v12`); the Message-ID is derived from it, so a resend after a
/// crash carries the same id and queuing the same key twice is a no-op.
pub fn mails(kind: &'static str, key: &str, event: &Event, recipients: &[Mailbox]) -> Vec<NewMail> {
    let (subject, json) = (event.subject(), event.to_json());
    recipients
        .iter()
        .map(|to| NewMail {
            kind,
            key: key.to_string(),
            message_id: message_id(key),
            recipient: to.to_string(),
            channel: None,
            subject: subject.clone(),
            event: json.clone(),
        })
        .collect()
}

/// The rows of an event for every recipient of `recipients` and every `[[channel]]` that takes
/// events of this kind (alerts: at its `min_severity` or above). One event, one row per
/// channel and recipient, all queued together.
pub fn routed(
    kind: &'static str,
    key: &str,
    event: &Event,
    recipients: &[Mailbox],
    email: &Email,
    severity: Option<crate::classify::Severity>,
) -> Vec<NewMail> {
    let takes =
        |c: &&crate::config::Channel| c.takes(kind) && severity.is_none_or(|s| s >= c.min_severity);
    let mut rows = mails(kind, key, event, recipients);
    for c in email.channels.iter().filter(takes) {
        match &c.kind {
            crate::config::ChannelKind::Email { to } => {
                rows.extend(mails(kind, key, event, to));
            }
            _ => rows.push(NewMail {
                kind,
                key: key.to_string(),
                message_id: message_id(key),
                recipient: format!("channel:{}", c.id),
                channel: Some(c.id.clone()),
                subject: event.subject(),
                event: event.to_json(),
            }),
        }
    }
    rows
}

/// The stable id of what `key` names: the Message-ID of its mail, the idempotency key and
/// transaction id of its other deliveries.
fn message_id(key: &str) -> String {
    let local: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '.'
            }
        })
        .collect();
    format!("{local}@policywatch")
}

/// Whether a change is mailed at once: AI-relevant at or above `min_severity`, or an
/// upcoming-update notice when those are wanted.
pub fn wants_alert(verdict: &Verdict, plain: &Plain, alerts: &Alerts) -> bool {
    (verdict.ai_relevant && verdict.severity >= alerts.min_severity)
        || (verdict.announcement && alerts.announcements)
        // a fact about AI or sharing moved (a new effective date alone waits for the digest)
        || plain
            .facts_changed
            .iter()
            .any(|c| c.fact != crate::facts::Fact::EffectiveDate)
}

/// A recorded change that deserves an immediate mail.
pub struct ChangeEvent<'a> {
    /// The target.
    pub target: &'a Target,
    /// The previous version: id and time.
    pub old: (crate::store::VersionId, &'a str),
    /// The new version: id and time.
    pub new: (crate::store::VersionId, &'a str),
    /// Pages: the sentence diff.
    pub change: Option<&'a Change>,
    /// The verdict of the whole change.
    pub verdict: &'a Verdict,
    /// Feeds: the AI-relevant items.
    pub items: Vec<render::ItemAlert<'a>>,
    /// Pages: the change in plain words.
    pub plain: &'a crate::facts::summary::Plain,
}

/// The alert rows for a change (see [`wants_alert`]): for a page its sentence diff, for a feed
/// its AI-relevant items.
pub fn change_mails(change: &ChangeEvent<'_>, email: &Email) -> Vec<NewMail> {
    let t = change.target;
    let event = match (t.kind, change.change) {
        (Kind::Feed | Kind::Links, _) if !change.items.is_empty() => Event::FeedItems {
            about: about(t),
            version: change.new.0,
            items: change
                .items
                .iter()
                .map(|i| event::ItemEvent {
                    new: i.new,
                    title: i.title.to_string(),
                    date: i.date.to_string(),
                    link: i.link.to_string(),
                    verdict: i.verdict.clone(),
                    quotes: i.quotes.to_vec(),
                    quote_error: i.quote_error.map(str::to_string),
                })
                .collect(),
        },
        (_, Some(diff)) => Event::PageChange {
            about: about(t),
            old: event::VersionAt {
                id: change.old.0,
                at: change.old.1.to_string(),
            },
            new: event::VersionAt {
                id: change.new.0,
                at: change.new.1.to_string(),
            },
            counts: (diff.added, diff.removed),
            verdict: change.verdict.clone(),
            plain: change.plain.clone(),
        },
        _ => return Vec::new(),
    };
    // a moved fact about AI or sharing is as serious as the wording that moved it
    let facts_moved = change
        .plain
        .facts_changed
        .iter()
        .any(|c| c.fact != crate::facts::Fact::EffectiveDate);
    let severity = if facts_moved {
        crate::classify::Severity::High
    } else {
        change.verdict.severity
    };
    routed(
        "alert",
        &format!("alert:{}:v{}", t.id, change.new.0),
        &event,
        &email.to,
        email,
        Some(severity),
    )
}

fn about(t: &Target) -> event::About {
    event::About {
        target: t.id.to_string(),
        name: t.name.clone(),
        url: t.url.to_string(),
    }
}

/// The incident rows for a target that failed `failures` times in a row (queued by the store
/// only when the count reaches the threshold).
pub fn incident_mails(
    target: &Target,
    failures: u32,
    error: &str,
    at: &str,
    email: &Email,
) -> Vec<NewMail> {
    let event = Event::Incident {
        about: about(target),
        failures,
        error: error.to_string(),
    };
    routed(
        "incident",
        &format!("incident:{}:{at}", target.id),
        &event,
        &email.to,
        email,
        None,
    )
}

/// The recovery rows for a target checked successfully after an incident.
pub fn recovery_mails(target: &Target, at: &str, email: &Email) -> Vec<NewMail> {
    let event = Event::Recovery {
        about: about(target),
    };
    routed(
        "recovery",
        &format!("recovery:{}:{at}", target.id),
        &event,
        &email.to,
        email,
        None,
    )
}

/// Builds the digest of everything since the last one and queues it (with the digest record,
/// in one transaction). Returns its subject, or `None` when there was nothing to report and
/// `send_empty` is off.
pub async fn queue_digest(
    store: &SharedStore,
    wl: &Watchlist,
    now: DateTime<Utc>,
) -> Result<Option<String>, crate::store::StoreFailure> {
    let material = store.call(|s| s.digest_material()).await?;
    if material.is_empty() && !wl.digest.send_empty {
        return Ok(None);
    }
    let names = wl
        .targets
        .iter()
        .map(|t| (t.id.to_string(), t.name.clone()))
        .collect();
    let event = Event::Digest {
        material: material.clone(),
        names,
        at: crate::store::timestamp(now),
    };
    let rows = routed(
        "digest",
        &format!("digest:{}", now.timestamp_millis()),
        &event,
        &wl.email.digest_to,
        &wl.email,
        None,
    );
    // the subject mails() rendered (rendered here only when there is no recipient)
    let subject = rows
        .first()
        .map_or_else(|| event.subject(), |r| r.subject.clone());
    store
        .call(move |s| s.record_digest(&material, &rows, now))
        .await?;
    Ok(Some(subject))
}
