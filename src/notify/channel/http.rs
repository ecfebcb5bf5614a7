//! The I/O shell of the chat and webhook channels: one HTTP request per outbox row, its answer
//! sorted into sent, retry later (408, 429 with its `Retry-After`, 5xx, timeouts, resets) and
//! failed for good (any other 4xx, a redirect). Secrets are read here, at delivery, and never
//! appear in an error: errors name the channel, not its URL.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode, header};
use sha2::Sha256;

use super::notice::Notice;
use super::payload;
use crate::config::{Channel, ChannelKind};

/// Why a delivery did not go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try, not before `after` when the receiver said so.
    Retry {
        /// What happened.
        error: String,
        /// The receiver's `Retry-After`.
        after: Option<Duration>,
    },
    /// Refused for good.
    Permanent(String),
}

/// The HMAC-SHA256 of `body` with `secret`, as `sha256=<hex>`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // Invariant: HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .unwrap_or_else(|e| unreachable!("HMAC key of any length: {e}"));
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// A Matrix transaction id from the event's id: the same on every retry, so the homeserver
/// never posts it twice.
pub fn txn_id(id: &str, channel: &str) -> String {
    format!("{id}.{channel}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Sends notices to channels.
pub struct Sender {
    client: reqwest::Client,
}

impl Sender {
    /// A client that follows no redirect (a receiver that moves is refused, not chased).
    pub fn new() -> Result<Self, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("policywatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { client })
    }

    /// Delivers one notice (`id`: the event's stable id) to one channel, within its timeout.
    pub async fn send(
        &self,
        c: &Channel,
        n: &Notice,
        id: &str,
        now: &str,
    ) -> Result<String, Failure> {
        let setup = |e: String| Failure::Retry {
            error: e,
            after: None,
        };
        let (method, url, body, mut headers) = match &c.kind {
            ChannelKind::Webhook { url, secret } => {
                let key = secret.read("webhook secret").map_err(setup)?;
                let body = serde_json::to_vec(&payload::webhook(n, id, now)).unwrap_or_default();
                let sig = signature(key.as_bytes(), &body);
                (
                    Method::POST,
                    url.to_string(),
                    body,
                    vec![("X-Policywatch-Signature", sig)],
                )
            }
            ChannelKind::Slack { url } => {
                let url = url.read("Slack webhook URL").map_err(setup)?;
                (Method::POST, url, json(&payload::slack(n)), Vec::new())
            }
            ChannelKind::Teams { url } => {
                let url = url.read("Teams webhook URL").map_err(setup)?;
                (Method::POST, url, json(&payload::teams(n)), Vec::new())
            }
            ChannelKind::Matrix {
                homeserver,
                room_id,
                token,
            } => {
                let token = token.read("Matrix access token").map_err(setup)?;
                let room: String =
                    url::form_urlencoded::byte_serialize(room_id.as_bytes()).collect();
                let url = format!(
                    "{}/_matrix/client/v3/rooms/{room}/send/m.room.message/{}",
                    homeserver.as_str().trim_end_matches('/'),
                    txn_id(id, &c.id)
                );
                (
                    Method::PUT,
                    url,
                    json(&payload::matrix(n)),
                    vec![("Authorization", format!("Bearer {token}"))],
                )
            }
            ChannelKind::Ntfy {
                server,
                topic,
                token,
            } => {
                let mut headers = Vec::new();
                if let Some(t) = token {
                    let t = t.read("ntfy token").map_err(setup)?;
                    headers.push(("Authorization", format!("Bearer {t}")));
                }
                (
                    Method::POST,
                    server.to_string(),
                    json(&payload::ntfy(n, topic)),
                    headers,
                )
            }
            ChannelKind::Email { .. } => {
                return Err(Failure::Permanent(
                    "an email channel is sent as mail".into(),
                ));
            }
        };
        headers.push(("Idempotency-Key", id.to_string()));
        let mut req = self
            .client
            .request(method, &url)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let bound = humantime::format_duration(c.timeout);
        let response = match tokio::time::timeout(c.timeout, req.send()).await {
            Err(_) => {
                return Err(Failure::Retry {
                    error: format!("no answer within {bound}"),
                    after: None,
                });
            }
            Ok(Err(e)) => {
                return Err(Failure::Retry {
                    error: format!("cannot reach it: {}", chain(&e.without_url())),
                    after: None,
                });
            }
            Ok(Ok(r)) => r,
        };
        classify(response).await
    }
}

fn json(v: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Sent, retry (with the receiver's `Retry-After`) or failed for good.
async fn classify(response: reqwest::Response) -> Result<String, Failure> {
    let status = response.status();
    if status.is_success() {
        return Ok(format!("HTTP {}", status.as_u16()));
    }
    let after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(retry_after);
    // a few bytes of the answer say why; never more
    let body = response.text().await.unwrap_or_default();
    let why: String = crate::extract::visible(body.trim())
        .chars()
        .take(200)
        .collect();
    let error = format!(
        "HTTP {}{}",
        status.as_u16(),
        if why.is_empty() {
            String::new()
        } else {
            format!(": {why}")
        }
    );
    if status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
    {
        Err(Failure::Retry { error, after })
    } else {
        Err(Failure::Permanent(error))
    }
}

/// `Retry-After`: seconds, or an HTTP date.
fn retry_after(v: &str) -> Option<Duration> {
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v.trim()).ok()?;
    (at.with_timezone(&chrono::Utc) - crate::clock::now())
        .to_std()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after("soon"), None);
    }

    #[test]
    fn a_transaction_id_is_stable_and_path_safe() {
        assert_eq!(
            txn_id("alert.pp.v12@policywatch", "room"),
            "alert.pp.v12_policywatch.room"
        );
    }
}
