//! The accept loop: hyper's HTTP/1.1 server on each connection, at most
//! [`MAX_CONNECTIONS`] at once (further clients wait in the kernel's backlog), headers read
//! within [`HEADER_TIMEOUT`] (a client that trickles them is dropped), and no connection kept
//! beyond [`CONNECTION_LIFETIME`] (it is closed gracefully after its current response).

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 64;
/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one connection (keep-alive included) is served.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);

/// Serves `app` on `listener` until `stop` turns true; connections in flight then get a
/// second to finish.
pub async fn serve(listener: Arc<TcpListener>, app: axum::Router, mut stop: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(64 * 1024);
    loop {
        // a free slot first: a client beyond the bound waits in the backlog, costing nothing
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => p,
            _ = stop.wait_for(|s| *s) => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(error) => {
                // out of file descriptors, a reset before accept: wait a moment, go on
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(app.clone());
        let http = http.clone();
        connections.spawn(async move {
            let _permit = permit;
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                done = conn.as_mut() => {
                    if let Err(error) = done {
                        tracing::debug!(%peer, %error, "connection ended");
                    }
                }
                () = tokio::time::sleep(CONNECTION_LIFETIME) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                }
            }
        });
        // reap finished connections so the set stays small
        while connections.try_join_next().is_some() {}
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
}
