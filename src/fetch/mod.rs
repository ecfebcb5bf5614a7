//! Fetch: one polite HTTP GET of a target, with conditional requests, a size cap and retries.
//!
//! The thin I/O shell in front of the pipeline. It echoes the server's own `ETag` and
//! `Last-Modified` back (a 304 is "unchanged"), streams the body and stops at `max_body` (a huge
//! body is refused, never buffered whole), and retries transient failures (timeouts, resets, 5xx,
//! 408, 429 honouring `Retry-After`) with exponential backoff. It does not decode or parse:
//! [`crate::extract`] does that. Errors say what happened in words a user can act on.

mod polite;
pub mod public;

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use url::Url;

pub use polite::HostGate;

/// How transient failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Extra attempts after the first.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the check fails now.
    pub max_retry_after: Duration,
}

/// One request to make.
#[derive(Debug, Clone, Copy)]
pub struct FetchRequest<'a> {
    /// Where.
    pub url: &'a Url,
    /// The `ETag` the server sent last time, echoed as `If-None-Match`.
    pub etag: Option<&'a str>,
    /// The `Last-Modified` the server sent last time, echoed as `If-Modified-Since`.
    pub last_modified: Option<&'a str>,
    /// Whole-request timeout, body included.
    pub timeout: Duration,
    /// Largest body accepted (after decompression).
    pub max_body: u64,
    /// `User-Agent`.
    pub user_agent: &'a str,
    /// `Accept-Language`: the language asked for (none for links from content).
    pub accept_language: Option<&'a str>,
    /// The URL came from fetched content (a feed item's link): only public addresses may be
    /// reached, on every hop.
    pub public_only: bool,
}

/// What a successful fetch brought back.
#[derive(Debug)]
pub enum Fetched {
    /// 304: the server says nothing changed since the validators we sent.
    NotModified,
    /// A 2xx page (boxed: a 304 carries nothing).
    Page(Box<Page>),
}

/// A fetched page, raw.
#[derive(Debug)]
pub struct Page {
    /// The URL after redirects.
    pub final_url: Url,
    /// `Content-Type`, if sent.
    pub content_type: Option<String>,
    /// `ETag`, if sent.
    pub etag: Option<String>,
    /// `Last-Modified`, if sent.
    pub last_modified: Option<String>,
    /// `Content-Language`, if sent.
    pub content_language: Option<String>,
    /// The body, decompressed, at most `max_body` bytes.
    pub body: Vec<u8>,
    /// The HTTP status (a 2xx).
    pub status: u16,
    /// The response's header block as received (`Name: value` lines, CRLF-ended), without the
    /// framing headers that described the compressed transfer (`Content-Encoding`,
    /// `Transfer-Encoding`, `Content-Length`): `body` is stored decoded.
    pub response_headers: String,
    /// The request as sent: its request line and header block (for WARC `request` records).
    pub request: String,
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// A non-2xx, non-304 status.
    #[error("HTTP {status}{}", retry_note(*.retry_after))]
    Status {
        /// The status code.
        status: u16,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<Duration>,
    },
    /// LinkedIn answers 999 to requests it takes for bots.
    #[error("HTTP 999: the site refused the request as automated (blocked, try a slower schedule)")]
    Blocked,
    /// Redirected to a sign-in page.
    #[error("redirected to a login wall ({0})")]
    LoginWall(String),
    /// No complete answer within the timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// Could not connect (refused, DNS, TLS handshake, certificate).
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The body exceeded the cap.
    #[error("body larger than the limit of {limit} bytes: refused")]
    TooLarge {
        /// The cap.
        limit: u64,
    },
    /// Too many redirects, a redirect loop or one to a non-http URL.
    #[error("bad redirect: {0}")]
    Redirect(String),
    /// A link from fetched content that leads to a non-public address.
    #[error("refused: {0} (links from fetched content may not reach internal networks)")]
    NotPublic(String),
    /// The connection broke while the body was read, or the body could not be decompressed.
    #[error("broken response body: {0}")]
    Body(String),
    /// Anything else reqwest reports.
    #[error("request failed: {0}")]
    Other(String),
}

fn retry_note(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |d| format!(" (retry after {}s)", d.as_secs()))
}

