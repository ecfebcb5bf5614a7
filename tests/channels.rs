//! Channels against real HTTP receivers on 127.0.0.1: a signed webhook, Slack, Teams, Matrix
//! and ntfy, delivered from the outbox exactly once, retried, failed for good, timed out.

use serde_json::Value;

use crate::common::{Page, TestEnv, linkedin_version};

const PP: &str = "/legal/privacy-policy";
const SECRET: &str = "webhook-secret-7f3a";
const TOKEN: &str = "matrix-token-91bc";

struct Receivers {
    hook: Page,
    slack: Page,
    teams: Page,
    matrix: Page,
    ntfy: Page,
}

/// A watchlist with the page and one channel of each kind, each secret in a file or variable.
async fn setup(webhook_timeout: &str) -> (TestEnv, Page, Receivers) {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    let r = Receivers {
        hook: env.receiver("/hook").await,
        slack: env.receiver("/slack").await,
        teams: env.receiver("/teams").await,
        matrix: env.receiver("/_matrix/").await,
        ntfy: env.receiver("/ntfy").await,
    };
    let dir = env.dir.path();
    std::fs::write(dir.join("hook.secret"), format!("{SECRET}\n")).unwrap();
    std::fs::write(dir.join("slack.url"), env.url("/slack/T000/B000/XXXX")).unwrap();
    std::fs::write(dir.join("matrix.token"), TOKEN).unwrap();
    env.set_env("TEAMS_URL", &env.url("/teams/workflow"));
    env.write_watchlist(&format!(
        "{target}\n[[channel]]\nid = \"hook\"\nkind = \"webhook\"\nurl = \"{hook}\"\nsecret_file = \"{d}/hook.secret\"\ntimeout = \"{webhook_timeout}\"\n\
         [[channel]]\nid = \"slack\"\nkind = \"slack\"\nurl_file = \"{d}/slack.url\"\ntimeout = \"2s\"\n\
         [[channel]]\nid = \"teams\"\nkind = \"teams\"\nurl_env = \"TEAMS_URL\"\ntimeout = \"2s\"\n\
         [[channel]]\nid = \"matrix\"\nkind = \"matrix\"\nhomeserver = \"{base}\"\nroom_id = \"!privacy:example.org\"\naccess_token_file = \"{d}/matrix.token\"\ntimeout = \"2s\"\n\
         [[channel]]\nid = \"ntfy\"\nkind = \"ntfy\"\nserver = \"{ntfy}\"\ntopic = \"privacy\"\ntimeout = \"2s\"\n",
        target = env.target("pp", PP),
        hook = env.url("/hook"),
        d = dir.display(),
        base = env.url(""),
        ntfy = env.url("/ntfy"),
    ));
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    let (code, _) = env.check(&[]);
    assert_eq!(code, 0);
    (env, page, r)
}

