//! Shared test support: the LinkedIn fixtures, a fixture HTTP server on 127.0.0.1 that replays
//! them as pages changing over time, and a `TestEnv` that runs the real binary against it.

#![allow(dead_code)]

pub mod faults;
pub mod smtp;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use regex::Regex;
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The folder of real LinkedIn history: `POLICYWATCH_FIXTURES`, else `../shared/fixtures/linkedin`
/// beside the project root.
pub fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("POLICYWATCH_FIXTURES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/linkedin"),
        PathBuf::from,
    );
    assert!(
        dir.join("MANIFEST.md").is_file(),
        "the LinkedIn fixtures are absent: expected {} (with MANIFEST.md); set POLICYWATCH_FIXTURES to their folder",
        dir.display()
    );
    dir
}

/// A fixture file's text.
pub fn fixture(rel: &str) -> String {
    let path = fixtures_dir().join(rel);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// The `.md` versions of a fixture folder, oldest first (file names are dates).
pub fn versions(folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir().join(folder))
        .unwrap_or_else(|e| panic!("fixture folder {folder}: {e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".md"))
        .collect();
    names.sort();
    names.into_iter().map(|n| format!("{folder}/{n}")).collect()
}

/// The real Hindi privacy-policy page with `inner_html` put inside `#component-container`.
pub fn linkedin_page(inner_html: &str) -> String {
    let shell = fixture("privacy-policy-hi/2025-06-01T2001Z.html");
    let open = shell
        .find("<section id=\"component-container\"")
        .expect("shell has #component-container");
    let content_start = open + shell[open..].find('>').expect("tag closes") + 1;
    // find the matching </section>, counting nested sections
    let mut depth = 1;
    let mut i = content_start;
    while depth > 0 {
        let next_open = shell[i..].find("<section").map(|p| p + i);
        let next_close = shell[i..]
            .find("</section>")
            .map(|p| p + i)
            .expect("section closes");
        match next_open {
            Some(o) if o < next_close => {
                depth += 1;
                i = o + 8;
            }
            _ => {
                depth -= 1;
                i = next_close + 10;
            }
        }
    }
    let content_end = i - 10;
    format!(
        "{}{}{}",
        &shell[..content_start],
        inner_html,
        &shell[content_end..]
    )
}

/// The facts a `check-now --json` line says moved, most important first.
pub fn moved_facts(line: &serde_json::Value) -> Vec<String> {
    line["facts_changed"]
        .as_array()
        .unwrap_or_else(|| panic!("no facts_changed: {line}"))
        .iter()
        .map(|c| c["fact"].as_str().unwrap().to_string())
        .collect()
}

/// A fixture `.md` version rendered to HTML inside the real page shell.
pub fn linkedin_version(rel: &str) -> String {
    let md = fixture(rel);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&md));
    linkedin_page(&html)
}

/// What the fixture server answers for one path; change it between checks.
#[derive(Debug, Clone)]
pub struct PageState {
    pub status: u16,
    pub body: String,
    pub content_type: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Give every response fresh per-request ids, as LinkedIn does.
    pub fresh_noise: bool,
    /// Extra headers, such as `Location` for a redirect.
    pub headers: Vec<(String, String)>,
    /// Answer this late.
    pub delay: Option<std::time::Duration>,
    /// Send these bytes instead of `body` (for charsets that are not UTF-8).
    pub bytes: Option<Vec<u8>>,
}

impl Default for PageState {
    fn default() -> Self {
        Self {
            status: 200,
            body: String::new(),
            content_type: "text/html; charset=utf-8".into(),
            etag: None,
            last_modified: None,
            fresh_noise: true,
            headers: Vec::new(),
            delay: None,
            bytes: None,
        }
    }
}

/// A page served by the fixture server.
#[derive(Clone)]
pub struct Page {
    state: Arc<Mutex<PageState>>,
    requests: Arc<Mutex<Vec<Request>>>,
    counter: Arc<AtomicU64>,
}

impl Page {
    pub fn set(&self, f: impl FnOnce(&mut PageState)) {
        f(&mut self.state.lock().unwrap());
    }
    pub fn serve(&self, body: String) {
        self.set(|s| {
            s.status = 200;
            s.body = body;
        });
    }
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

static SECTION_ID: std::sync::LazyLock<Regex> =
    std::sync::LazyLock::new(|| Regex::new(r"section-\d{13}-\d+").unwrap());
static TRACKING: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
    Regex::new(r#"data-(call-tree-id|browser-id|page-instance)="[^"]*""#).unwrap()
});