impl FetchError {
    /// Whether trying again soon may succeed (lychee's classification).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            Self::Timeout(_) | Self::Connect(_) | Self::Body(_) => true,
            Self::Blocked
            | Self::LoginWall(_)
            | Self::TooLarge { .. }
            | Self::Redirect(_)
            | Self::NotPublic(_)
            | Self::Other(_) => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A reusable HTTP client (connection pool, TLS config) shared by all checks.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    /// For `public_only` requests (links from fetched content).
    public: OnceLock<reqwest::Client>,
    gate: HostGate,
}

/// A client with gzip/brotli/deflate, at most 10 redirects, http(s) only; `public_only`
/// resolves names to public addresses only and refuses hops to internal IP literals.
fn client(public_only: bool) -> Result<reqwest::Client, FetchError> {
    let mut builder = reqwest::Client::builder()
        .redirect(public::redirects(10, public_only))
        .connect_timeout(public::CONNECT_TIMEOUT)
        .gzip(true)
        .brotli(true)
        .deflate(true);
    if public_only {
        // Names are resolved here, to public addresses only; a proxy would resolve them
        // itself, out of sight, so links from content never go through one.
        builder = builder
            .dns_resolver(std::sync::Arc::new(public::PublicResolver))
            .no_proxy();
    }
    builder.build().map_err(|e| FetchError::Other(chain(&e)))
}

