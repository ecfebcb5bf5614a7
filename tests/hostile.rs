//! Hostile input: pages, feeds, archives and local mistakes crafted to crash, stall or silence
//! policywatch. Each test reproduces one finding against the real binary on 127.0.0.1 and
//! asserts what must hold instead (docs/reliability.md, "Hostile input").

use serde_json::Value;

use crate::common::smtp::{Mode, PASSWORD, SmtpServer};
use crate::common::{TestEnv, linkedin_page, linkedin_version, wait_until};

const PP: &str = "/legal/privacy-policy";
const GOOD: &str = "privacy-policy/2024-08-01.md";
const EVERY_SECOND: &str = "schedule = \"* * * * * *\"\n";

/// A test env watching one LinkedIn-shaped page (`pp`) that serves a good version.
async fn watched_page() -> (TestEnv, crate::common::Page) {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version(GOOD));
    env.write_watchlist(&env.target("pp", PP));
    (env, page)
}

/// The same, with its first version recorded.
async fn watched_good_page() -> (TestEnv, crate::common::Page) {
    let (env, page) = watched_page().await;
    let (code, first) = env.check(&[]);
    assert_eq!((code, first[0]["status"].as_str()), (0, Some("new")));
    (env, page)
}

/// A watched page served exactly as set (no per-request ids), for pages built by a test.
async fn exact_page() -> (TestEnv, crate::common::Page) {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.set(|s| s.fresh_noise = false);
    env.write_watchlist(&env.target("pp", PP));
    (env, page)
}

/// `body` as the watched element of a page.
fn wrap(body: String) -> String {
    format!("<html><body><div id=\"component-container\">{body}</div></body></html>")
}

