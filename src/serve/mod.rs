//! Serve: the read-only web view, JSON API and Atom feeds (`policywatch serve`, or `run` with
//! `[http] listen`).
//!
//! The pages are the report's ([`crate::report`]), rendered per request at the same paths the
//! static report writes; the API serves the `--json` objects of the CLI ([`crate::views`]) as
//! arrays. Nothing here writes: every read goes through a `query_only` connection
//! ([`readers`]). Loopback by default; another address needs the bearer token ([`auth`]).
//! Every response carries a strict Content-Security-Policy (no script at all; the one inline
//! stylesheet allowed by its hash), `nosniff` and `frame-ancestors 'none'`; requests time out
//! and connections are bounded ([`listen`]).

mod api;
pub mod auth;
pub mod listen;
mod readers;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use sha2::Digest as _;
use tokio::sync::watch;

use crate::config::Watchlist;
use crate::report::{KEEP_UNUSED, Page, Route, RuleCache, Site};
pub use readers::{ReadError, Readers};

/// How long a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// What every request reads.
#[derive(Clone)]
pub struct AppState {
    /// The watchlist in force (replaced on SIGHUP in the daemon).
    pub wl: watch::Receiver<Arc<Watchlist>>,
    /// The database.
    pub readers: Readers,
    /// The token, when one guards the pages.
    pub auth: Option<auth::Auth>,
    /// The change pages' compiled rules, shared by requests.
    pub rules: Arc<RuleCache>,
}

impl AppState {
    /// What requests read: the watchlist in force, the database at `db`, the token if any.
    pub fn new(
        wl: watch::Receiver<Arc<Watchlist>>,
        db: std::path::PathBuf,
        auth: Option<auth::Auth>,
    ) -> Self {
        Self {
            wl,
            readers: Readers::new(db),
            auth,
            rules: Arc::default(),
        }
    }
}

/// Serves `state` on `listener` until `stop` turns true, dropping compiled rules no request
/// has needed for [`KEEP_UNUSED`].
pub async fn run(
    listener: Arc<tokio::net::TcpListener>,
    state: AppState,
    stop: watch::Receiver<bool>,
) {
    let rules = Arc::clone(&state.rules);
    let sweep = async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            rules.sweep(KEEP_UNUSED);
        }
    };
    // the accept loop ends at the stop, after draining its connections; the sweep never ends
    tokio::select! {
        () = listen::serve(listener, app(state), stop) => {}
        () = sweep => {}
    }
}

impl AppState {
    fn watchlist(&self) -> Arc<Watchlist> {
        Arc::clone(&self.wl.borrow())
    }
}

/// The Content-Security-Policy of every response: nothing may load or run but the page's own
/// inline stylesheet (by its hash), images from the site, forms posting to it.
pub fn content_security_policy() -> String {
    let hash = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(crate::report::CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The application: API, login, pages and feeds, with the security headers, the token check
/// and the request timeout.
pub fn app(state: AppState) -> Router {
    let csp = HeaderValue::from_str(&content_security_policy())
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    Router::new()
        .nest("/api/v1", api::routes())
        .route("/login", get(login_form).post(login))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .fallback(page)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::map_response(move |mut r: Response| {
            let csp = csp.clone();
            async move {
                let h = r.headers_mut();
                h.insert(header::CONTENT_SECURITY_POLICY, csp);
                h.insert(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                );
                h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
                h.insert(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                );
                r
            }
        }))
        .with_state(state)
}

/// With a token set, a request needs it (or the login's cookie); the login form is open.
async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(auth) = &state.auth else {
        return next.run(req).await;
    };
    let open = matches!(req.uri().path(), "/login" | "/favicon.ico");
    if open || auth.allows(req.headers()) {
        return next.run(req).await;
    }
    let mut r = if req.uri().path().starts_with("/api/") {
        api::error(StatusCode::UNAUTHORIZED, "a bearer token is needed")
    } else {
        (StatusCode::UNAUTHORIZED, html(login_page(""))).into_response()
    };
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"policywatch\""),
    );
    r
}

