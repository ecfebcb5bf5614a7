//! `run` (the daemon, with its signals) and `status`.

use std::io::Write;

use serde::Serialize;
use tokio::signal::unix::{SignalKind, signal};

use super::{CommandError, Outcome, load, open_store};
use crate::cli::Cli;
use crate::daemon::{self, DaemonError};
use crate::output;

pub(super) async fn run(cli: &Cli) -> Result<Outcome, CommandError> {
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        (Err(e), _) | (_, Err(e)) => {
            return Err(CommandError::Task(format!("cannot handle signals: {e}")));
        }
    };
    let shutdown = async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = int.recv() => tracing::info!("SIGINT"),
        }
    };
    match daemon::run(&cli.watchlist, cli.db.as_deref(), shutdown).await {
        Ok(()) => Ok(Outcome::Ok),
        Err(DaemonError::Config(errors)) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            eprintln!(
                "policywatch: {} problem(s) in the watchlist",
                errors.0.len()
            );
            Ok(Outcome::BadInput)
        }
        Err(e) => {
            eprintln!("policywatch: {e}");
            Ok(Outcome::SomeFailed)
        }
    }
}

#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    status: &'a crate::store::TargetStatus,
    next_run: Option<String>,
    document: &'a str,
    language: &'a str,
}

pub(super) async fn status(cli: &Cli, json: bool) -> Result<Outcome, CommandError> {
    let Some(wl) = load(cli) else {
        return Ok(Outcome::BadInput);
    };
    let Some(store) = open_store(cli).await? else {
        return Ok(Outcome::BadInput);
    };
    let known = store.statuses()?;
    let pending = store.pending_mail()?;
    let now = crate::clock::now();
    let mut lines = Vec::new();
    for t in wl.by_document() {
        let status = known
            .iter()
            .find(|s| s.target == t.id.as_str())
            .cloned()
            .unwrap_or_else(|| crate::store::TargetStatus {
                target: t.id.to_string(),
                url: t.url.to_string(),
                last_checked_at: None,
                last_result: None,
                last_change_at: None,
                consecutive_failures: 0,
                last_error: None,
            });
        let next = t
            .enabled
            .then(|| t.schedule.next_after(now))
            .flatten()
            .map(crate::store::timestamp);
        lines.push((status, next, t));
    }
    let mut out = std::io::stdout().lock();
    if json {
        for (status, next_run, t) in &lines {
            writeln!(
                out,
                "{}",
                serde_json::to_string(&Line {
                    status,
                    next_run: next_run.clone(),
                    document: &t.document,
                    language: &t.language,
                })
                .unwrap_or_default()
            )?;
        }
        writeln!(out, "{}", serde_json::json!({ "pending_mail": pending }))?;
        return Ok(Outcome::Ok);
    }
    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|(s, next, t)| {
            vec![
                s.target.clone(),
                t.language.clone(),
                dash(&s.last_checked_at),
                dash(&s.last_result),
                dash(&s.last_change_at),
                s.consecutive_failures.to_string(),
                dash(next),
                s.last_error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    write!(
        out,
        "{}",
        output::table(
            &[
                "TARGET",
                "LANG",
                "LAST CHECK",
                "RESULT",
                "LAST CHANGE",
                "FAILURES",
                "NEXT RUN",
                "ERROR"
            ],
            &rows
        )
    )?;
    writeln!(
        out,
        "\n{pending} mail(s) pending (next runs are before jitter of up to {}s)",
        wl.jitter.as_secs()
    )?;
    Ok(Outcome::Ok)
}
