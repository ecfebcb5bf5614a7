//! `policywatch run` as a real process: schedules, signals, the lock, crashes and sd_notify.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use crate::common::linkedin_version;
use crate::common::smtp::{Mode, PASSWORD, SmtpServer};
use crate::common::{TestEnv, wait_until};

const PP: &str = "/legal/privacy-policy";
const EVERY_SECOND: &str = "schedule = \"* * * * * *\"\n";

fn versions(env: &TestEnv, id: &str) -> usize {
    env.history(id).len()
}

fn integrity_ok(env: &TestEnv) {
    let db = rusqlite::Connection::open(env.db_path()).unwrap();
    let ok: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

/// A fixture page serving `version`, checked every second, with mail to a test SMTP server.
async fn mailing_env(version: &str) -> (SmtpServer, TestEnv, crate::common::Page) {
    let server = SmtpServer::start(Mode::StartTls, &[]);
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version(version));
    env.write_watchlist(&format!(
        "{}{EVERY_SECOND}{}",
        env.target("pp", PP),
        server.email_toml(&["dpo@example.com"])
    ));
    env.set_env("POLICYWATCH_SMTP_PASSWORD", PASSWORD);
    (server, env, page)
}

#[tokio::test(flavor = "multi_thread")]
async fn run_checks_on_schedule_records_the_change_and_mails_it() {
    let (server, env, page) = mailing_env("privacy-policy/2024-08-01.md").await;
    let mut d = env.start_daemon(&[]);
    d.expect(45, "the first version", || versions(&env, "pp") == 1)
        .await;
    page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    d.expect(45, "the change", || versions(&env, "pp") == 2)
        .await;
    d.expect(45, "the alert", || server.messages().len() == 1)
        .await;
    // it keeps checking, and nothing more is mailed for an unchanged page
    let before = page.requests().len();
    wait_until(45, "more checks", || page.requests().len() >= before + 2).await;
    assert_eq!(server.messages().len(), 1);
    let status = env.stdout(&["status"]);
    assert!(
        status.contains("pp") && status.contains("unchanged"),
        "{status}"
    );
    d.signal("TERM");
    assert!(d.wait_exit(30).await.success(), "{}", d.log());
    let log = d.log();
    assert!(
        log.contains("policywatch running") && !log.contains('\u{1b}'),
        "plain lines: {log}"
    );
    assert!(
        log.contains("target=pp") || log.contains("check{"),
        "a span per check: {log}"
    );
    integrity_ok(&env);
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_a_good_watchlist_and_keeps_the_old_one_when_broken() {
    let env = TestEnv::new().await;
    let a = env.page(PP).await;
    let b = env.page("/legal/user-agreement").await;
    a.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    b.serve(linkedin_version("user-agreement/2025-11-04.md"));
    let one = format!("{}{EVERY_SECOND}", env.target("pp", PP));
    env.write_watchlist(&one);
    let mut d = env.start_daemon(&[]);
    d.expect(45, "the first check", || versions(&env, "pp") == 1)
        .await;

    std::fs::write(env.watchlist_path(), "[[target]\nbroken").unwrap();
    d.signal("HUP");
    d.expect(45, "the reload error", || {
        d.log().contains("watchlist not reloaded")
    })
    .await;
    let before = a.requests().len();
    wait_until(45, "checks to go on", || a.requests().len() > before + 1).await;
    assert!(
        d.child.try_wait().unwrap().is_none(),
        "still running: {}",
        d.log()
    );

    env.write_watchlist(&format!(
        "{one}{}{EVERY_SECOND}",
        env.target("ua", "/legal/user-agreement")
    ));
    d.signal("HUP");
    d.expect(45, "the new target's first version", || {
        versions(&env, "ua") == 1
    })
    .await;
    assert!(d.log().contains("watchlist reloaded"));
    d.signal("INT");
    assert!(d.wait_exit(30).await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_a_check_exits_cleanly_within_the_bound() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    page.set(|s| s.delay = Some(Duration::from_secs(2)));
    env.write_watchlist(&format!("{}{EVERY_SECOND}", env.target("pp", PP)));
    let mut d = env.start_daemon(&[]);
    wait_until(45, "a request in flight", || !page.requests().is_empty()).await;
    let asked = std::time::Instant::now();
    d.signal("TERM");
    let status = d.wait_exit(30).await;
    assert!(status.success(), "{}", d.log());
    assert!(
        asked.elapsed() < Duration::from_secs(25),
        "{:?}",
        asked.elapsed()
    );
    integrity_ok(&env);
    // the in-flight check finished rather than being cut: its version is whole
    assert!(versions(&env, "pp") <= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_daemon_on_one_database_is_refused() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    env.write_watchlist(&env.target("pp", PP));
    let _first = env.start_daemon(&[]);
    wait_until(45, "the first daemon", || {
        _first.log().contains("policywatch running")
    })
    .await;
    let mut second = env.start_daemon(&[]);
    let status = second.wait_exit(20).await;
    assert_eq!(status.code(), Some(1));
    assert!(
        second.log().contains("another `policywatch run` is using"),
        "{}",
        second.log()
    );
    // the other commands still work alongside
    let (code, _) = env.check(&[]);
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_a_check_then_restart_alerts_exactly_once() {
    let (server, env, page) = mailing_env("privacy-policy/2025-09-23.md").await;
    env.check(&[]);
    page.serve(linkedin_version("privacy-policy/2025-11-03.md"));
    page.set(|s| s.delay = Some(Duration::from_millis(1500)));
    let mut d = env.start_daemon(&[]);
    let n = page.requests().len();
    wait_until(45, "a request in flight", || page.requests().len() > n).await;
    d.signal("KILL");
    d.wait_exit(10).await;
    integrity_ok(&env);
    page.set(|s| s.delay = None);
    let mut d = env.start_daemon(&[]);
    d.expect(45, "the change", || versions(&env, "pp") == 2)
        .await;
    d.expect(45, "the alert", || server.messages().len() == 1)
        .await;
    let before = page.requests().len();
    wait_until(45, "more checks", || page.requests().len() >= before + 2).await;
    assert_eq!(server.messages().len(), 1, "exactly once");
    d.signal("TERM");
    assert!(d.wait_exit(30).await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn sd_notify_ready_status_and_watchdog() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    env.write_watchlist(&format!("{}{EVERY_SECOND}", env.target("pp", PP)));
    let sock_path = env.dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut d = env.start_daemon(&[
        ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
        ("WATCHDOG_USEC", "400000"),
    ]);
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !(seen.contains("READY=1")
        && seen.contains("STATUS=last cycle")
        && seen.matches("WATCHDOG=1").count() >= 3)
    {
        assert!(std::time::Instant::now() < deadline, "saw only: {seen}");
        let n = sock.recv(&mut buf).unwrap();
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        seen.push('\n');
    }
    d.signal("TERM");
    assert!(d.wait_exit(30).await.success());
    let mut rest = String::new();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    while let Ok(n) = sock.recv(&mut buf) {
        rest.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(rest.contains("STOPPING=1"), "{rest}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tarpit_relay_never_stalls_the_daemon_and_its_mail_waits_for_the_fixed_relay() {
    // a relay that answers EHLO and never MAIL FROM; every send is bounded by 4 × 1 s
    let mut server = SmtpServer::start(Mode::StartTls, &["--stall-mail"]);
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    let to = [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
        "e@example.com",
    ];
    let email = server
        .email_toml(&to)
        .replace("timeout = \"5s\"", "timeout = \"1s\"");
    env.write_watchlist(&format!("{}{EVERY_SECOND}{email}", env.target("pp", PP)));
    env.set_env("POLICYWATCH_SMTP_PASSWORD", PASSWORD);
    assert_eq!(env.run(&["check-now", "--no-mail"]).status.code(), Some(0));
    page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    assert_eq!(env.run(&["check-now", "--no-mail"]).status.code(), Some(0));
    let pending = |env: &TestEnv| {
        env.stdout(&["outbox", "--json"])
            .lines()
            .filter(|l| l.contains("\"status\":\"pending\""))
            .count()
    };
    assert_eq!(pending(&env), 5, "five alerts queued");

    let sock_path = env.dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut d = env.start_daemon(&[
        ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
        ("WATCHDOG_USEC", "400000"),
    ]);
    // eight seconds while the courier sits in the tarpit: the watchdog is pinged every 200 ms
    // (never a gap of a second) and the page is still checked every second
    let requests_before = page.requests().len();
    let start = std::time::Instant::now();
    let mut last_ping = None::<std::time::Instant>;
    let mut widest = Duration::ZERO;
    let mut buf = [0u8; 4096];
    while start.elapsed() < Duration::from_secs(8) {
        let n = sock.recv(&mut buf).expect("sd_notify messages keep coming");
        if String::from_utf8_lossy(&buf[..n]).contains("WATCHDOG=1") {
            let now = std::time::Instant::now();
            if let Some(last) = last_ping {
                widest = widest.max(now - last);
            }
            last_ping = Some(now);
        }
    }
    assert!(last_ping.is_some(), "no watchdog ping at all: {}", d.log());
    // (2 s: a loop held by the relay would go quiet for 4 s a message; the margin is for a
    // machine busy with other tests)
    assert!(
        widest < Duration::from_secs(2),
        "the watchdog went quiet for {widest:?}"
    );
    assert!(
        page.requests().len() >= requests_before + 4,
        "checks kept their schedule: {} requests",
        page.requests().len() - requests_before
    );
    assert!(d.log().contains("no answer within"), "{}", d.log());
    let asked = std::time::Instant::now();
    d.signal("TERM");
    assert!(d.wait_exit(30).await.success(), "{}", d.log());
    assert!(
        asked.elapsed() < Duration::from_secs(22),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(pending(&env), 5, "every message still pending");
    assert!(server.messages().is_empty());

    // the relay is fixed: retry-now, then check-now, deliver each message exactly once
    server.restart();
    env.stdout(&["outbox", "--retry-now"]);
    env.run(&["check-now"]);
    let messages = server.messages();
    let mut rcpts: Vec<&str> = messages
        .iter()
        .filter_map(|m| m.lines().next()?.strip_prefix("X-Rcpt: "))
        .collect();
    rcpts.sort_unstable();
    assert_eq!(rcpts, to, "each recipient once");
    assert_eq!(pending(&env), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_digest_comes_due_on_the_injected_clock_and_is_delivered() {
    use chrono::Timelike;
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    env.write_watchlist(&format!(
        "[digest]\nschedule = \"*/5 * * * *\"\nsend_empty = true\n\n{}{EVERY_SECOND}",
        env.target("pp", PP)
    ));
    // the daemon's clock reads five seconds before the next five-minute mark: the digest is due
    // in five seconds, not in up to five minutes (and sent even if the first check is late)
    let now = chrono::Utc::now();
    let into = i64::from((now.minute() % 5) * 60 + now.second());
    let offset = format!("{}s", 300 - into - 5);
    let mut d = env.start_daemon(&[("POLICYWATCH_CLOCK_OFFSET", offset.as_str())]);
    let digests = |env: &TestEnv| {
        env.stdout(&["outbox", "--json"])
            .lines()
            .filter(|l| l.contains("\"kind\":\"digest\"") && l.contains("\"status\":\"sent\""))
            .count()
    };
    d.expect(30, "the digest, queued and delivered", || {
        digests(&env) == 1
    })
    .await;
    assert!(d.log().contains("digest queued"), "{}", d.log());
    d.signal("TERM");
    assert!(d.wait_exit(30).await.success(), "{}", d.log());
    assert_eq!(digests(&env), 1, "one digest for one tick");
}