fn html(body: String) -> ([(header::HeaderName, &'static str); 1], String) {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body)
}

fn login_page(message: &str) -> String {
    let body = format!(
        "<h1>policywatch</h1><p>{}</p><form method=\"post\" action=\"/login\"><label>Access token <input type=\"password\" name=\"token\" autocomplete=\"current-password\" required></label> <button>Open</button></form>",
        html_escape::encode_text(message)
    );
    crate::report::plain_page("policywatch: sign in", &body)
}

async fn login_form() -> impl IntoResponse {
    html(login_page(
        "This view needs the access token its administrator set.",
    ))
}

#[derive(serde::Deserialize)]
struct Login {
    token: String,
}

/// The login form: the right token sets the session cookie and goes to the overview.
async fn login(State(state): State<AppState>, axum::Form(form): axum::Form<Login>) -> Response {
    match &state.auth {
        Some(auth) if auth.token_matches(form.token.trim()) => {
            let cookie = format!(
                "{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000",
                auth::COOKIE,
                auth.session()
            );
            (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, "/".to_string()),
                    (header::SET_COOKIE, cookie),
                ],
            )
                .into_response()
        }
        Some(_) => (
            StatusCode::UNAUTHORIZED,
            html(login_page("That is not the token.")),
        )
            .into_response(),
        None => (StatusCode::SEE_OTHER, [(header::LOCATION, "/".to_string())]).into_response(),
    }
}

/// A page or feed of the site, with ETag and Last-Modified; a conditional request whose copy
/// is current gets 304.
async fn page(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let Some(route) = Route::parse(uri.path()) else {
        return not_found();
    };
    let (wl, rules) = (state.watchlist(), Arc::clone(&state.rules));
    let now = crate::clock::now();
    let rendered = state
        .readers
        .read(move |store| Site::new(&wl, store, now, &rules).render(&route))
        .await;
    match rendered {
        Ok(Some(p)) => conditional(&headers, p),
        Ok(None) => not_found(),
        Err(error) => {
            tracing::warn!(%error, path = uri.path(), "page not rendered");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the database could not be read; try again",
            )
                .into_response()
        }
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        html(crate::report::plain_page(
            "policywatch: not found",
            "<h1>Not found</h1><p><a href=\"/\">Overview</a></p>",
        )),
    )
        .into_response()
}

/// The response for a rendered page: 304 when the client's copy is current.
fn conditional(headers: &HeaderMap, p: Page) -> Response {
    let etag = format!("\"{}\"", &blake3::hash(p.body.as_bytes()).to_hex()[..32]);
    let modified = p
        .modified
        .as_deref()
        .and_then(|m| chrono::DateTime::parse_from_rfc3339(m).ok())
        .map(|m| std::time::SystemTime::from(m.with_timezone(&chrono::Utc)));
    let current = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        // a weak comparison, as RFC 9110 asks for If-None-Match
        Some(tags) => tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag || t == "*"),
        None => match (
            headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok()),
            modified,
        ) {
            // HTTP dates have whole seconds
            (Some(since), Some(m)) => {
                httpdate::fmt_http_date(m) == httpdate::fmt_http_date(since) || m <= since
            }
            _ => false,
        },
    };
    let mut out: Vec<(header::HeaderName, String)> = vec![
        (header::ETAG, etag),
        (header::CACHE_CONTROL, "no-cache".into()),
    ];
    if let Some(m) = modified {
        out.push((header::LAST_MODIFIED, httpdate::fmt_http_date(m)));
    }
    let mut r = if current {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, p.content_type)], p.body).into_response()
    };
    for (name, value) in out {
        if let Ok(v) = HeaderValue::from_str(&value) {
            r.headers_mut().insert(name, v);
        }
    }
    r
}