impl Respond for Page {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.requests.lock().unwrap().push(req.clone());
        let s = self.state.lock().unwrap().clone();
        let header = |name: &str| {
            req.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let etag_hit = s.etag.is_some() && header("if-none-match") == s.etag;
        let lm_hit = s.last_modified.is_some() && header("if-modified-since") == s.last_modified;
        if s.status == 200 && (etag_hit || lm_hit) {
            return ResponseTemplate::new(304);
        }
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let body = if s.fresh_noise {
            let epoch = 1_748_808_101_436u64 + n * 7_919;
            let mut k = 0;
            let b = SECTION_ID.replace_all(&s.body, |_: &regex::Captures| {
                k += 1;
                format!("section-{epoch}-{}", (k * 13 + n) % 100)
            });
            TRACKING
                .replace_all(&b, |c: &regex::Captures| {
                    format!("data-{}=\"req-{n}-{epoch:x}==\"", &c[1])
                })
                .into_owned()
        } else {
            s.body.clone()
        };
        let body = s.bytes.clone().unwrap_or_else(|| body.into_bytes());
        let mut t = ResponseTemplate::new(s.status).set_body_raw(body, &s.content_type);
        if let Some(e) = &s.etag {
            t = t.insert_header("ETag", e.as_str());
        }
        if let Some(lm) = &s.last_modified {
            t = t.insert_header("Last-Modified", lm.as_str());
        }
        for (k, v) in &s.headers {
            t = t.insert_header(k.as_str(), v.as_str());
        }
        if let Some(d) = s.delay {
            t = t.set_delay(d);
        }
        t
    }
}

/// A temporary folder, a fixture server, and the real `policywatch` binary.
pub struct TestEnv {
    pub dir: TempDir,
    pub server: MockServer,
    /// Extra environment for every run of the binary.
    pub env: Mutex<Vec<(String, String)>>,
}

