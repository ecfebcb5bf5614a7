//! Channels besides mail: a signed webhook, Slack, Microsoft Teams, Matrix and ntfy, delivered
//! from the same outbox as mail: one row per event and channel, claimed, sent, retried with the
//! same backoff and marked. Each channel delivers on its own, so one that never answers holds
//! up no other.

pub mod http;
pub mod notice;
pub mod payload;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

use super::Event;
use super::send::{Delivery, backoff, claim_lease};
use crate::config::Channel;
use crate::store::SharedStore;
pub use http::{Failure, Sender};
pub use notice::Notice;

/// Delivers every due row of one channel.
pub async fn deliver(
    store: &SharedStore,
    sender: &Sender,
    channel: &Channel,
    claimer: &str,
    now: DateTime<Utc>,
) -> Result<Delivery, String> {
    let mut done = Delivery::default();
    let lease = claim_lease(channel.timeout);
    let mut cache: Option<(i64, Notice)> = None;
    loop {
        let until = crate::clock::now().max(now) + lease;
        let (who, id) = (claimer.to_string(), channel.id.clone());
        let Some(row) = store
            .call(move |s| s.claim_mail(now, until, &who, Some(&id)))
            .await?
        else {
            break;
        };
        let notice = match (&row.event, row.event_id, &cache) {
            (_, Some(e), Some((cached, n))) if e == *cached => Ok(n.clone()),
            (Some(json), event_id, _) => Event::from_json(json).map(|e| {
                let n = Notice::of(&e);
                if let Some(e) = event_id {
                    cache = Some((e, n.clone()));
                }
                n
            }),
            (None, ..) => Err("a row without an event cannot go to a channel".to_string()),
        };
        let sent_at = crate::store::timestamp(crate::clock::now());
        let outcome = match notice {
            Ok(n) => sender.send(channel, &n, &row.message_id, &sent_at).await,
            Err(e) => Err(Failure::Permanent(e)),
        };
        let row_id = row.id;
        let what = format!("{} {}", channel.kind.name(), channel.id);
        match outcome {
            Ok(answer) => {
                tracing::info!(row = row_id, kind = %row.kind, channel = %channel.id, %answer, "notification sent");
                store.call(move |s| s.mail_sent(row_id, now)).await?;
                done.sent += 1;
            }
            Err(Failure::Permanent(e)) => {
                let error = format!("{what}: {e}");
                tracing::warn!(row = row_id, %error, "notification refused for good");
                let err = error.clone();
                store
                    .call(move |s| s.mail_failed(row_id, &err, None))
                    .await?;
                done.failed += 1;
                done.error = Some(error);
            }
            Err(Failure::Retry { error, after }) => {
                let error = format!("{what}: {error}");
                tracing::warn!(row = row_id, %error, "notification kept for a later try");
                let wait = backoff(row.attempts).max(after.unwrap_or_default());
                let retry_at = now + wait;
                let err = error.clone();
                store
                    .call(move |s| s.mail_failed(row_id, &err, Some(retry_at)))
                    .await?;
                done.retry += 1;
                done.error = Some(error);
            }
        }
    }
    Ok(done)
}
