//! The mail commands: `test-email`, `outbox`, `digest --send-now`, and the delivery that
//! `check-now` runs before it exits.

use std::io::Write;

use super::{CommandError, Outcome, db_path, load, open_at, open_store};
use crate::cli::Cli;
use crate::config::Watchlist;
use crate::notify::send::{Delivery, Mailer};
use crate::notify::{Event, mails, queue_digest, routed};
use crate::output;
use crate::store::{SharedStore, timestamp};

/// Delivers what is due, reporting on stderr; mail that cannot go stays queued.
pub(super) async fn deliver_now(wl: &Watchlist, store: &SharedStore) -> Option<Delivery> {
    let mailer = match Mailer::new(&wl.email) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("policywatch: mail kept in the outbox: {e}");
            return None;
        }
    };
    match mailer.deliver(store, crate::clock::now()).await {
        Ok(d) => {
            if d.sent + d.failed + d.retry > 0 {
                eprintln!(
                    "mail via {}: {} sent, {} failed for good, {} pending{}",
                    mailer.describe(),
                    d.sent,
                    d.failed,
                    d.retry,
                    d.error
                        .as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default()
                );
            }
            Some(d)
        }
        Err(e) => {
            eprintln!("policywatch: mail kept in the outbox: {e}");
            None
        }
    }
}

async fn open(cli: &Cli) -> Result<Option<(Watchlist, SharedStore)>, CommandError> {
    let Some(wl) = load(cli) else { return Ok(None) };
    let Some(path) = db_path(cli, Some(&wl)) else {
        return Ok(None);
    };
    let store = SharedStore::new(open_at(path).await?);
    Ok(Some((wl, store)))
}

pub(super) async fn test_email(cli: &Cli) -> Result<Outcome, CommandError> {
    let Some((wl, store)) = open(cli).await? else {
        return Ok(Outcome::BadInput);
    };
    let now = crate::clock::now();
    let event = Event::Test { at: timestamp(now) };
    let rows = mails(
        "test",
        &format!("test:{}", now.timestamp_millis()),
        &event,
        &wl.email.to,
    );
    store.call(move |s| s.enqueue(&rows, now)).await?;
    match deliver_now(&wl, &store).await {
        Some(d) if d.sent > 0 && d.retry == 0 && d.failed == 0 => {
            say!(
                "test message sent to {}",
                wl.email
                    .to
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(Outcome::Ok)
        }
        _ => Ok(Outcome::SomeFailed),
    }
}

pub(super) async fn test_notify(cli: &Cli, only: Option<&str>) -> Result<Outcome, CommandError> {
    let Some((wl, store)) = open(cli).await? else {
        return Ok(Outcome::BadInput);
    };
    let ids: Vec<&str> = std::iter::once("email")
        .chain(wl.email.channels.iter().map(|c| c.id.as_str()))
        .collect();
    if let Some(id) = only
        && !ids.contains(&id)
    {
        eprintln!(
            "policywatch: no channel {id:?}: the channels are {}",
            ids.join(", ")
        );
        return Ok(Outcome::BadInput);
    }
    let now = crate::clock::now();
    let event = Event::Test { at: timestamp(now) };
    let key = format!("test-notify:{}", now.timestamp_millis());
    let picked = crate::config::Email {
        channels: wl
            .email
            .channels
            .iter()
            .filter(|c| only.is_none_or(|id| id == c.id))
            .cloned()
            .collect(),
        ..wl.email.clone()
    };
    let to = if only.is_none_or(|id| id == "email") {
        wl.email.to.clone()
    } else {
        Vec::new()
    };
    let rows = routed("test", &key, &event, &to, &picked, None);
    let Some(first) = rows.first() else {
        eprintln!("policywatch: nothing to send to");
        return Ok(Outcome::BadInput);
    };
    let message_id = first.message_id.clone();
    store.call(move |s| s.enqueue(&rows, now)).await?;
    deliver_now(&wl, &store).await;
    let log = store.call(|s| s.mail_log(1000)).await?;
    let mut all_sent = true;
    for m in log.iter().rev().filter(|m| m.message_id == message_id) {
        let through = m
            .channel
            .as_deref()
            .map_or_else(|| format!("email {}", m.recipient), |c| c.to_string());
        match (m.status.as_str(), &m.last_error) {
            ("sent", _) => say!("{through}: sent"),
            (status, error) => {
                all_sent = false;
                say!(
                    "{through}: {status}: {}",
                    error.as_deref().unwrap_or("not delivered yet")
                );
            }
        }
    }
    Ok(if all_sent {
        Outcome::Ok
    } else {
        Outcome::SomeFailed
    })
}

pub(super) async fn outbox(cli: &Cli, json: bool, limit: usize) -> Result<Outcome, CommandError> {
    let Some(store) = open_store(cli).await? else {
        return Ok(Outcome::BadInput);
    };
    let mails = store.mail_log(limit)?;
    let mut out = std::io::stdout().lock();
    if json {
        for m in &mails {
            writeln!(out, "{}", serde_json::to_string(m).unwrap_or_default())?;
        }
        return Ok(Outcome::Ok);
    }
    let rows: Vec<Vec<String>> = mails
        .iter()
        .map(|m| {
            vec![
                m.id.to_string(),
                m.kind.clone(),
                m.status.clone(),
                m.attempts.to_string(),
                m.recipient.clone(),
                m.subject.clone(),
                m.last_error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    write!(
        out,
        "{}",
        output::table(
            &[
                "ID",
                "KIND",
                "STATUS",
                "TRIES",
                "TO",
                "SUBJECT",
                "LAST ERROR"
            ],
            &rows
        )
    )?;
    Ok(Outcome::Ok)
}

/// `outbox --retry-now`: every pending row due now, then delivered.
pub(super) async fn retry_now(cli: &Cli) -> Result<Outcome, CommandError> {
    let Some((wl, store)) = open(cli).await? else {
        return Ok(Outcome::BadInput);
    };
    let now = crate::clock::now();
    let moved = store.call(move |s| s.retry_now(now)).await?;
    say!("{moved} pending mail(s) made due now");
    Ok(match deliver_now(&wl, &store).await {
        Some(d) if d.retry == 0 && d.failed == 0 => Outcome::Ok,
        _ => Outcome::SomeFailed,
    })
}

pub(super) async fn digest_now(cli: &Cli) -> Result<Outcome, CommandError> {
    let Some((wl, store)) = open(cli).await? else {
        return Ok(Outcome::BadInput);
    };
    match queue_digest(&store, &wl, crate::clock::now()).await? {
        None => {
            say!(
                "nothing changed and nothing failed since the last digest; none sent (send_empty = false)"
            );
            Ok(Outcome::Ok)
        }
        Some(subject) => {
            say!("digest queued: {subject}");
            Ok(match deliver_now(&wl, &store).await {
                Some(d) if d.retry == 0 && d.failed == 0 => Outcome::Ok,
                _ => Outcome::SomeFailed,
            })
        }
    }
}