fn body(r: &wiremock::Request) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn header<'a>(r: &'a wiremock::Request, name: &str) -> &'a str {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_ai_change_gives_one_request_per_channel_of_the_documented_shape() {
    let (env, page, r) = setup("2s").await;
    for p in [&r.hook, &r.slack, &r.teams, &r.matrix, &r.ntfy] {
        assert!(p.requests().is_empty(), "a first version is a baseline");
    }
    page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    env.set_env("RUST_LOG", "trace");
    let out = env.run(&["check-now", "--json"]);
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(log.contains("notification sent"), "{log}");

    let hook = r.hook.requests();
    assert_eq!(hook.len(), 1);
    let h = &hook[0];
    assert_eq!(h.method.as_str(), "POST");
    assert_eq!(header(h, "content-type"), "application/json");
    let sig = header(h, "x-policywatch-signature");
    assert_eq!(sig, policywatch_signature(SECRET, &h.body));
    assert_ne!(sig, policywatch_signature("another secret", &h.body));
    let doc = body(h);
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["event"], "alert");
    assert_eq!(doc["target"], "pp");
    assert_eq!(doc["severity"], "high");
    assert_eq!(doc["ai_relevant"], true);
    assert_eq!(doc["id"].as_str().unwrap(), header(h, "idempotency-key"));
    assert!(doc["sent_at"].as_str().unwrap().starts_with("20"));
    assert_eq!(doc["facts_changed"][0]["fact"], "trains_ai");
    assert!(
        doc["summary"]
            .as_str()
            .unwrap()
            .starts_with("Widened (trains_ai)")
    );
    assert!(
        doc["diff_command"]
            .as_str()
            .unwrap()
            .starts_with("policywatch diff pp --from ")
    );
    assert!(!doc["sentences"].as_array().unwrap().is_empty());

    let slack = r.slack.requests();
    assert_eq!(slack.len(), 1);
    assert_eq!(slack[0].url.path(), "/slack/T000/B000/XXXX");
    let s = body(&slack[0]);
    assert_eq!(s["blocks"][0]["type"], "header");
    assert!(s["text"].as_str().unwrap().contains("now trains AI models"));

    let teams = r.teams.requests();
    assert_eq!(teams.len(), 1);
    let t = body(&teams[0]);
    assert_eq!(
        t["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(t["attachments"][0]["content"]["type"], "AdaptiveCard");

    let matrix = r.matrix.requests();
    assert_eq!(matrix.len(), 1);
    let m = &matrix[0];
    assert_eq!(m.method.as_str(), "PUT");
    assert!(
        m.url
            .path()
            .starts_with("/_matrix/client/v3/rooms/%21privacy%3Aexample.org/send/m.room.message/"),
        "{}",
        m.url
    );
    assert_eq!(header(m, "authorization"), format!("Bearer {TOKEN}"));
    let mb = body(m);
    assert_eq!(mb["msgtype"], "m.text");
    assert_eq!(mb["format"], "org.matrix.custom.html");

    let ntfy = r.ntfy.requests();
    assert_eq!(ntfy.len(), 1);
    let n = body(&ntfy[0]);
    assert_eq!(
        (n["topic"].as_str(), n["priority"].as_i64()),
        (Some("privacy"), Some(5))
    );
    assert_eq!(n["click"], env.url(PP));

    // an unchanged page, another run: nothing more
    env.check(&[]);
    for p in [&r.hook, &r.slack, &r.teams, &r.matrix, &r.ntfy] {
        assert_eq!(p.requests().len(), 1);
    }
    // no secret in the outbox listing, status, or the database
    let shown = format!(
        "{log}{}{}",
        env.stdout(&["outbox", "--json"]),
        env.stdout(&["status"])
    );
    let db = std::fs::read(env.db_path()).unwrap();
    for secret in [SECRET, TOKEN, "XXXX", "workflow"] {
        assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
        assert!(
            !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} stored"
        );
    }
}

