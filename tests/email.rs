//! Mail end to end: the real binary, the fixture server, and a real SMTP server on 127.0.0.1
//! (plain, STARTTLS with a self-signed certificate and AUTH, implicit TLS).

use serde_json::Value;

use crate::common::smtp::{self, Mode, PASSWORD, SmtpServer, USER, parse};
use crate::common::{TestEnv, linkedin_page, linkedin_version};

const PP: &str = "/legal/privacy-policy";
const TO: &str = "privacy-officer@example.com";

async fn setup(server: &SmtpServer, extra: &str) -> (TestEnv, crate::common::Page) {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    env.write_watchlist(&format!(
        "{}{}{extra}",
        env.target("pp", PP),
        server.email_toml(&[TO])
    ));
    env.set_env("POLICYWATCH_SMTP_PASSWORD", PASSWORD);
    (env, page)
}

fn outbox(env: &TestEnv) -> Vec<Value> {
    env.stdout(&["outbox", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ai_change_gives_exactly_one_alert_and_a_plain_change_none() {
    let server = SmtpServer::start(Mode::StartTls, &[]);
    let (env, page) = setup(&server, "").await;
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    env.check(&[]);
    assert!(
        server.messages().is_empty(),
        "a first version is a baseline, not an alert"
    );

    page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    let (code, lines) = env.check(&[]);
    assert_eq!((code, lines[0]["severity"].as_str()), (0, Some("high")));
    let got = server.messages();
    assert_eq!(got.len(), 1);
    let m = parse(&got[0]);
    assert_eq!(m.rcpt, TO);
    // September 2024: the policy starts saying it trains AI on members' data; the mail is
    // named by that fact, and the body opens with the summary and the fact, before → after
    assert_eq!(m.subject, "[high] pp: now trains AI models on member data");
    assert!(
        m.text.starts_with("Widened (trains_ai): pp now says members' data is used to train AI models.")
            && m.text.contains("  - trains_ai: not_stated → yes (widened) — “We may use your personal data to improve, develop, and provide products and Services, develop and train artificial intelligence (AI) models"),
        "{}",
        m.text
    );
    let moved = crate::common::moved_facts(&lines[0]);
    assert_eq!(
        moved[..2],
        ["trains_ai", "shares_public_content_with_affiliates"],
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[0]["facts_changed"][1]["to"], "yes_outside_designated_countries",
        "{}",
        lines[0]
    );
    assert!(
        lines[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("Widened (trains_ai)"),
        "{}",
        lines[0]
    );
    let version = lines[0]["version"].as_i64().unwrap();
    assert!(
        m.message_id
            .contains(&format!("alert.pp.v{version}@policywatch")),
        "{}",
        m.message_id
    );
    assert!(
        m.text
            .contains("develop and train artificial intelligence (AI) models"),
        "{}",
        m.text
    );
    assert!(m.text.contains(&format!(
        "policywatch diff pp --from {} --to {version}",
        version - 1
    )));
    assert!(
        m.html.contains("<ins>") && m.html.contains(&env.url(PP)),
        "{}",
        m.html
    );

    // unchanged, then a change that is not about AI: no more alerts
    env.check(&[]);
    page.serve(linkedin_version("privacy-policy/2025-04-22.md"));
    let (_, lines) = env.check(&[]);
    assert_eq!(
        (
            lines[0]["status"].as_str(),
            lines[0]["ai_relevant"].as_bool()
        ),
        (Some("changed"), Some(false))
    );
    assert_eq!(server.messages().len(), 1);

    // ...but the digest has both, the AI-relevant one first
    let out = env.stdout(&["digest", "--send-now"]);
    assert!(out.contains("digest queued"), "{out}");
    let got = server.messages();
    assert_eq!(got.len(), 2);
    let d = parse(&got[1]);
    assert!(
        d.subject.contains("2 changes (1 AI-relevant)"),
        "{}",
        d.subject
    );
    let ai_line = d.text.find("[AI, high]").unwrap();
    let plain_line = d.text.rfind("version ").unwrap();
    assert!(ai_line < plain_line);
    // a second digest has nothing to say and is not sent
    assert!(env.stdout(&["digest", "--send-now"]).contains("none sent"));
    assert_eq!(server.messages().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn smtp_down_keeps_the_mail_which_goes_out_once_when_smtp_returns() {
    let mut server = SmtpServer::start(Mode::StartTls, &[]);
    let (env, page) = setup(&server, "").await;
    page.serve(linkedin_version("privacy-policy/2025-09-23.md"));
    env.check(&[]);
    server.stop();
    page.serve(linkedin_version("privacy-policy/2025-11-03.md"));
    let out = env.run(&["check-now", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the check worked; only mail waits"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 pending"), "{stderr}");
    assert_eq!(env.history("pp").len(), 2, "the change is recorded");
    let rows = outbox(&env);
    assert_eq!(
        (rows.len(), rows[0]["status"].as_str()),
        (1, Some("pending"))
    );
    assert!(
        rows[0]["last_error"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1:{}", server.port))
    );

    server.restart();
    // backoff: the retry is due in 30 s; a run now leaves it, a run a minute later delivers it
    env.check(&[]);
    assert!(server.messages().is_empty(), "not before its backoff");
    env.run_at("1m", &["check-now"]);
    env.run_at("2m", &["check-now"]);
    assert_eq!(server.messages().len(), 1, "delivered exactly once");
    assert_eq!(outbox(&env)[0]["status"], "sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_names_server_and_user_not_the_password_and_keeps_the_mail() {
    let server = SmtpServer::start(Mode::StartTls, &[]);
    let (env, _page) = setup(&server, "").await;
    env.env.lock().unwrap().clear();
    env.set_env("POLICYWATCH_SMTP_PASSWORD", "wrong-horse-battery");
    let out = env.run(&["test-email"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("127.0.0.1:{}", server.port)) && stderr.contains(USER),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-horse-battery"), "{stderr}");
    assert!(server.messages().is_empty());
    let rows = outbox(&env);
    assert_eq!(rows[0]["status"], "pending");
    assert!(
        !rows[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("wrong-horse-battery")
    );
    // without any password at all: a clear error, still kept
    env.env.lock().unwrap().clear();
    let out = env.run(&["test-email"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a password"));
    assert_eq!(
        outbox(&env)
            .iter()
            .filter(|r| r["status"] == "pending")
            .count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn test_email_works_over_plain_starttls_and_implicit_tls() {
    for mode in [Mode::Plain, Mode::StartTls, Mode::Tls] {
        let server = SmtpServer::start(mode, &[]);
        let (env, _page) = setup(&server, "").await;
        let out = env.run(&["test-email"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = server.messages();
        assert_eq!(got.len(), 1);
        assert_eq!(parse(&got[0]).subject, "policywatch test message");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn incidents_are_mailed_once_and_recovery_once() {
    let server = SmtpServer::start(Mode::StartTls, &[]);
    let (env, page) = setup(&server, "\n[alerts]\non_failure_after = 2\n").await;
    page.serve(linkedin_version("privacy-policy/2025-09-23.md"));
    env.check(&[]);
    page.set(|s| s.status = 503);
    for _ in 0..4 {
        env.check(&[]);
    }
    let subjects: Vec<String> = server.messages().iter().map(|m| parse(m).subject).collect();
    assert_eq!(
        subjects,
        vec!["pp: cannot be checked (2 failures in a row)"]
    );
    page.serve(linkedin_version("privacy-policy/2025-09-23.md"));
    env.check(&[]);
    env.check(&[]);
    let subjects: Vec<String> = server.messages().iter().map(|m| parse(m).subject).collect();
    assert_eq!(subjects.len(), 2);
    assert_eq!(subjects[1], "pp: checks work again");
    let digest = env.stdout(&["digest", "--send-now"]);
    assert!(digest.contains("digest queued"));
    let d = parse(server.messages().last().unwrap());
    assert!(d.text.contains("Recovered:"), "{}", d.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_page_text_is_escaped_and_cannot_add_headers() {
    let server = SmtpServer::start(Mode::StartTls, &[]);
    let (env, page) = setup(&server, "").await;
    let base = "<h1>Privacy Policy</h1><p>We collect data you give us to run the service and keep it safe for as long as you have an account with us here.</p><p>We delete it when you close your account, except where the law requires us to keep some of it for longer.</p><p>You can ask us for a copy of your data at any time from your account settings.</p>";
    let (_, first) = {
        page.serve(linkedin_page(base));
        env.check(&[])
    };
    assert_eq!(first[0]["status"], "new", "{first:?}");
    let hostile = "<p>We train AI models on &lt;script&gt;alert(1)&lt;/script&gt; &lt;a href=\"https://evil.example\"&gt;your posts&lt;/a&gt;.\r\nBcc: victim@example.com</p>";
    page.serve(linkedin_page(&format!("{base}{hostile}")));
    env.check(&[]);
    let got = server.messages();
    assert_eq!(got.len(), 1);
    let m = parse(&got[0]);
    assert!(
        !m.html.contains("<script>") && !m.html.contains("<a href=\"https://evil"),
        "{}",
        m.html
    );
    assert!(m.html.contains("&lt;script&gt;"), "{}", m.html);
    assert!(
        !m.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("bcc")),
        "{:?}",
        m.headers
    );
    assert_eq!(m.rcpt, TO);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recipient_refused_for_good_is_shown_and_the_others_still_get_it() {
    let server = SmtpServer::start(Mode::StartTls, &["--reject-rcpt", "gone@"]);
    let env = TestEnv::new().await;
    env.page(PP).await;
    env.write_watchlist(&format!(
        "{}{}",
        env.target("pp", PP),
        server.email_toml(&[TO, "gone@example.com"])
    ));
    env.set_env("POLICYWATCH_SMTP_PASSWORD", PASSWORD);
    let out = env.run(&["test-email"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(server.messages().len(), 1);
    let rows = outbox(&env);
    let failed: Vec<&Value> = rows.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["recipient"], "gone@example.com");
    assert!(
        failed[0]["last_error"].as_str().unwrap().contains("550"),
        "{}",
        failed[0]
    );
    // failed for good: never retried
    env.run(&["check-now"]);
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_email_settings_mail_goes_to_an_eml_outbox() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    env.write_watchlist(&env.target("pp", PP));
    page.serve(linkedin_version("privacy-policy/2025-09-23.md"));
    env.check(&[]);
    page.serve(linkedin_version("privacy-policy/2025-11-03.md"));
    let out = env.run(&["check-now"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("outbox folder") && stderr.contains("1 sent"),
        "{stderr}"
    );
    let dir = env.dir.path().join("outbox");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(files.len(), 1);
    let raw = std::fs::read_to_string(files[0].path()).unwrap();
    let m = smtp::parse(&format!("X-Rcpt: -\r\n{raw}"));
    // November 2025: sharing of public content with Affiliates widens beyond the Designated
    // Countries, and personal data goes to them for their advertising
    assert_eq!(
        m.subject,
        "[high] pp: now says publicly-shared content is shared with Affiliates such as Microsoft"
    );
    assert!(
        m.text
            .contains("shares_data_with_affiliates_for_ads: not_stated → yes (widened)"),
        "{}",
        m.text
    );
    assert_eq!(outbox(&env)[0]["status"], "sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_temporary_refusal_keeps_the_mail_for_a_later_try() {
    let server = SmtpServer::start(Mode::StartTls, &["--tempfail", "1"]);
    let (env, _page) = setup(&server, "").await;
    let out = env.run(&["test-email"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("451"));
    let rows = outbox(&env);
    assert_eq!(
        (rows[0]["status"].as_str(), rows[0]["attempts"].as_i64()),
        (Some("pending"), Some(1))
    );
    env.run_at("1h", &["check-now", "--no-mail"]);
    assert!(server.messages().is_empty(), "--no-mail leaves it queued");
    env.run_at("1h", &["check-now"]);
    assert_eq!(server.messages().len(), 1);
    assert_eq!(outbox(&env)[0]["status"], "sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_dropped_in_the_middle_of_data_is_retried_and_delivered_once() {
    let server = SmtpServer::start(Mode::StartTls, &["--drop-data", "1"]);
    let (env, _page) = setup(&server, "").await;
    let out = env.run(&["test-email"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(server.messages().is_empty());
    assert_eq!(outbox(&env)[0]["status"], "pending", "{:?}", outbox(&env));
    env.run_at("1m", &["check-now"]);
    env.run_at("2m", &["check-now"]);
    assert_eq!(server.messages().len(), 1);
    assert_eq!(outbox(&env)[0]["status"], "sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_verification_is_on_and_has_no_off_switch() {
    let server = SmtpServer::start(Mode::StartTls, &[]);
    let env = TestEnv::new().await;
    env.page(PP).await;
    // the same server, without the ca_file that trusts its self-signed certificate
    let email = server
        .email_toml(&[TO])
        .lines()
        .filter(|l| !l.starts_with("ca_file"))
        .collect::<Vec<_>>()
        .join("\n");
    env.write_watchlist(&format!("{}{email}\n", env.target("pp", PP)));
    env.set_env("POLICYWATCH_SMTP_PASSWORD", PASSWORD);
    let out = env.run(&["test-email"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("certificate") || stderr.contains("unknownissuer"),
        "{stderr}"
    );
    assert!(server.messages().is_empty());
    // there is no key that turns verification off
    for key in [
        "accept_invalid_certs = true",
        "insecure = true",
        "tls_verify = false",
        "danger_accept_invalid_certs = true",
    ] {
        env.write_watchlist(&format!(
            "{}{}\n{key}\n",
            env.target("pp", PP),
            server.email_toml(&[TO])
        ));
        let out = env.run(&["validate"]);
        assert_eq!(out.status.code(), Some(2), "{key} must be refused");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("unknown field"),
            "{key}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_password_never_appears_in_logs_status_validate_or_errors() {
    let mut server = SmtpServer::start(Mode::StartTls, &[]);
    let (env, page) = setup(&server, "").await;
    let secret_file = env.dir.path().join("smtp-password");
    std::fs::write(&secret_file, format!("{PASSWORD}\n")).unwrap();
    env.env.lock().unwrap().clear();
    env.set_env("RUST_LOG", "trace");
    let text = std::fs::read_to_string(env.watchlist_path()).unwrap();
    std::fs::write(
        env.watchlist_path(),
        format!("{text}password_file = \"{}\"\n", secret_file.display()),
    )
    .unwrap();
    page.serve(linkedin_version("privacy-policy/2025-09-23.md"));
    let mut seen = String::new();
    let mut run = |args: &[&str]| {
        let out = env.run(args);
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    };
    run(&["validate"]);
    run(&["check-now"]);
    run(&["test-email"]);
    server.stop();
    page.serve(linkedin_version("privacy-policy/2025-11-03.md"));
    run(&["check-now"]);
    run(&["status"]);
    run(&["outbox"]);
    run(&["rules"]);
    assert!(
        seen.contains("mail sent") && seen.contains("pending"),
        "the runs did their work: {seen}"
    );
    assert!(!seen.contains(PASSWORD), "the password leaked:\n{seen}");
    let db = std::fs::read(env.db_path()).unwrap();
    assert!(
        !db.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()),
        "the password is in the database"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_outbox_keeps_the_event_and_the_mail_is_rendered_when_it_is_sent() {
    let server = SmtpServer::start(Mode::StartTls, &[]);
    let (env, page) = setup(&server, "").await;
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    env.run(&["check-now", "--no-mail"]);
    page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    env.run(&["check-now", "--no-mail"]);
    // what the check wrote: one event, and a row that points at it with no body of its own
    let db = rusqlite::Connection::open(env.db_path()).unwrap();
    let (kind, payload): (String, String) = db
        .query_row("SELECT kind, payload FROM event", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(kind, "alert");
    let event: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(event["event"], "page_change", "{event}");
    assert!(
        event.get("change").is_none(),
        "the diff is not stored: {event}"
    );
    let (body, event_id): (String, Option<i64>) = db
        .query_row("SELECT body_text, event_id FROM outbox", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(body.is_empty() && event_id.is_some());
    assert_eq!(
        outbox(&env)[0]["subject"],
        "[high] pp: now trains AI models on member data"
    );
    assert_eq!(
        event["plain"]["facts_changed"][0]["fact"], "trains_ai",
        "the telling is stored with the event: {event}"
    );
    // delivered: rendered from the event and the two stored versions
    env.run(&["check-now"]);
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let m = parse(&messages[0]);
    assert!(
        m.text.contains("Old version: 1") && m.text.contains("New version: 2"),
        "{}",
        m.text
    );
    assert!(
        m.text.contains("{+") || m.text.contains("+  "),
        "the diff is in the mail: {}",
        m.text
    );
}
