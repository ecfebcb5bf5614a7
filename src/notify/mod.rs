//! Notify: decide which events are mailed, render them, and deliver the outbox.
//!
//! [`render`] is pure (events -> subject, text, HTML). This module turns a rendered message into
//! outbox rows ([`mails`], one per recipient, with a stable Message-ID derived from what the
//! mail is about) and decides whether a change deserves an immediate alert ([`wants_alert`]).
//! [`send`] is the thin I/O shell that delivers pending rows over SMTP or into `.eml` files.

pub mod render;
pub mod send;

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;

use crate::classify::Verdict;
use crate::config::{Alerts, Email, Kind, Target, Watchlist};
use crate::diff::Change;
use crate::store::{NewMail, SharedStore};
pub use render::{AlertInput, ItemAlert, Rendered};

/// Outbox rows for one message to each recipient. `key` names what the mail is about (such as
/// `alert:linkedin-privacy-policy:v12`); the Message-ID is derived from it, so a resend after a
/// crash carries the same id and queuing the same key twice is a no-op.
pub fn mails(
    kind: &'static str,
    key: &str,
    message: &Rendered,
    recipients: &[Mailbox],
) -> Vec<NewMail> {
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
    recipients
        .iter()
        .map(|to| NewMail {
            kind,
            key: key.to_string(),
            message_id: format!("{local}@policywatch"),
            recipient: to.to_string(),
            subject: message.subject.clone(),
            text: message.text.clone(),
            html: message.html.clone(),
        })
        .collect()
}

/// Whether a change is mailed at once: AI-relevant at or above `min_severity`, or an
/// upcoming-update notice when those are wanted.
pub fn wants_alert(verdict: &Verdict, alerts: &Alerts) -> bool {
    (verdict.ai_relevant && verdict.severity >= alerts.min_severity)
        || (verdict.announcement && alerts.announcements)
}

/// A recorded change that deserves an immediate mail.
pub struct ChangeEvent<'a> {
    /// The target.
    pub target: &'a Target,
    /// The previous version: id and time.
    pub old: (i64, &'a str),
    /// The new version: id and time.
    pub new: (i64, &'a str),
    /// Pages: the sentence diff.
    pub change: Option<&'a Change>,
    /// The verdict of the whole change.
    pub verdict: &'a Verdict,
    /// Feeds: the AI-relevant items.
    pub items: Vec<render::ItemAlert<'a>>,
}

/// The alert rows for a change (see [`wants_alert`]): for a page its sentence diff, for a feed
/// its AI-relevant items.
pub fn change_mails(event: &ChangeEvent<'_>, email: &Email) -> Vec<NewMail> {
    let t = event.target;
    let message = match (t.kind, event.change) {
        (Kind::Feed, _) if !event.items.is_empty() => render::feed_alert(
            t.id.as_str(),
            &t.name,
            t.url.as_str(),
            event.new.0,
            &event.items,
        ),
        (_, Some(change)) => render::alert(&AlertInput {
            target: t.id.as_str(),
            name: &t.name,
            url: t.url.as_str(),
            old: event.old,
            new: event.new,
            change,
            verdict: event.verdict,
            max_body: email.max_body,
        }),
        _ => return Vec::new(),
    };
    mails(
        "alert",
        &format!("alert:{}:v{}", t.id, event.new.0),
        &message,
        &email.to,
    )
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
    let message = render::incident(
        target.id.as_str(),
        &target.name,
        target.url.as_str(),
        failures,
        error,
    );
    mails(
        "incident",
        &format!("incident:{}:{at}", target.id),
        &message,
        &email.to,
    )
}

/// The recovery rows for a target checked successfully after an incident.
pub fn recovery_mails(target: &Target, at: &str, email: &Email) -> Vec<NewMail> {
    let message = render::recovery(target.id.as_str(), &target.name, target.url.as_str());
    mails(
        "recovery",
        &format!("recovery:{}:{at}", target.id),
        &message,
        &email.to,
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
    let message = render::digest(
        &material,
        &|id| wl.name_of(id),
        &crate::store::timestamp(now),
    );
    let rows = mails(
        "digest",
        &format!("digest:{}", now.timestamp_millis()),
        &message,
        &wl.email.digest_to,
    );
    store
        .call(move |s| s.record_digest(&material, &rows, now))
        .await?;
    Ok(Some(message.subject))
}
