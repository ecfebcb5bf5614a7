//! `serve` and `run` with `[http]`: the real LinkedIn history imported, then every page, feed and
//! API route fetched over HTTP on 127.0.0.1; the API compared with the CLI's `--json`; the
//! pages crawled for broken links and hostile text; the token; a real browser.

use std::collections::{BTreeSet, VecDeque};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};

use crate::common::{TestEnv, chromium, fixtures_dir, linkedin_page};

/// A running `policywatch serve`, and its base URL.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(env: &TestEnv, args: &[&str]) -> Served {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("policywatch"))
        .arg("--watchlist")
        .arg(env.watchlist_path())
        .arg("serve")
        .args(args)
        .env_remove("POLICYWATCH_DB")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    Served { child, base }
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn get(c: &reqwest::Client, url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = c.get(url).send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.text().await.unwrap())
}

/// The JSON lines a command prints.
fn json_lines(env: &TestEnv, args: &[&str]) -> Vec<serde_json::Value> {
    env.stdout(args)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn api(c: &reqwest::Client, url: &str) -> Vec<serde_json::Value> {
    let (status, headers, body) = get(c, url).await;
    assert_eq!(status, 200, "{url}: {body}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    match serde_json::from_str(&body).unwrap() {
        serde_json::Value::Array(a) => a,
        one => vec![one],
    }
}

/// Enough ordinary policy text to pass the empty-page guard.
const FILLER: &str = "<p>We keep your account data safe and never sell it to anyone. You can download a copy of your data at any time from your settings, and you can close your account whenever you like. We keep records only as long as the law requires.</p><p>Questions about these terms go to our data protection officer, who answers every request within thirty days of receiving it.</p>";

const HOSTILE_NAME: &str = "Evil <script>alert(1)</script> terms";

/// pp and eu from the real LinkedIn history, and a page of our own whose text and name are
/// hostile, checked twice with a change between.
async fn history(env: &TestEnv) {
    let page = env.page("/evil").await;
    let targets = format!(
        "[[target]]\nid = \"pp\"\nname = \"LinkedIn Privacy Policy\"\nurl = \"https://www.linkedin.com/legal/privacy-policy\"\nselect = [\"#component-container\"]\nregion = \"Global\"\n\
         [[target]]\nid = \"eu\"\nname = \"LinkedIn European Regional Privacy Notice\"\nurl = \"https://www.linkedin.com/legal/privacy/eu\"\nselect = [\"#component-container\"]\nregion = \"EU, EEA, Switzerland\"\n\
         {}name = {:?}\n",
        env.target("evil", "/evil"),
        HOSTILE_NAME
    );
    env.write_watchlist(&targets);
    for (id, folder) in [("pp", "privacy-policy"), ("eu", "privacy-policy-eu")] {
        let dir = fixtures_dir().join(folder);
        env.stdout(&[
            "import",
            "--format",
            "ota",
            dir.to_str().unwrap(),
            "--target",
            id,
        ]);
    }
    page.serve(linkedin_page(&format!("<h2>Terms</h2>{FILLER}")));
    let (_, first) = env.check(&["evil"]);
    assert_eq!(first[0]["status"], "new", "{first:?}");
    page.serve(linkedin_page(&format!(
        "<h2>Terms &lt;script&gt;alert(2)&lt;/script&gt;</h2>{FILLER}\
         <p>We use your posts to train generative AI models &lt;img src=x onerror=alert(3)&gt; by default.</p>"
    )));
    let (_, lines) = env.check(&["evil"]);
    assert_eq!(lines[0]["status"], "changed", "{lines:?}");
}

/// Every page reachable from the overview: (path, body), all answered 200.
async fn crawl(c: &reqwest::Client, base: &str) -> Vec<(String, String)> {
    let root = url::Url::parse(&format!("{base}/")).unwrap();
    let mut seen = BTreeSet::from([root.to_string()]);
    let mut queue = VecDeque::from([root.clone()]);
    let mut pages = Vec::new();
    while let Some(url) = queue.pop_front() {
        let (status, headers, body) = get(c, url.as_str()).await;
        assert_eq!(status, 200, "broken link {url}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{url}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'")
                && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe"),
            "{csp}"
        );
        if headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
        {
            for href in body
                .split("href=\"")
                .skip(1)
                .map(|s| s.split('"').next().unwrap())
            {
                if href.starts_with("http") || href.starts_with('#') {
                    continue;
                }
                let next = url.join(&html_unescape(href)).unwrap();
                assert!(
                    next.as_str().starts_with(root.as_str()),
                    "{href} leaves the site"
                );
                if seen.insert(next.to_string()) {
                    queue.push_back(next);
                }
            }
        }
        pages.push((url.path().to_string(), body));
    }
    pages
}