fn policywatch_signature(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

fn rows(env: &TestEnv) -> Vec<Value> {
    env.stdout(&["outbox", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn row<'a>(rows: &'a [Value], channel: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["channel"] == channel)
        .unwrap_or_else(|| panic!("no row for {channel}: {rows:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_down_then_up_gets_it_once_and_a_400_is_failed_for_good() {
    let (env, page, r) = setup("2s").await;
    r.hook.set(|s| s.status = 503);
    r.slack.set(|s| {
        s.status = 400;
        s.body = "invalid_payload".into();
    });
    r.ntfy.set(|s| {
        s.status = 429;
        s.headers = vec![("Retry-After".into(), "3600".into())];
    });
    page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    env.check(&[]);
    let all = rows(&env);
    let hook = row(&all, "hook");
    assert_eq!(
        (hook["status"].as_str(), hook["attempts"].as_i64()),
        (Some("pending"), Some(1))
    );
    assert!(
        hook["last_error"].as_str().unwrap().contains("HTTP 503"),
        "{hook}"
    );
    let slack = row(&all, "slack");
    assert_eq!(slack["status"], "failed");
    assert!(
        slack["last_error"]
            .as_str()
            .unwrap()
            .contains("HTTP 400: invalid_payload"),
        "{slack}"
    );
    // the listing shows it for people too
    assert!(env.stdout(&["outbox"]).contains("HTTP 400"));
    assert_eq!(row(&all, "teams")["status"], "sent");
    // a 429 waits as long as the receiver asked (an hour), not the first backoff (30 s)
    let db = rusqlite::Connection::open(env.db_path()).unwrap();
    let wait: f64 = db
        .query_row(
            "SELECT (julianday(next_attempt_at) - julianday(created_at)) * 86400 FROM outbox WHERE channel = 'ntfy'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!((3500.0..3700.0).contains(&wait), "waits {wait} s");

    // the receiver is back: retried at once on request, delivered once, same idempotency key
    r.hook.set(|s| s.status = 200);
    r.ntfy.set(|s| s.status = 200);
    env.run(&["outbox", "--retry-now"]);
    let hook_requests = r.hook.requests();
    assert_eq!(hook_requests.len(), 2, "one refused try, one delivery");
    assert_eq!(
        header(&hook_requests[0], "idempotency-key"),
        header(&hook_requests[1], "idempotency-key")
    );
    assert_eq!(row(&rows(&env), "hook")["status"], "sent");
    env.run(&["outbox", "--retry-now"]);
    env.check(&[]);
    assert_eq!(r.hook.requests().len(), 2, "never again once sent");
    assert_eq!(r.slack.requests().len(), 1, "a 400 is not retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_that_never_answers_times_out_without_holding_up_the_others() {
    let (env, page, r) = setup("1s").await;
    r.hook
        .set(|s| s.delay = Some(std::time::Duration::from_secs(60)));
    page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    let started = std::time::Instant::now();
    env.check(&[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    for p in [&r.slack, &r.teams, &r.matrix, &r.ntfy] {
        assert_eq!(p.requests().len(), 1);
    }
    let all = rows(&env);
    let hook = row(&all, "hook");
    assert_eq!(hook["status"], "pending");
    assert!(
        hook["last_error"]
            .as_str()
            .unwrap()
            .contains("no answer within 1s"),
        "{hook}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_delivery_repeats_it_at_most_once_with_the_same_key() {
    let (env, page, r) = setup("3s").await;
    page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    env.run(&["check-now", "--no-mail"]);
    assert!(r.hook.requests().is_empty());
    r.hook
        .set(|s| s.delay = Some(std::time::Duration::from_secs(2)));
    let mut daemon = env.start_daemon(&[]);
    daemon
        .expect(20, "the webhook to be called", || {
            !r.hook.requests().is_empty()
        })
        .await;
    daemon.signal("KILL");
    daemon.wait_exit(10).await;
    r.hook.set(|s| s.delay = None);
    // the dead sender's claim lapses; a later delivery sends it again, once
    env.run_at("10m", &["check-now"]);
    env.run_at("20m", &["check-now"]);
    let got = r.hook.requests();
    assert!((1..=2).contains(&got.len()), "{} requests", got.len());
    let keys: Vec<&str> = got.iter().map(|q| header(q, "idempotency-key")).collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    assert_eq!(row(&rows(&env), "hook")["status"], "sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn test_notify_reports_each_channel() {
    let (env, _page, r) = setup("2s").await;
    r.hook.set(|s| s.status = 503);
    let out = env.run(&["test-notify"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    for line in [
        "slack: sent",
        "teams: sent",
        "matrix: sent",
        "ntfy: sent",
        "email policywatch",
    ] {
        assert!(said.contains(line), "{line}:\n{said}");
    }
    assert!(
        said.contains("hook: pending: webhook hook: HTTP 503"),
        "{said}"
    );
    assert_eq!(body(&r.ntfy.requests()[0])["tags"][1], "test");
    let out = env.run(&["test-notify", "slack"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "slack: sent\n");
    assert_eq!(r.teams.requests().len(), 1, "only the channel asked for");
    let out = env.run(&["test-notify", "pager"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the channels are email, hook, slack"));
}

#[tokio::test(flavor = "multi_thread")]
async fn channels_take_only_their_events_and_severities() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    let high = env.receiver("/high").await;
    let digests = env.receiver("/digests").await;
    std::fs::write(env.dir.path().join("s"), "k").unwrap();
    env.write_watchlist(&format!(
        "{}\n[[channel]]\nid = \"high\"\nkind = \"webhook\"\nurl = \"{}\"\nsecret_file = \"{d}/s\"\nmin_severity = \"high\"\nevents = [\"alert\"]\n\
         [[channel]]\nid = \"digests\"\nkind = \"webhook\"\nurl = \"{}\"\nsecret_file = \"{d}/s\"\nevents = [\"digest\"]\n",
        env.target("pp", PP),
        env.url("/high"),
        env.url("/digests"),
        d = env.dir.path().display()
    ));
    let base = "<p>We collect the data you give us to run the Services, to keep them safe and to \
                show you relevant content. This notice explains what we collect, why, and the choices \
                you have about it, for members and visitors alike.</p><p>We keep it only as long as \
                we need it, and we delete it when you close your account, unless the law says otherwise.</p>";
    page.serve(crate::common::linkedin_page(base));
    assert_eq!(env.check(&[]).1[0]["status"], "new");
    // a medium change (the generative-AI setting named): below the first channel's threshold
    page.serve(crate::common::linkedin_page(&format!(
        "{base}<p>The Data for Generative AI Improvement setting is described in our Help Center.</p>"
    )));
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["severity"], "medium", "{}", lines[0]);
    assert!(high.requests().is_empty());
    page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    env.check(&[]);
    assert_eq!(high.requests().len(), 1);
    assert!(
        digests.requests().is_empty(),
        "alerts do not go to a digest channel"
    );
    env.run(&["digest", "--send-now"]);
    let got = digests.requests();
    assert_eq!(got.len(), 1);
    let d = body(&got[0]);
    assert_eq!(d["event"], "digest");
    assert_eq!(d["lines"].as_array().unwrap().len(), 2, "{d}");
    assert_eq!(high.requests().len(), 1, "no digest to an alert channel");
}
