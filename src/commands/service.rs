//! `run` (the daemon, with its signals) and `status`.

use std::io::Write;

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

pub(super) async fn status(cli: &Cli, json: bool) -> Result<Outcome, CommandError> {
    let Some(wl) = load(cli) else {
        return Ok(Outcome::BadInput);
    };
    let Some(store) = open_store(cli).await? else {
        return Ok(Outcome::BadInput);
    };
    let lines = crate::views::status_lines(&wl, &store, crate::clock::now())?;
    let pending = store.pending_mail()?;
    let mut out = std::io::stdout().lock();
    if json {
        for line in &lines {
            writeln!(out, "{}", serde_json::to_string(line).unwrap_or_default())?;
        }
        writeln!(out, "{}", serde_json::json!({ "pending_mail": pending }))?;
        return Ok(Outcome::Ok);
    }
    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            let (s, next) = (&l.status, &l.next_run);
            vec![
                s.target.clone(),
                l.language.clone(),
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

/// `serve`: the web view, API and feeds of the store, until SIGTERM or SIGINT.
pub(super) async fn serve(cli: &Cli, listen: Option<&str>) -> Result<Outcome, CommandError> {
    let Some(wl) = load(cli) else {
        return Ok(Outcome::BadInput);
    };
    let addr = match listen {
        Some(l) => crate::config::parse_listen(l),
        None => wl.http.listen.map_or_else(
            || crate::config::parse_listen(crate::config::DEFAULT_LISTEN),
            Ok,
        ),
    };
    let addr = match addr {
        Ok(a) => a,
        Err(e) => {
            eprintln!("policywatch: --listen: {e}");
            return Ok(Outcome::BadInput);
        }
    };
    if let Some(why) = crate::config::needs_token(addr, wl.http.token_file.as_deref()) {
        eprintln!("policywatch: refusing to serve on {why}");
        return Ok(Outcome::BadInput);
    }
    let auth = match wl.http.token() {
        Ok(token) => token.map(crate::serve::auth::Auth::new),
        Err(e) => {
            eprintln!("policywatch: {e}");
            return Ok(Outcome::BadInput);
        }
    };
    let Some(db) = super::db_path(cli, Some(&wl)) else {
        return Ok(Outcome::BadInput);
    };
    // created and brought up to date once; every request then reads through its own connection
    drop(super::open_at(db.clone()).await?);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("policywatch: cannot listen on {addr}: {e}");
            return Ok(Outcome::SomeFailed);
        }
    };
    let local = listener.local_addr()?;
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let (term, int) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    let (mut term, mut int) = match (term, int) {
        (Ok(t), Ok(i)) => (t, i),
        (Err(e), _) | (_, Err(e)) => {
            return Err(CommandError::Task(format!("cannot handle signals: {e}")));
        }
    };
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = int.recv() => tracing::info!("SIGINT"),
        }
        stop_tx.send_replace(true);
    });
    let state = crate::serve::AppState::new(
        tokio::sync::watch::channel(std::sync::Arc::new(wl)).1,
        db,
        auth,
    );
    say!("serving http://{local}/ (read-only; Ctrl-C stops)");
    tracing::info!(address = %local, "serving");
    crate::serve::run(std::sync::Arc::new(listener), state, stop).await;
    Ok(Outcome::Ok)
}
