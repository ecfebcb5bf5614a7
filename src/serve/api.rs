//! `/api/v1/`: the CLI's `--json` objects ([`crate::views`]) as JSON arrays.
//!
//! | route | objects | CLI |
//! |---|---|---|
//! | `targets` | [`crate::views::StatusLine`] | `status --json` (without its last, `pending_mail`, line) |
//! | `targets/{id}/versions` | [`crate::store::VersionMeta`] | `history ID --json` |
//! | `targets/{id}/versions/{v}` | one [`crate::store::Version`] (with `text`) | `show ID V --json` |
//! | `changes?ai=1&since=&target=&limit=` | [`crate::store::ChangeRow`] | `changes --json` |
//! | `facts` | [`crate::views::FactLine`] | `facts --json` |
//! | `outbox?limit=` | [`crate::store::Mail`] | `outbox --json` |

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::config::TargetId;
use crate::store::{ChangeQuery, VersionId};
use crate::views;

/// The most objects one listing returns.
const MAX_LIMIT: usize = 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/targets", get(targets))
        .route("/targets/{id}/versions", get(versions))
        .route("/targets/{id}/versions/{v}", get(version))
        .route("/changes", get(changes))
        .route("/facts", get(facts))
        .route("/outbox", get(outbox))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such API route") })
}

/// An error as JSON: `{"error": "..."}`.
pub fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// A read's result as JSON, or the error that stopped it.
fn reply<T: Serialize>(read: Result<Option<T>, super::ReadError>, what: &str) -> Response {
    match read {
        Ok(Some(v)) => Json(v).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, &format!("no such {what}")),
        Err(e) => {
            tracing::warn!(error = %e, "API read failed");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database could not be read; try again",
            )
        }
    }
}

/// A target of the watchlist, by an id that is one.
fn watched(state: &AppState, id: &str) -> Option<TargetId> {
    let id = TargetId::parse(id).ok()?;
    state
        .watchlist()
        .targets
        .iter()
        .any(|t| t.id == id)
        .then_some(id)
}

async fn targets(State(state): State<AppState>) -> Response {
    let wl = state.watchlist();
    let now = crate::clock::now();
    reply(
        state
            .readers
            .read(move |s| views::status_lines(&wl, s, now).map(Some))
            .await,
        "target",
    )
}

async fn versions(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(id) = watched(&state, &id) else {
        return error(StatusCode::NOT_FOUND, "no such target");
    };
    reply(
        state
            .readers
            .read(move |s| s.history(id.as_str()).map(Some))
            .await,
        "target",
    )
}

async fn version(State(state): State<AppState>, Path((id, v)): Path<(String, i64)>) -> Response {
    let Some(id) = watched(&state, &id) else {
        return error(StatusCode::NOT_FOUND, "no such target");
    };
    reply(
        state
            .readers
            .read(move |s| s.version(id.as_str(), Some(VersionId(v))))
            .await,
        "version",
    )
}

#[derive(Deserialize)]
struct ChangesAsk {
    ai: Option<String>,
    since: Option<String>,
    target: Option<String>,
    limit: Option<usize>,
}

async fn changes(State(state): State<AppState>, Query(ask): Query<ChangesAsk>) -> Response {
    let ai_only = match ask.ai.as_deref() {
        None | Some("0" | "false") => false,
        Some("1" | "true") => true,
        Some(_) => return error(StatusCode::BAD_REQUEST, "ai: use 1 or 0"),
    };
    let since = match ask.since.as_deref().map(|s| views::parse_time(s, false)) {
        Some(Err(e)) => return error(StatusCode::BAD_REQUEST, &format!("since: {e}")),
        Some(Ok(t)) => Some(crate::store::timestamp(t)),
        None => None,
    };
    let target = match ask.target.as_deref() {
        Some(t) => match watched(&state, t) {
            Some(id) => Some(id),
            None => return error(StatusCode::NOT_FOUND, "no such target"),
        },
        None => None,
    };
    let limit = ask.limit.unwrap_or(100).min(MAX_LIMIT);
    reply(
        state
            .readers
            .read(move |s| {
                s.changes(&ChangeQuery {
                    target: target.as_ref().map(TargetId::as_str),
                    ai_only,
                    since: since.as_deref(),
                    limit,
                })
                .map(Some)
            })
            .await,
        "change",
    )
}

async fn facts(State(state): State<AppState>) -> Response {
    let wl = state.watchlist();
    reply(
        state
            .readers
            .read(move |s| {
                let source = views::FactSource::new(&wl);
                let mut out = Vec::new();
                for t in wl.by_document().into_iter().filter(|t| t.kind.has_text()) {
                    let hist = views::fact_history(s, t, &source)?;
                    if let Some(last) = hist.len().checked_sub(1) {
                        out.extend(views::fact_lines(t, &hist, last));
                    }
                }
                Ok(Some(out))
            })
            .await,
        "fact",
    )
}

#[derive(Deserialize)]
struct OutboxAsk {
    limit: Option<usize>,
}

async fn outbox(State(state): State<AppState>, Query(ask): Query<OutboxAsk>) -> Response {
    let limit = ask.limit.unwrap_or(50).min(MAX_LIMIT);
    reply(
        state
            .readers
            .read(move |s| s.mail_log(limit).map(Some))
            .await,
        "notification",
    )
}