fn html_unescape(s: &str) -> String {
    s.replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_shows_the_imported_history_as_pages_feeds_and_the_clis_json() {
    let env = TestEnv::new().await;
    history(&env).await;
    let s = serve(&env, &["--listen", "127.0.0.1:0"]);
    let c = client();

    // every page from the overview, none broken, hostile text escaped everywhere
    let pages = crawl(&c, &s.base).await;
    let paths: Vec<&str> = pages.iter().map(|(p, _)| p.as_str()).collect();
    for want in [
        "/",
        "/facts.html",
        "/outbox.html",
        "/feed.atom",
        "/feed/ai.atom",
        "/targets/pp.html",
        "/targets/eu/feed.atom",
        "/documents/eu.html",
        "/changes/evil-v",
    ] {
        assert!(
            paths.iter().any(|p| p.starts_with(want)),
            "{want} not reached: {paths:?}"
        );
    }
    assert!(pages.len() >= 25, "{} pages", pages.len());
    for (path, body) in &pages {
        for raw in ["<script", "<img"] {
            assert!(!body.contains(raw), "{raw} unescaped in {path}");
        }
    }
    let page = |p: &str| -> &str {
        &pages
            .iter()
            .find(|(path, _)| path == p)
            .unwrap_or_else(|| panic!("{p}"))
            .1
    };
    let overview = page("/");
    assert!(
        overview.contains("LinkedIn European Regional Privacy Notice")
            && overview.contains("Evil &lt;script&gt;alert(1)&lt;/script&gt; terms")
            && overview.contains("now trains generative AI on member data (legitimate interests)"),
        "{overview}"
    );
    let timeline = page("/targets/pp.html");
    let sept = timeline
        .split("<tr>")
        .find(|r| r.contains("2024-09-19"))
        .unwrap();
    assert!(
        sept.contains("AI · high") && sept.contains("now trains AI models on member data"),
        "{sept}"
    );
    let change_href = sept
        .split("href=\"../")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let change = page(&format!("/{change_href}"));
    let told = change
        .find("now says members' data is used to train AI models")
        .unwrap();
    assert!(told < change.find("What changed").unwrap() && change.contains("<mark>train</mark>"));
    assert!(page("/facts.html").contains("legitimate_interests"));
    let evil = pages
        .iter()
        .find(|(p, _)| p.starts_with("/changes/evil-v"))
        .unwrap();
    assert!(
        evil.1
            .contains("Terms &lt;script&gt;alert(2)&lt;/script&gt;")
            && page("/feed.atom").contains("Evil &lt;script&gt;alert(1)&lt;/script&gt; terms"),
        "{}",
        evil.1
    );

    // the API serves the CLI's --json objects
    let b = &s.base;
    let mut status = json_lines(&env, &["status", "--json"]);
    assert!(status.pop().unwrap().get("pending_mail").is_some());
    assert_eq!(api(&c, &format!("{b}/api/v1/targets")).await, status);
    let history = json_lines(&env, &["history", "pp", "--json"]);
    assert_eq!(
        api(&c, &format!("{b}/api/v1/targets/pp/versions")).await,
        history
    );
    let v = history[5]["id"].to_string();
    assert_eq!(
        api(&c, &format!("{b}/api/v1/targets/pp/versions/{v}")).await,
        json_lines(&env, &["show", "pp", &v, "--json"])
    );
    assert!(
        api(&c, &format!("{b}/api/v1/targets/pp/versions/{v}")).await[0]["text"]
            .as_str()
            .unwrap()
            .contains("LinkedIn")
    );
    assert_eq!(
        api(&c, &format!("{b}/api/v1/changes?ai=1")).await,
        json_lines(&env, &["changes", "--ai-only", "--json"])
    );
    let since = api(
        &c,
        &format!("{b}/api/v1/changes?since=2025-01-01&target=pp"),
    )
    .await;
    assert_eq!(
        since,
        json_lines(
            &env,
            &[
                "changes",
                "--since",
                "2025-01-01",
                "--target",
                "pp",
                "--json"
            ]
        )
    );
    assert!(
        !since.is_empty()
            && since
                .iter()
                .all(|c| c["recorded_at"].as_str().unwrap() >= "2025-01-01")
    );
    assert_eq!(
        api(&c, &format!("{b}/api/v1/facts")).await,
        json_lines(&env, &["facts", "--json"])
    );
    let outbox = json_lines(&env, &["outbox", "--json"]);
    assert!(!outbox.is_empty(), "the evil change queued mail");
    assert_eq!(api(&c, &format!("{b}/api/v1/outbox")).await, outbox);

    // bad input: no traversal, no SQL, no method but GET
    for (path, code) in [
        ("/targets/..%2f..%2fetc%2fpasswd.html", 404),
        ("/targets/nope.html", 404),
        ("/changes/pp-v999999.html", 404),
        ("/documents/../watchlist.toml", 404),
        ("/api/v1/targets/pp'%20OR%201=1--/versions", 404),
        ("/api/v1/targets/pp/versions/abc", 400),
        ("/api/v1/changes?since=yesterday", 400),
        ("/api/v1/changes?ai=maybe", 400),
        ("/api/v1/nothing", 404),
    ] {
        assert_eq!(get(&c, &format!("{b}{path}")).await.0, code, "{path}");
    }
    let post = c.post(format!("{b}/")).send().await.unwrap();
    assert_eq!(post.status().as_u16(), 405);

    // feeds: the entry ids of `feed --out`, and 304 for a current copy
    let out = env.dir.path().join("feed.atom");
    env.stdout(&["feed", "--out", out.to_str().unwrap()]);
    let ids = |xml: &str| -> Vec<String> {
        xml.split("<id>")
            .skip(2)
            .map(|s| s.split('<').next().unwrap().to_string())
            .collect()
    };
    let (_, headers, feed) = get(&c, &format!("{b}/feed.atom")).await;
    assert_eq!(ids(&feed), ids(&std::fs::read_to_string(&out).unwrap()));
    assert!(ids(&feed).contains(&"urn:policywatch:change:pp:6".to_string()));
    let pp_feed = get(&c, &format!("{b}/targets/pp/feed.atom")).await.2;
    assert!(
        ids(&pp_feed)
            .iter()
            .all(|i| i.starts_with("urn:policywatch:change:pp:"))
    );
    let etag = headers["etag"].to_str().unwrap().to_string();
    let modified = headers["last-modified"].to_str().unwrap().to_string();
    for (name, value) in [
        ("if-none-match", etag.as_str()),
        ("if-modified-since", modified.as_str()),
    ] {
        let r = c.get(format!("{b}/feed/ai.atom")).send().await.unwrap();
        let r2 = c
            .get(format!("{b}/feed/ai.atom"))
            .header(
                name,
                r.headers()[if name == "if-none-match" {
                    "etag"
                } else {
                    "last-modified"
                }]
                .clone(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r2.status().as_u16(), 304, "{name}");
        let r3 = c
            .get(format!("{b}/feed.atom"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(r3.status().as_u16(), 304, "{name}: {value}");
    }
    let stale = c
        .get(format!("{b}/feed.atom"))
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status().as_u16(), 200);

    // a check's write lock does not hold a page up (WAL)
    let conn = rusqlite::Connection::open(env.db_path()).unwrap();
    conn.execute_batch(
        "BEGIN IMMEDIATE; UPDATE target SET consecutive_failures = consecutive_failures WHERE 0;",
    )
    .unwrap();
    assert_eq!(get(&c, &format!("{b}/targets/eu.html")).await.0, 200);
    conn.execute_batch("ROLLBACK").unwrap();

    // a real browser: no console errors (a wrong style hash in the CSP would log one)
    let shots = std::env::var_os("POLICYWATCH_UPDATE_SCREENSHOTS")
        .map(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs"))
        .unwrap_or_else(|| env.dir.path().to_path_buf());
    for (name, path, size) in [
        ("serve-overview", "/".to_string(), "1200,900"),
        ("serve-change", format!("/{change_href}"), "1200,1400"),
        ("serve-facts", "/facts.html".to_string(), "1200,1100"),
        ("serve-phone", "/".to_string(), "390,844"),
    ] {
        let url = format!("{b}{path}");
        let dom = chromium(&["--dump-dom", &url]);
        let html = String::from_utf8_lossy(&dom.stdout);
        assert!(
            html.contains("<nav>"),
            "{name}: {}",
            &html[..html.len().min(300)]
        );
        let shot = shots.join(format!("{name}.png"));
        let out = chromium(&[
            &format!("--window-size={size}"),
            &format!("--screenshot={}", shot.display()),
            &url,
        ]);
        let png = std::fs::read(&shot).unwrap_or_default();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{name}: {} bytes",
            png.len()
        );
        let stderr = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&dom.stderr);
        assert!(
            !stderr.contains(":CONSOLE("),
            "{name}: console messages: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_loopback_serves_without_a_token_and_a_token_is_then_asked_for() {
    let env = TestEnv::new().await;
    let target = env.target("pp", "/pp");
    env.write_watchlist(&target);
    // another address without a token: refused at start, and in the watchlist at load
    let out = env.run(&["serve", "--listen", "0.0.0.0:0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("not a loopback address") && err.contains("token_file"),
        "{err}"
    );
    env.write_watchlist(&format!("[http]\nlisten = \"0.0.0.0:8080\"\n\n{target}"));
    let out = env.run(&["validate"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("watchlist.toml:") && err.contains("http.listen"),
        "{err}"
    );
    // a short token is refused
    let token_file = env.dir.path().join("token");
    std::fs::write(&token_file, "short\n").unwrap();
    env.write_watchlist(&format!(
        "[http]\ntoken_file = {:?}\n\n{target}",
        token_file.to_str().unwrap()
    ));
    let out = env.run(&["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shorter than 16"));

    let token = "0123456789abcdef-correct-horse";
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let s = serve(&env, &["--listen", "127.0.0.1:0"]);
    let c = client();
    let b = &s.base;
    let (status, headers, body) = get(&c, &format!("{b}/")).await;
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert!(body.contains("<form method=\"post\" action=\"/login\"") && !body.contains("pp.html"));
    let (status, _, body) = get(&c, &format!("{b}/api/v1/targets")).await;
    assert_eq!(status, 401);
    assert!(body.contains("\"error\""));
    for path in ["/", "/api/v1/targets", "/feed.atom"] {
        let r = c
            .get(format!("{b}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let r = c
            .get(format!("{b}{path}"))
            .bearer_auth("0123456789abcdef-wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path}");
    }
    // the login form: a wrong token is refused, the right one sets a strict, HttpOnly cookie
    let wrong = c
        .post(format!("{b}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("token=nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let right = c
        .post(format!("{b}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status().as_u16(), 303);
    let cookie = right.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && !cookie.contains(token)
    );
    let session = cookie.split(';').next().unwrap();
    let r = c
        .get(format!("{b}/facts.html"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn run_with_http_serves_the_checks_it_makes() {
    let env = TestEnv::new().await;
    let page = env.page("/pp").await;
    page.serve(linkedin_page(&format!("<h2>Terms</h2>{FILLER}")));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    env.write_watchlist(&format!(
        "[http]\nlisten = \"127.0.0.1:{port}\"\n\n{}schedule = \"* * * * * *\"\n",
        env.target("pp", "/pp")
    ));
    let mut daemon = env.start_daemon(&[]);
    let c = client();
    let url = format!("http://127.0.0.1:{port}/api/v1/targets");
    let mut checked = false;
    for _ in 0..150 {
        if let Ok(r) = c.get(&url).send().await
            && let Ok(v) =
                serde_json::from_str::<serde_json::Value>(&r.text().await.unwrap_or_default())
            && v[0]["last_checked_at"].is_string()
        {
            checked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        checked,
        "the daemon served its check; log:\n{}",
        daemon.log()
    );
    let (status, _, body) = get(&c, &format!("http://127.0.0.1:{port}/targets/pp.html")).await;
    assert_eq!(status, 200);
    assert!(body.contains("1 version(s)"), "{body}");
    daemon.signal("TERM");
    assert!(daemon.wait_exit(30).await.success(), "{}", daemon.log());
}
