//! The stamper: queues a timestamp of each new chain head by every configured authority and
//! asks for the ones due, apart from the checks (a TSA that is down leaves its stamps pending,
//! retried with the outbox's backoff; it never holds a check up). `check-now` runs it once
//! after its checks; the daemon runs it as a service.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::tsa;
use crate::config::Evidence;
use crate::notify::send::backoff;
use crate::store::{SharedStore, StoreFailure};

/// How long one authority may take to answer.
pub const TSA_TIMEOUT: Duration = Duration::from_secs(30);

/// What a round of stamping did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stamped {
    /// Tokens granted and verified.
    pub granted: usize,
    /// Stamps left pending (to be retried).
    pub pending: usize,
    /// The last failure, if any.
    pub error: Option<String>,
}

/// A chain hash (hex) as its 32 bytes.
pub fn hash_bytes(hex: &str) -> Option<[u8; 32]> {
    <[u8; 32] as hex::FromHex>::from_hex(hex).ok()
}

/// The CA certificates of `[evidence] tsa_ca_file`.
pub fn cas(ev: &Evidence) -> Result<Vec<x509_certificate::CapturedX509Certificate>, String> {
    let Some(file) = &ev.tsa_ca_file else {
        return Err("[evidence] tsa_ca_file is not set".into());
    };
    let pem = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    tsa::certificates(&pem).map_err(|e| format!("{}: {e}", file.display()))
}

/// Queues stamps for new chain heads and asks for those due at `now`.
pub async fn stamp_due(
    store: &SharedStore,
    ev: &Evidence,
    now: DateTime<Utc>,
) -> Result<Stamped, StoreFailure> {
    let mut out = Stamped::default();
    if ev.tsa.is_empty() {
        return Ok(out);
    }
    let tsas = ev.tsa.clone();
    store.call(move |s| s.queue_stamps(&tsas, now)).await?;
    let due = store.call(move |s| s.due_stamps(now)).await?;
    if due.is_empty() {
        return Ok(out);
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TSA_TIMEOUT)
        .user_agent(concat!("policywatch/", env!("CARGO_PKG_VERSION")))
        .build();
    let cas = cas(ev);
    for p in due {
        let asked = match (&client, &cas, hash_bytes(&p.imprint)) {
            (Err(e), _, _) => Err(format!("cannot build the HTTP client: {e}")),
            (_, Err(e), _) => Err(e.clone()),
            (_, _, None) => Err("the chain hash is not a SHA-256".into()),
            (Ok(client), Ok(cas), Some(imprint)) => {
                ask(client, &p.tsa, &imprint, p.nonce, cas).await
            }
        };
        match asked {
            Ok((response, stamp)) => {
                store
                    .call(move |s| s.stamp_granted(p.id, &response, &stamp.token, &stamp.gen_time))
                    .await?;
                out.granted += 1;
            }
            Err(error) => {
                let next = now + backoff(p.attempts);
                tracing::warn!(tsa = %p.tsa, %error, "timestamp left pending");
                let e = error.clone();
                store.call(move |s| s.stamp_failed(p.id, &e, next)).await?;
                out.pending += 1;
                out.error = Some(error);
            }
        }
    }
    Ok(out)
}

/// One exchange with an authority: its response and the verified token.
async fn ask(
    client: &reqwest::Client,
    url: &str,
    imprint: &[u8; 32],
    nonce: u64,
    cas: &[x509_certificate::CapturedX509Certificate],
) -> Result<(Vec<u8>, tsa::Stamp), String> {
    let resp = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/timestamp-query")
        .body(tsa::request(imprint, nonce))
        .send()
        .await
        .map_err(|e| format!("{url}: cannot reach it: {}", e.without_url()))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("{url}: HTTP {}", status.as_u16()));
    }
    let body = resp.bytes().await.map_err(|e| format!("{url}: {e}"))?;
    if body.len() > 1 << 20 {
        return Err(format!(
            "{url}: a response of {} bytes is not a timestamp",
            body.len()
        ));
    }
    let stamp = tsa::check(&body, imprint, nonce, cas).map_err(|e| format!("{url}: {e}"))?;
    Ok((body.to_vec(), stamp))
}

#[cfg(test)]
mod tests {
    #[test]
    fn chain_hashes_read_back_as_bytes() {
        let h = crate::store::sha256_hex(b"abc");
        let b = super::hash_bytes(&h).unwrap();
        assert_eq!(b[0], 0xba);
        assert_eq!(super::hash_bytes("00"), None);
        assert_eq!(super::hash_bytes(&"zz".repeat(32)), None);
    }
}