/// Every `.eml` in the env's file outbox, one after the other.
fn outbox_mails(env: &TestEnv) -> String {
    let mut mails = String::new();
    for e in std::fs::read_dir(env.dir.path().join("outbox")).unwrap() {
        mails.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    mails
}

/// `levels` nested `tag`s (closed or not) holding an AI-training sentence.
fn nested(tag: &str, levels: usize, closed: bool) -> String {
    let inner = "We use your posts to train generative AI models. ".repeat(10);
    let close = if closed {
        format!("</{tag}>").repeat(levels)
    } else {
        String::new()
    };
    format!("{}{inner}{close}", format!("<{tag}>").repeat(levels))
}

#[tokio::test(flavor = "multi_thread")]
async fn deep_nesting_fails_the_check_and_never_kills_the_process() {
    let (env, page) = watched_page().await;
    let (code, first) = env.check(&[]);
    assert_eq!((code, first[0]["status"].as_str()), (0, Some("new")));
    let good = env.stdout(&["show", "pp"]);

    let cases = [
        (
            "2,400 nested elements inside the selection",
            linkedin_page(&nested("div", 2_400, true)),
        ),
        (
            "unclosed tags",
            linkedin_page(&nested("span", 2_400, false)),
        ),
        (
            "30,000 levels above the selection",
            format!(
                "<html><body>{}<div id=\"component-container\"><p>{}</p></div></body></html>",
                "<div>".repeat(30_000),
                "We use your posts to train generative AI models. ".repeat(10)
            ),
        ),
    ];
    for (what, body) in cases {
        page.serve(body);
        let (code, lines) = env.check(&[]);
        let r = &lines[0];
        assert_eq!(
            (code, r["status"].as_str()),
            (1, Some("failed")),
            "{what}: {r}"
        );
        assert!(
            r["error"].as_str().unwrap().contains("levels deep"),
            "{what}: {r}"
        );
        assert_eq!(env.history("pp").len(), 1, "{what}: no version written");
        assert_eq!(
            env.stdout(&["show", "pp"]),
            good,
            "{what}: last good text intact"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deep_page_under_the_daemon_is_a_recorded_failure_and_the_others_go_on() {
    let env = TestEnv::new().await;
    let bad = env.page(PP).await;
    let good = env.page("/legal/user-agreement").await;
    bad.serve(linkedin_page(&nested("div", 5_000, true)));
    good.serve(linkedin_version("user-agreement/2025-11-04.md"));
    env.write_watchlist(&format!(
        "{}{EVERY_SECOND}{}{EVERY_SECOND}",
        env.target("bad", PP),
        env.target("ua", "/legal/user-agreement")
    ));
    let mut d = env.start_daemon(&[]);
    let status = |env: &TestEnv| -> Vec<Value> {
        env.stdout(&["status", "--json"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    d.expect(60, "two failures of the deep page, recorded", || {
        status(&env)
            .iter()
            .any(|s| s["target"] == "bad" && s["consecutive_failures"].as_u64() >= Some(2))
    })
    .await;
    let before = good.requests().len();
    d.expect(60, "the other target still checked", || {
        good.requests().len() >= before + 2
    })
    .await;
    d.signal("TERM");
    assert!(d.wait_exit(30).await.success(), "{}", d.log());
}

fn message_id(mail: &str) -> String {
    mail.lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .expect("a Message-ID")
        .to_string()
}

fn spawn_check_now(env: &TestEnv) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("policywatch"))
        .arg("--watchlist")
        .arg(env.watchlist_path())
        .args(["check-now", "--json"])
        .env_remove("POLICYWATCH_DB")
        .env("POLICYWATCH_SMTP_PASSWORD", PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_check_nows_at_once_send_each_alert_once() {
    // a relay that takes 50 ms per message: two senders overlap for the whole delivery
    let server = SmtpServer::start(Mode::StartTls, &["--data-delay", "0.05"]);
    let env = TestEnv::new().await;
    let mut pages = Vec::new();
    let mut targets = String::new();
    for i in 0..40 {
        let route = format!("/legal/doc-{i}");
        let page = env.page(&route).await;
        page.serve(linkedin_version(GOOD));
        targets.push_str(&env.target(&format!("doc-{i}"), &route));
        pages.push(page);
    }
    env.write_watchlist(&format!(
        "{targets}{}",
        server.email_toml(&["dpo@example.com"])
    ));
    assert_eq!(env.run(&["check-now", "--no-mail"]).status.code(), Some(0));
    for page in &pages {
        page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    }
    assert_eq!(env.run(&["check-now", "--no-mail"]).status.code(), Some(0));
    // 40 alerts pending; two processes deliver them at once
    let (mut a, mut b) = (spawn_check_now(&env), spawn_check_now(&env));
    a.wait().unwrap();
    b.wait().unwrap();
    let ids: Vec<String> = server.messages().iter().map(|m| message_id(m)).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 40, "one alert per changed page");
    assert_eq!(
        ids.len(),
        40,
        "no alert sent twice: {} deliveries",
        ids.len()
    );
    let outbox = env.stdout(&["outbox", "--json"]);
    assert!(
        outbox
            .lines()
            .all(|l| serde_json::from_str::<Value>(l).unwrap()["status"] == "sent"),
        "{outbox}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn follow_links_never_reaches_internal_addresses() {
    let env = TestEnv::new().await;
    let feed = env.page("/feed").await;
    feed.set(|s| {
        s.fresh_noise = false;
        s.content_type = "application/rss+xml".into();
    });
    let secret = env.page("/secret").await;
    secret.set(|s| s.fresh_noise = false);
    secret.serve("<html><body><article><p>Internal admin: we train AI models on the payroll database.</p></article></body></html>".into());
    let port = env.server.address().port();
    let item = |n: usize, link: &str| {
        format!(
            "<item><guid>i-{n}</guid><title>We train AI on your posts ({n})</title><link>{link}</link>\
             <description>We now train generative AI models on member data.</description></item>"
        )
    };
    let rss = |items: &[String]| {
        format!(
            "<rss version=\"2.0\"><channel><title>Press</title>{}</channel></rss>",
            items.concat()
        )
    };
    feed.serve(rss(&[item(0, "https://news.example.com/hello")]));
    env.write_watchlist(&format!(
        "[[target]]\nid = \"press\"\nurl = \"{}\"\nkind = \"feed\"\nfollow_links = true\n",
        env.url("/feed")
    ));
    env.check(&[]);
    let links = [
        format!("http://127.0.0.1:{port}/secret"),
        format!("http://127.0.0.2:{port}/secret"),
        format!("http://[::1]:{port}/secret"),
        format!("http://localhost:{port}/secret"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
    ];
    let items: Vec<String> = links
        .iter()
        .enumerate()
        .map(|(n, l)| item(n + 1, l))
        .collect();
    feed.serve(rss(&items));
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["ai_relevant"], true, "{}", lines[0]);
    assert_eq!(
        secret.requests().len(),
        0,
        "no internal address was fetched"
    );
    let mails = outbox_mails(&env);
    assert!(!mails.contains("payroll"), "nothing internal is quoted");
    assert!(
        mails.contains("not a public address") || mails.contains("no public address"),
        "the refusal is said: {mails}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn terminal_control_characters_from_a_page_never_reach_a_terminal_or_a_mail() {
    let (env, page) = watched_good_page().await;
    let hostile = "<p>We train AI models\u{1b}]0;owned\u{7} on your data\u{1b}[2J\u{8}\u{8}\u{9b}31m now.</p>";
    let body = linkedin_version("privacy-policy/2024-09-19.md").replacen(
        "<h2",
        &format!("{hostile}<h2"),
        1,
    );
    page.serve(body);
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["status"], "changed", "{}", lines[0]);
    let controls = |s: &str| {
        s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    };
    for args in [
        vec!["show", "pp"],
        vec!["diff", "pp"],
        vec!["history", "pp"],
    ] {
        let out = env.stdout(&args);
        assert!(
            !controls(&out),
            "{args:?} printed a control character: {out:?}"
        );
    }
    assert!(
        env.stdout(&["show", "pp"])
            .contains("We train AI models]0;owned on your data[2J31m now.")
    );
    assert!(
        !controls(&outbox_mails(&env)),
        "a mail carries a control character"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn schedules_that_never_fire_are_rejected_with_their_line() {
    let env = TestEnv::new().await;
    env.write_watchlist(&format!(
        "[digest]\nschedule = \"0 0 30 2 *\"\n\n{}schedule = \"0 0 31 2 *\"\n",
        env.target("pp", PP)
    ));
    let out = env.run(&["validate"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let text = std::fs::read_to_string(env.watchlist_path()).unwrap();
    for (schedule, what) in [("0 0 30 2 *", "digest"), ("0 0 31 2 *", "target")] {
        let line = text
            .lines()
            .position(|l| l.contains(schedule))
            .map(|i| i + 1)
            .unwrap();
        assert!(
            err.lines().any(|l| l.contains(&format!("watchlist.toml:{line}:")) && l.contains("never runs")),
            "the {what} schedule on line {line} is named: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn output_files_never_write_through_planted_symlinks_and_errors_name_the_path() {
    let (env, _page) = watched_good_page().await;
    let victim = env.dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    // report --out: index.html planted as a symlink to the victim
    let site = env.dir.path().join("site");
    std::fs::create_dir(&site).unwrap();
    std::os::unix::fs::symlink(&victim, site.join("index.html")).unwrap();
    env.stdout(&["report", "--out", site.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        std::fs::read_to_string(site.join("index.html"))
            .unwrap()
            .contains("<html")
    );
    // feed --out: the old temporary name planted as a symlink to the victim
    let atom = env.dir.path().join("OUT.atom");
    std::os::unix::fs::symlink(&victim, env.dir.path().join("OUT.atom.tmp")).unwrap();
    env.stdout(&["feed", "--out", atom.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::read_to_string(&atom).unwrap().contains("<feed"));
    // an output that cannot be written: the error names the path
    let blocked = env.dir.path().join("blocked");
    std::fs::write(&blocked, "a file, not a folder").unwrap();
    let out = env.run(&["report", "--out", blocked.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(err.contains(blocked.to_str().unwrap()), "{err}");
}

/// A watchlist with `pp` and an empty archive folder to import from.
async fn import_env() -> (TestEnv, std::path::PathBuf) {
    let env = TestEnv::new().await;
    env.write_watchlist(&env.target("pp", PP));
    let dir = env.dir.path().join("ota");
    std::fs::create_dir(&dir).unwrap();
    (env, dir)
}

fn import(env: &TestEnv, dir: &std::path::Path) -> std::process::Output {
    env.run(&[
        "import",
        "--format",
        "ota",
        dir.to_str().unwrap(),
        "--target",
        "pp",
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_html_in_an_imported_version_never_hides_the_text_after_it() {
    let (env, dir) = import_env().await;
    let body = "# Privacy Policy\n\nWe collect your profile data to run the Services.\n\n";
    std::fs::write(
        dir.join("2025-01-01.md"),
        format!("{body}We share data with Affiliates.\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("2025-02-01.md"),
        format!("{body}<!-- an unclosed comment\n\nWe use your posts to train generative AI models.\n\nWe share data with Affiliates.\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("2025-03-01.md"),
        format!("{body}</main><script>\n\nWe use your posts to train generative AI models.\n\nWe share data with Affiliates.\n\nNew: Microsoft receives your data.\n"),
    )
    .unwrap();
    let out = import(&env, &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for v in ["2", "3"] {
        let text = env.stdout(&["show", "pp", v]);
        assert!(
            text.contains("We use your posts to train generative AI models."),
            "version {v}: {text}"
        );
    }
    assert!(
        env.stdout(&["show", "pp", "3"])
            .contains("Microsoft receives your data.")
    );
    assert!(env.stdout(&["history", "pp"]).contains("AI (high)"));

    // a version whose text shrank sharply is pointed out
    std::fs::write(dir.join("2025-04-01.md"), "# Privacy Policy\n\nShort.\n").unwrap();
    let out = import(&env, &dir);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("2025-04-01.md") && said.contains("shrank"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_file_stops_the_import_before_anything_is_written_and_a_rerun_continues() {
    let (env, dir) = import_env().await;
    let version = |n: usize| format!("# Privacy Policy\n\nWe collect data, revision {n}.\n");
    std::fs::write(dir.join("2025-01-01.md"), version(1)).unwrap();
    std::fs::write(dir.join("2025-02-01.md"), version(2)).unwrap();
    std::fs::write(
        dir.join("2025-03-01.md"),
        b"# Policy\n\n\xff\xfe not UTF-8\n",
    )
    .unwrap();
    // named like versions, but not regular files: skipped, never opened
    std::fs::create_dir(dir.join("2025-04-01.md")).unwrap();
    std::os::unix::fs::symlink("2025-05-01.md", dir.join("2025-05-01.md")).unwrap();
    let fifo = dir.join("2025-06-01.md");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );

    let out = import(&env, &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("2025-03-01.md") && err.contains("UTF-8"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(
        env.history("pp").len(),
        0,
        "nothing written before the bad file"
    );

    std::fs::write(dir.join("2025-03-01.md"), version(3)).unwrap();
    let out = import(&env, &dir);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("3 versions imported"), "{said}");
    assert!(
        said.contains("not a regular file"),
        "skipped entries are named: {said}"
    );
    // a later file arrives: a re-run imports just it
    std::fs::write(dir.join("2025-07-01.md"), version(7)).unwrap();
    let said = String::from_utf8_lossy(&import(&env, &dir).stdout).into_owned();
    assert!(said.contains("1 versions imported"), "{said}");
    assert_eq!(env.history("pp").len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deeply_nested_markdown_version_is_refused_by_name_not_a_crash() {
    let (env, dir) = import_env().await;
    std::fs::write(
        dir.join("2025-01-01.md"),
        format!("{} We train AI.\n", ">".repeat(30_000)),
    )
    .unwrap();
    let out = import(&env, &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("2025-01-01.md") && err.contains("levels deep"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reordered_pages_are_moves_and_repeated_edits_are_counted_exactly() {
    let (env, page) = exact_page().await;
    // 10,000 paragraphs, then the same paragraphs in reverse: nothing was said differently
    let paras: Vec<String> = (0..10_000)
        .map(|i| format!("<p>Paragraph {i} says how we use member data.</p>"))
        .collect();
    page.serve(wrap(paras.concat()));
    env.check(&[]);
    page.serve(wrap(
        paras.iter().rev().cloned().collect::<Vec<_>>().concat(),
    ));
    let (_, lines) = env.check(&[]);
    assert_eq!(
        (lines[0]["added"].as_u64(), lines[0]["removed"].as_u64()),
        (Some(0), Some(0)),
        "{}",
        lines[0]
    );
    // table rows reversed: moves too
    let rows: Vec<String> = (0..5_000)
        .map(|i| format!("<tr><td>{i}</td><td>category {i} of data</td></tr>"))
        .collect();
    page.serve(wrap(format!("<table>{}</table>", rows.concat())));
    env.check(&[]);
    page.serve(wrap(format!(
        "<table>{}</table>",
        rows.iter().rev().cloned().collect::<Vec<_>>().concat()
    )));
    let (_, lines) = env.check(&[]);
    assert_eq!(
        (lines[0]["added"].as_u64(), lines[0]["removed"].as_u64()),
        (Some(0), Some(0)),
        "{}",
        lines[0]
    );
    // one sentence 10,000 times, then every other copy edited: 5,000 edits, no more, no less
    let s = "We may use your profile data to train generative AI models.";
    let e = "We may use your profile data to train generative AI models and share them.";
    page.serve(wrap(format!("<p>{s}</p>").repeat(10_000)));
    env.check(&[]);
    page.serve(wrap(
        (0..10_000)
            .map(|i| format!("<p>{}</p>", if i % 2 == 0 { e } else { s }))
            .collect(),
    ));
    let (_, lines) = env.check(&[]);
    assert_eq!(
        (lines[0]["added"].as_u64(), lines[0]["removed"].as_u64()),
        (Some(5_000), Some(5_000)),
        "{}",
        lines[0]
    );
    assert_eq!(lines[0]["ai_relevant"], true);
    // and the commands that render it finish
    let diff = env.stdout(&["diff", "pp"]);
    assert_eq!(diff.matches("and share them").count(), 5_000);
    let site = env.dir.path().join("site");
    env.stdout(&["report", "--out", site.to_str().unwrap()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn local_mistakes_fail_clearly_and_touch_nothing() {
    let (env, _page) = watched_page().await;
    // --db on a device: refused, and no journal created beside it
    let out = env.run(&["--db", "/dev/null", "status"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("/dev/null") && err.contains("not a regular file"),
        "{err}"
    );
    assert!(!std::path::Path::new("/dev/null-journal").exists());
    // password_file pointing at an endless file: a clear error, at once
    env.write_watchlist(&format!(
        "{}[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = 2525\nsecurity = \"none\"\nusername = \"u\"\npassword_file = \"/dev/zero\"\nfrom = \"a@example.com\"\nto = [\"b@example.com\"]\n",
        env.target("pp", PP)
    ));
    let out = env.run(&["test-email"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        err.contains("/dev/zero") && err.contains("larger than"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_to_other_schemes_are_named_not_followed() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    env.write_watchlist(&env.target("pp", PP));
    for to in ["ftp://example.com/policy", "gopher://example.com/1"] {
        page.set(|s| {
            s.status = 302;
            s.headers = vec![("Location".into(), to.into())];
        });
        let (_, lines) = env.check(&[]);
        let error = lines[0]["error"].as_str().unwrap_or_default().to_string();
        assert!(
            error.contains(to) && error.contains("not followed"),
            "{to}: {error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_that_stalls_after_ehlo_cannot_hang_check_now_and_the_mail_stays_pending() {
    let server = SmtpServer::start(Mode::StartTls, &["--stall-mail"]);
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version(GOOD));
    let email = server
        .email_toml(&["dpo@example.com"])
        .replace("timeout = \"5s\"", "timeout = \"1s\"");
    env.write_watchlist(&format!("{}{email}", env.target("pp", PP)));
    env.set_env("POLICYWATCH_SMTP_PASSWORD", PASSWORD);
    env.check(&[]);
    page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    // check-now records the change and tries to deliver its alert into the tarpit: it must
    // come back (the test would hang here before the fix), with the alert still pending
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["status"], "changed");
    let outbox = env.stdout(&["outbox", "--json"]);
    let rows: Vec<Value> = outbox
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r["status"] == "pending"),
        "{outbox}"
    );
    assert!(
        rows.iter().all(|r| r["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("no answer within"))),
        "{outbox}"
    );
    assert!(server.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_with_cpu_bound_work_in_flight_exits_within_the_bound() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.set(|s| s.fresh_noise = false);
    // 500 levels (under the bound) around 600,000 paragraphs: each start tag scans the open
    // elements, so a debug build parses this for well over the 20 s grace
    page.serve(format!(
        "<html><body><div id=\"component-container\">{}{}{}</div></body></html>",
        "<div>".repeat(500),
        "<p>Member data.</p>".repeat(600_000),
        "</div>".repeat(500)
    ));
    env.write_watchlist(&format!(
        "{}{EVERY_SECOND}max_body = \"20MB\"\n",
        env.target("pp", PP)
    ));
    let mut d = env.start_daemon(&[]);
    wait_until(45, "the page fetched", || !page.requests().is_empty()).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let asked = std::time::Instant::now();
    d.signal("TERM");
    let status = d.wait_exit(30).await;
    assert!(status.success(), "{}", d.log());
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(26),
        "grace (20 s) + at most 2 s for blocking work: {:?}",
        asked.elapsed()
    );
    assert!(d.log().contains("abandoned"), "{}", d.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_with_no_full_stops_is_one_sentence_judged_whole() {
    let (env, page) = exact_page().await;
    let words = "we use your data to train models and share it with affiliates ".repeat(5_000);
    let para = |p: String| wrap(format!("<p>{p}</p>"));
    page.serve(para(words.clone()));
    env.check(&[]);
    page.serve(para(format!("{words} and microsoft")));
    let (_, lines) = env.check(&[]);
    let r = &lines[0];
    assert_eq!(
        (r["added"].as_u64(), r["removed"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(r["ai_relevant"], true, "{r}");
    let diff = env.stdout(&["diff", "pp"]);
    assert!(
        diff.contains("**microsoft**") || diff.contains("microsoft"),
        "the diff is shown"
    );
}
