//! HTTP faults: each one fails the check with a clear error, never changes the stored version,
//! shows in `status`, sends one incident mail after `on_failure_after` failures and one recovery
//! mail when the page is back, and the recovered page is "unchanged", not a false change.

use serde_json::Value;

use crate::common::faults::{BadTlsServer, Fault, FaultServer, refused_url};
use crate::common::{Page, PageState, TestEnv, linkedin_page, linkedin_version};

const PP: &str = "/legal/privacy-policy";
const GOOD: &str = "privacy-policy/2024-08-01.md";

fn watch(env: &TestEnv, url: &str) {
    let text = format!(
        "[defaults]\ntimeout = \"1s\"\nretries = 1\nretry_backoff = \"10ms\"\nmax_retry_after = \"3s\"\nhost_delay = \"0s\"\nmax_body = \"2MB\"\n\
         [alerts]\non_failure_after = 2\n\
         [[target]]\nid = \"pp\"\nurl = \"{url}\"\nselect = [\"#component-container\"]\n"
    );
    std::fs::write(env.watchlist_path(), text).unwrap();
}

fn mails(env: &TestEnv, kind: &str) -> usize {
    env.stdout(&["outbox", "--json"])
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).unwrap()["kind"] == kind)
        .count()
}

/// Baseline, then the fault for three checks, then recovery; returns the errors seen.
async fn fault_case(
    fault_url: Option<String>,
    set: impl Fn(&mut PageState),
    expect: &str,
) -> (Page, Vec<String>) {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version(GOOD));
    watch(&env, &env.url(PP));
    let (code, first) = env.check(&[]);
    assert_eq!((code, first[0]["status"].as_str()), (0, Some("new")));
    let good = env.stdout(&["show", "pp"]);

    match &fault_url {
        Some(url) => watch(&env, url),
        None => page.set(set),
    }
    let mut errors = Vec::new();
    for round in 1..=3 {
        let (code, lines) = env.check(&[]);
        let r = &lines[0];
        assert_eq!(
            (code, r["status"].as_str(), r["version"].clone()),
            (1, Some("failed"), Value::Null),
            "round {round}: {r}"
        );
        let error = r["error"].as_str().unwrap().to_string();
        assert!(error.contains(expect), "want {expect:?} in {error:?}");
        errors.push(error);
    }
    assert_eq!(env.history("pp").len(), 1, "no version was written");
    assert_eq!(
        env.stdout(&["show", "pp"]),
        good,
        "the last good text is intact"
    );
    let status: Vec<Value> = env
        .stdout(&["status", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(status[0]["consecutive_failures"], 3);
    assert!(status[0]["last_error"].as_str().unwrap().contains(expect));
    assert_eq!(
        mails(&env, "incident"),
        1,
        "one incident mail, after the 2nd failure"
    );

    watch(&env, &env.url(PP));
    page.set(|s| *s = PageState::default());
    page.serve(linkedin_version(GOOD));
    let (code, lines) = env.check(&[]);
    assert_eq!(
        (code, lines[0]["status"].as_str()),
        (0, Some("unchanged")),
        "no false change after recovery"
    );
    env.check(&[]);
    assert_eq!(mails(&env, "recovery"), 1, "one recovery mail");
    assert_eq!(mails(&env, "incident"), 1);
    (page, errors)
}

fn status(code: u16) -> impl Fn(&mut PageState) {
    move |s| s.status = code
}

#[tokio::test(flavor = "multi_thread")]
async fn http_5xx_is_retried_then_failed() {
    for code in [500, 502, 503] {
        let (page, _) = fault_case(None, status(code), &format!("HTTP {code}")).await;
        // baseline 1 + 3 failing checks x 2 attempts + 2 recovered checks
        assert_eq!(page.requests().len(), 1 + 3 * 2 + 2, "HTTP {code}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn http_429_honours_retry_after() {
    let started = std::time::Instant::now();
    let (page, errors) = fault_case(
        None,
        |s| {
            s.status = 429;
            s.headers = vec![("Retry-After".into(), "1".into())];
        },
        "HTTP 429 (retry after 1s)",
    )
    .await;
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(3),
        "waited Retry-After before each retry"
    );
    assert_eq!(page.requests().len(), 1 + 3 * 2 + 2);
    assert_eq!(errors.len(), 3);
    // a Retry-After beyond max_retry_after is not waited for
    let started = std::time::Instant::now();
    let (page, _) = fault_case(
        None,
        |s| {
            s.status = 429;
            s.headers = vec![("Retry-After".into(), "3600".into())];
        },
        "retry after 3600s",
    )
    .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(page.requests().len(), 1 + 3 + 2, "not retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn http_404_and_410_fail_without_retry() {
    for code in [404, 410] {
        let (page, _) = fault_case(None, status(code), &format!("HTTP {code}")).await;
        assert_eq!(
            page.requests().len(),
            1 + 3 + 2,
            "HTTP {code} is not retried"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused() {
    fault_case(Some(refused_url()), |_| {}, "cannot connect").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_times_out() {
    let server = FaultServer::start(Fault::Hang);
    fault_case(Some(server.url.clone()), |_| {}, "timed out").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_trickled_slower_than_the_timeout_times_out() {
    let server = FaultServer::start(Fault::Trickle);
    fault_case(Some(server.url.clone()), |_| {}, "timed out").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_body_fails() {
    let server = FaultServer::start(Fault::Truncated);
    fault_case(Some(server.url.clone()), |_| {}, "broken response body").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_50_mb_body_is_refused_at_the_cap() {
    let server = FaultServer::start(Fault::Endless(50 * 1024 * 1024));
    fault_case(
        Some(server.url.clone()),
        |_| {},
        "larger than the limit of 2000000 bytes",
    )
    .await;
    // and with a Content-Length that says so up front
    fault_case(
        None,
        |s| s.body = "x".repeat(3_000_000),
        "larger than the limit",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn peak_memory_stays_bounded_on_a_50_mb_body() {
    let server = FaultServer::start(Fault::Endless(50 * 1024 * 1024));
    let env = TestEnv::new().await;
    watch(&env, &server.url);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("policywatch"))
        .arg("--watchlist")
        .arg(env.watchlist_path())
        .args(["check-now", "--json"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    while child.try_wait().unwrap().is_none() {
        if let Ok(s) = std::fs::read_to_string(&status_file)
            && let Some(line) = s.lines().find(|l| l.starts_with("VmHWM:"))
        {
            peak_kb = peak_kb.max(line.split_whitespace().nth(1).unwrap().parse().unwrap());
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(peak_kb > 0);
    assert!(
        peak_kb < 64 * 1024,
        "peak RSS {peak_kb} kB while refusing a 50 MB body"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_loop_fails() {
    fault_case(
        None,
        |s| {
            s.status = 302;
            s.headers = vec![("Location".into(), PP.into())];
        },
        "bad redirect",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_a_non_http_scheme_fails() {
    fault_case(
        None,
        |s| {
            s.status = 302;
            s.headers = vec![("Location".into(), "file:///etc/passwd".into())];
        },
        "redirect",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_tls_certificate_is_refused_and_named() {
    let server = BadTlsServer::start();
    let (_, errors) = fault_case(Some(server.url.clone()), |_| {}, "certificate").await;
    assert!(
        errors[0].to_lowercase().contains("certificate"),
        "{}",
        errors[0]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_walls_999_vanished_selectors_and_empty_pages_fail() {
    let authwall = "<html><head><title>Sign Up | LinkedIn</title></head><body><main><section id=\"component-container\">\
        <h1>Join LinkedIn</h1><p>Sign in to see this page and much more on LinkedIn. Members get more.</p>\
        <form><input name=\"session_key\"><input type=\"password\" name=\"session_password\"></form></section></main></body></html>";
    fault_case(None, |s| s.body = authwall.to_string(), "login wall").await;
    fault_case(None, status(999), "999").await;
    fault_case(
        None,
        |s| s.body = linkedin_page("").replace("component-container", "gone"),
        "matched nothing",
    )
    .await;
    fault_case(
        None,
        |s| s.body = linkedin_page("<p></p><p> </p>"),
        "below the minimum",
    )
    .await;
    fault_case(None, |s| s.body = String::new(), "matched nothing").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn charsets_wrong_missing_or_invalid_never_fail_and_never_flap() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    watch(&env, &env.url(PP));
    // Latin-1 bytes, declared only in a meta tag, with no charset in the header
    let text = "<p>Politique de confidentialit\u{e9} : nous utilisons vos donn\u{e9}es pour am\u{e9}liorer nos services, y compris l'entra\u{ee}nement de mod\u{e8}les d'IA.</p>".repeat(3);
    let html = linkedin_page(&text).replacen("<head>", "<head><meta charset=\"iso-8859-1\">", 1);
    let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(&html);
    page.set(|s| {
        s.content_type = "text/html".into();
        s.bytes = Some(latin1.to_vec());
    });
    let (code, lines) = env.check(&[]);
    assert_eq!((code, lines[0]["status"].as_str()), (0, Some("new")));
    assert!(
        env.stdout(&["show", "pp"]).contains("confidentialité"),
        "decoded from the meta charset"
    );
    // a header that lies (says UTF-8) over the same bytes: the page's meta wins, nothing changed
    page.set(|s| s.content_type = "text/html; charset=utf-8".into());
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["status"], "unchanged", "{lines:?}");
    // invalid UTF-8 with no meta to fall back on: replacement characters, the same every time
    let mut broken = linkedin_page(&text).into_bytes();
    let at = broken.windows(4).position(|w| w == b"donn").unwrap();
    broken[at + 4] = 0xff;
    page.set(|s| s.bytes = Some(broken.clone()));
    let (code, lines) = env.check(&[]);
    assert_eq!(
        (code, lines[0]["status"].as_str()),
        (0, Some("changed")),
        "{lines:?}"
    );
    assert!(env.stdout(&["show", "pp"]).contains('\u{FFFD}'));
    for _ in 0..2 {
        assert_eq!(env.check(&[]).1[0]["status"], "unchanged");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_flipping_between_two_known_states_is_not_a_change_each_time() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    watch(&env, &env.url(PP));
    let a = linkedin_version("privacy-policy/2025-09-23.md");
    let b = linkedin_version("privacy-policy/2025-11-03.md");
    let mut statuses = Vec::new();
    for body in [&a, &b, &a, &b, &a, &b] {
        page.serve(body.clone());
        statuses.push(env.check(&[]).1[0]["status"].as_str().unwrap().to_string());
    }
    assert_eq!(
        statuses,
        vec![
            "new",
            "changed",
            "unchanged",
            "unchanged",
            "unchanged",
            "unchanged"
        ]
    );
    assert_eq!(env.history("pp").len(), 2);
    assert_eq!(
        mails(&env, "alert"),
        1,
        "the real change is alerted once, the flips never"
    );
    // a third, new state is a change again, diffed against what the page showed last (b)
    page.serve(linkedin_version("privacy-policy/2025-11-20.md"));
    let (_, lines) = env.check(&[]);
    assert_eq!(
        (
            lines[0]["status"].as_str(),
            lines[0]["added"].as_u64(),
            lines[0]["removed"].as_u64()
        ),
        (Some("changed"), Some(0), Some(1))
    );
}