impl Fetcher {
    /// Builds the client: rustls with certificate verification, gzip/brotli/deflate, at most
    /// 10 redirects, and `host_delay` between requests to one host.
    pub fn new(host_delay: Duration) -> Result<Self, FetchError> {
        // reqwest is built without a provider of its own; ring is the process's (an error only
        // says one is installed already).
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Self {
            client: client(false)?,
            public: OnceLock::new(),
            gate: HostGate::new(host_delay),
        })
    }

    /// The client for links from fetched content, built at its first use.
    fn public_client(&self) -> Result<&reqwest::Client, FetchError> {
        if let Some(c) = self.public.get() {
            return Ok(c);
        }
        let built = client(true)?;
        Ok(self.public.get_or_init(|| built))
    }

    /// Fetches with retries of transient failures.
    pub async fn fetch(
        &self,
        req: &FetchRequest<'_>,
        policy: &RetryPolicy,
    ) -> Result<Fetched, FetchError> {
        let mut attempt = 0u32;
        loop {
            let host = req.url.host_str().unwrap_or_default();
            match self.gate.pass(host, self.fetch_once(req)).await {
                Err(e) if e.is_transient() && attempt < policy.retries => {
                    let wait = match e.retry_after() {
                        Some(ra) if ra > policy.max_retry_after => return Err(e),
                        Some(ra) => ra,
                        None => policy.backoff.saturating_mul(2u32.saturating_pow(attempt)),
                    };
                    tracing::debug!(error = %e, attempt, ?wait, "transient failure, retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn fetch_once(&self, req: &FetchRequest<'_>) -> Result<Fetched, FetchError> {
        let client = if req.public_only {
            if let Some(why) = public::refusal(req.url) {
                return Err(FetchError::NotPublic(format!("{}: {why}", req.url)));
            }
            self.public_client()?
        } else {
            &self.client
        };
        let mut builder = client
            .get(req.url.clone())
            .timeout(req.timeout)
            .header(header::USER_AGENT, req.user_agent)
            .header(
                header::ACCEPT,
                "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            );
        if let Some(etag) = req.etag {
            builder = builder.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = req.last_modified {
            builder = builder.header(header::IF_MODIFIED_SINCE, lm);
        }
        if let Some(lang) = req.accept_language {
            builder = builder.header(header::ACCEPT_LANGUAGE, lang);
        }
        let request = builder.build().map_err(|e| classify(&e, req.timeout))?;
        let sent = request_block(&request);
        let mut resp = client
            .execute(request)
            .await
            .map_err(|e| classify(&e, req.timeout))?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if status.as_u16() == 999 {
            return Err(FetchError::Blocked);
        }
        if status.is_redirection() {
            // reqwest follows http(s) redirects itself; one it hands back goes elsewhere.
            let to = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("nowhere");
            return Err(FetchError::Redirect(format!(
                "HTTP {} to {to} not followed: only http and https are",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after: retry_after(resp.headers()),
            });
        }
        let final_url = resp.url().clone();
        if is_login_path(&final_url) {
            return Err(FetchError::LoginWall(final_url.to_string()));
        }
        if resp.content_length().is_some_and(|n| n > req.max_body) {
            return Err(FetchError::TooLarge {
                limit: req.max_body,
            });
        }
        let headers = resp.headers();
        let text_header = |name| {
            headers
                .get(name)
                .and_then(|v: &header::HeaderValue| v.to_str().ok())
                .map(String::from)
        };
        let content_type = text_header(header::CONTENT_TYPE);
        let etag = text_header(header::ETAG);
        let last_modified = text_header(header::LAST_MODIFIED);
        let content_language = text_header(header::CONTENT_LANGUAGE);
        let response_headers = header_block(headers);
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e, req.timeout))? {
            if body.len() as u64 + chunk.len() as u64 > req.max_body {
                return Err(FetchError::TooLarge {
                    limit: req.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Page(Box::new(Page {
            final_url,
            content_type,
            etag,
            last_modified,
            content_language,
            body,
            status: status.as_u16(),
            response_headers,
            request: sent,
        })))
    }
}

/// A header block (`Name: value\r\n` lines) of what the body as stored needs: the framing of
/// the compressed transfer is left out. Values that are not visible ASCII are left out too.
fn header_block(headers: &header::HeaderMap) -> String {
    let mut out = String::new();
    for (name, value) in headers {
        if [
            header::CONTENT_ENCODING,
            header::TRANSFER_ENCODING,
            header::CONTENT_LENGTH,
        ]
        .contains(name)
        {
            continue;
        }
        if let Ok(v) = value.to_str() {
            out.push_str(&format!(
                "{}: {v}\r\n",
                crate::fetch::title_case(name.as_str())
            ));
        }
    }
    out
}

/// `get` → `Get`, `content-type` → `Content-Type`: how header names are usually written.
pub fn title_case(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The request line and headers of a request about to be sent.
fn request_block(r: &reqwest::Request) -> String {
    let url = r.url();
    let mut target = url.path().to_string();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    };
    let mut out = format!("{} {target} HTTP/1.1\r\nHost: {host}\r\n", r.method());
    out.push_str(&header_block(r.headers()));
    out
}

/// Sign-in and sign-up walls that sites redirect anonymous readers to.
fn is_login_path(url: &Url) -> bool {
    let path = url.path();
    [
        "/authwall",
        "/login",
        "/uas/login",
        "/checkpoint",
        "/signup",
    ]
    .iter()
    .any(|p| path == *p || path.starts_with(&format!("{p}/")) || path.starts_with(&format!("{p}?")))
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

fn classify(e: &reqwest::Error, timeout: Duration) -> FetchError {
    let text = chain(e);
    if e.is_timeout() {
        FetchError::Timeout(timeout)
    } else if e.is_redirect() {
        FetchError::Redirect(text)
    } else if e.is_connect() {
        FetchError::Connect(text)
    } else if e.is_body() || e.is_decode() {
        FetchError::Body(text)
    } else if e.is_request() && text.contains("scheme") {
        FetchError::Redirect(text)
    } else {
        FetchError::Other(text)
    }
}

/// An error and its causes on one line: the cause (certificate, refused) is usually the part a
/// user needs.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !out.contains(&s_text) {
            out.push_str(": ");
            out.push_str(&s_text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_are_the_ones_worth_retrying() {
        let status = |s| FetchError::Status {
            status: s,
            retry_after: None,
        };
        assert!(
            status(500).is_transient() && status(503).is_transient() && status(429).is_transient()
        );
        assert!(!status(404).is_transient() && !status(410).is_transient());
        assert!(FetchError::Timeout(Duration::from_secs(1)).is_transient());
        assert!(!FetchError::Blocked.is_transient());
        assert!(!FetchError::TooLarge { limit: 1 }.is_transient());
    }

    #[test]
    fn login_paths_are_recognised() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(is_login_path(&u("https://www.linkedin.com/authwall?trk=x")));
        assert!(is_login_path(&u(
            "https://www.linkedin.com/uas/login?session_redirect=y"
        )));
        assert!(!is_login_path(&u(
            "https://www.linkedin.com/legal/privacy-policy"
        )));
        assert!(!is_login_path(&u("https://example.com/login-help-article")));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }
}