impl TestEnv {
    pub async fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            server: MockServer::start().await,
            env: Mutex::default(),
        }
    }

    /// Serves a page at `route`.
    pub async fn page(&self, route: &str) -> Page {
        let page = Page {
            state: Arc::new(Mutex::new(PageState::default())),
            requests: Arc::default(),
            counter: Arc::default(),
        };
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(page.clone())
            .mount(&self.server)
            .await;
        page
    }

    /// A receiver of notifications: any method on any path under `prefix`, answering 200 `{}`
    /// until told otherwise; it records every request.
    pub async fn receiver(&self, prefix: &str) -> Page {
        let page = Page {
            state: Arc::new(Mutex::new(PageState {
                body: "{}".into(),
                content_type: "application/json".into(),
                fresh_noise: false,
                ..PageState::default()
            })),
            requests: Arc::default(),
            counter: Arc::default(),
        };
        Mock::given(wiremock::matchers::path_regex(format!(
            "^{}",
            regex::escape(prefix)
        )))
        .respond_with(page.clone())
        .mount(&self.server)
        .await;
        page
    }

    pub fn url(&self, route: &str) -> String {
        format!("{}{route}", self.server.uri())
    }

    pub fn watchlist_path(&self) -> PathBuf {
        self.dir.path().join("watchlist.toml")
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("policywatch.db")
    }

    /// Writes a watchlist with fast retries and the given `[[target]]` tables.
    pub fn write_watchlist(&self, targets: &str) {
        let text = format!(
            "[defaults]\ntimeout = \"30s\"\nretries = 1\nretry_backoff = \"10ms\"\nhost_delay = \"0s\"\njitter = \"0s\"\n\n{targets}"
        );
        std::fs::write(self.watchlist_path(), text).unwrap();
    }

    /// A `[[target]]` table for a LinkedIn-shaped page at `route`.
    pub fn target(&self, id: &str, route: &str) -> String {
        format!(
            "[[target]]\nid = \"{id}\"\nurl = \"{}\"\nselect = [\"#component-container\"]\n\
             remove = [\".callout > svg\", \".expandable-section__header\", \".banner__image-container\"]\n",
            self.url(route)
        )
    }

    /// Runs the binary with this env's watchlist (the database sits beside it).
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_at("0s", args)
    }

    /// Runs the binary with its clock moved by `offset` ("1h": an hour from now), as the
    /// injected clock allows: time passes for backoffs and schedules without sleeping.
    pub fn run_at(&self, offset: &str, args: &[&str]) -> Output {
        assert_cmd::Command::cargo_bin("policywatch")
            .unwrap()
            .arg("--watchlist")
            .arg(self.watchlist_path())
            .args(args)
            .env_remove("POLICYWATCH_DB")
            .env_remove("RUST_LOG")
            .env_remove("POLICYWATCH_SMTP_PASSWORD")
            .env("POLICYWATCH_CLOCK_OFFSET", offset)
            .envs(self.env.lock().unwrap().iter().cloned())
            .output()
            .unwrap()
    }

    /// `check-now --json`: the exit code and one parsed object per target.
    pub fn check(&self, ids: &[&str]) -> (i32, Vec<serde_json::Value>) {
        let mut args = vec!["check-now", "--json"];
        args.extend_from_slice(ids);
        let out = self.run(&args);
        let stdout = String::from_utf8(out.stdout).unwrap();
        let lines = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        (out.status.code().unwrap_or(-1), lines)
    }

    /// `history TARGET --json` as parsed objects.
    pub fn history(&self, id: &str) -> Vec<serde_json::Value> {
        let out = self.run(&["history", id, "--json"]);
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub fn set_env(&self, key: &str, value: &str) {
        self.env.lock().unwrap().push((key.into(), value.into()));
    }

    pub fn stdout(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// One step of a replayed history: the pair of fixture files and what `check-now --json` said.
pub struct Step {
    pub from: String,
    pub to: String,
    pub report: serde_json::Value,
}

impl TestEnv {
    /// Serves each `.md` version of `folder` in turn at one URL, checking after each, and
    /// returns one step per adjacent pair (the first check is the baseline).
    pub async fn replay(&self, folder: &str) -> Vec<Step> {
        let route = format!("/replay/{folder}");
        let page = self.page(&route).await;
        let id = folder.replace('/', "-");
        self.write_watchlist(&self.target(&id, &route));
        let files = versions(folder);
        let mut steps = Vec::new();
        for (i, file) in files.iter().enumerate() {
            page.serve(linkedin_version(file));
            let (code, lines) = self.check(&[]);
            assert_eq!(code, 0, "{file}: {lines:?}");
            let report = lines.into_iter().next().expect("one report");
            if i == 0 {
                assert_eq!(report["status"], "new", "{file}");
            } else {
                steps.push(Step {
                    from: files[i - 1].clone(),
                    to: file.clone(),
                    report,
                });
            }
        }
        steps
    }
}

/// Polls `cond` every 100 ms until it holds (true) or `secs` pass (false).
pub async fn poll_until(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !cond() {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    true
}

/// Polls `cond` until it holds; panics with `what` after `secs`.
pub async fn wait_until(secs: u64, what: &str, cond: impl FnMut() -> bool) {
    assert!(
        poll_until(secs, cond).await,
        "timed out after {secs}s waiting for {what}"
    );
}

/// A running `policywatch run`, its stderr captured to a file.
pub struct Daemon {
    pub child: std::process::Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Like [`wait_until`], with the daemon's log in the panic message.
    pub async fn expect(&self, secs: u64, what: &str, cond: impl FnMut() -> bool) {
        if !poll_until(secs, cond).await {
            panic!(
                "timed out after {secs}s waiting for {what}; daemon log:\n{}",
                self.log()
            );
        }
    }

    pub fn signal(&self, sig: &str) {
        let status = std::process::Command::new("kill")
            .args(["-s", sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `secs`.
    pub async fn wait_exit(&mut self, secs: u64) -> std::process::ExitStatus {
        let mut status = None;
        wait_until(secs, "the daemon to exit", || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        })
        .await;
        status.unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestEnv {
    /// Starts `policywatch run` on this env's watchlist, with extra environment.
    pub fn start_daemon(&self, extra_env: &[(&str, &str)]) -> Daemon {
        let log = self
            .dir
            .path()
            .join(format!("daemon-{}.log", self.counter_next()));
        let err = std::fs::File::create(&log).unwrap();
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("policywatch"))
            .arg("--watchlist")
            .arg(self.watchlist_path())
            .arg("run")
            .env_remove("POLICYWATCH_DB")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env("RUST_LOG", "info")
            .envs(self.env.lock().unwrap().iter().cloned())
            .envs(
                extra_env
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            )
            .stdout(std::process::Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap();
        Daemon { child, log }
    }

    fn counter_next(&self) -> usize {
        static N: AtomicU64 = AtomicU64::new(0);
        N.fetch_add(1, Ordering::SeqCst) as usize
    }
}

/// Debian's chromium, headless, with its console on stderr (`:CONSOLE(` marks a message).
pub fn chromium(args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .args(["--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("chromium (Debian package chromium) is needed for the report test")
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &std::path::Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}
