//! `check-now` end to end: the real binary against real LinkedIn history served on 127.0.0.1.

use serde_json::Value;

use crate::common::{TestEnv, fixture, linkedin_page, linkedin_version};

const PP: &str = "/legal/privacy-policy";

fn one(lines: &[Value]) -> &Value {
    assert_eq!(lines.len(), 1, "{lines:?}");
    &lines[0]
}

#[tokio::test(flavor = "multi_thread")]
async fn first_check_is_new_and_fresh_noise_is_unchanged() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    env.write_watchlist(&env.target("pp", PP));

    let (code, lines) = env.check(&[]);
    let r = one(&lines);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["status"], "new");
    assert_eq!(r["target"], "pp");
    assert_eq!(r["url"], env.url(PP));
    assert!(r["version"].as_i64().is_some());
    assert_eq!(
        (r["ai_relevant"].clone(), r["severity"].clone()),
        (Value::Bool(false), Value::from("none"))
    );
    assert_eq!(r["matched_terms"], serde_json::json!([]));
    assert_eq!(r["error"], Value::Null);

    // the server renders fresh per-request ids into every response, as LinkedIn does
    // reqwest is built without a TLS provider of its own (policywatch installs ring)
    let _ = rustls::crypto::ring::default_provider().install_default();
    let get = || async {
        reqwest::get(env.url(PP))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let (a, b) = (get().await, get().await);
    assert_ne!(a, b);
    assert!(a.contains("data-call-tree-id=\"req-"));
    let (code, lines) = env.check(&[]);
    let r2 = one(&lines);
    assert_eq!(
        (code, r2["status"].as_str()),
        (0, Some("unchanged")),
        "{r2}"
    );
    assert_eq!(r2["version"], r["version"]);
    assert_eq!(env.history("pp").len(), 1);
    let text = env.stdout(&["show", "pp"]);
    assert!(text.contains("Your Privacy Matters"), "{text}");
    assert!(
        !text.contains("section-17"),
        "per-request ids leaked into the text"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_september_2024_ai_training_change_is_detected_sentence_by_sentence() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    env.write_watchlist(&env.target("pp", PP));
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    env.check(&[]);
    page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    let (code, lines) = env.check(&[]);
    let r = one(&lines);
    assert_eq!((code, r["status"].as_str()), (0, Some("changed")), "{r}");
    let (added, removed) = (r["added"].as_u64().unwrap(), r["removed"].as_u64().unwrap());
    assert!(added > 0 && removed > 0, "{r}");
    // a sentence diff, not a paragraph diff: a small part of the document's sentences
    let text = env.stdout(&["show", "pp"]);
    let total = policywatch::diff::sentences(&text).len() as u64;
    assert!(added * 5 < total, "{added} of {total} sentences added");

    let diff = env.stdout(&["diff", "pp"]);
    let added_lines: Vec<&str> = diff.lines().filter(|l| l.starts_with('+')).collect();
    assert!(
        added_lines.iter().any(|l| l
            .replace("**", "")
            .contains("develop and train artificial intelligence (AI) models")),
        "{diff}"
    );
    assert_eq!(added_lines.len() as u64, added);
    let history = env.history("pp");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["added"].as_u64(), Some(added));

    // the human summary names the change and shows the diff
    page.serve(linkedin_version("privacy-policy/2024-09-19.md"));
    let human = env.stdout(&["check-now"]);
    assert!(
        human.contains("pp") && human.contains("unchanged"),
        "{human}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_real_fetches_two_hours_apart_are_unchanged() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    env.write_watchlist(&env.target("hi", PP));
    page.set(|s| s.fresh_noise = false);
    page.serve(fixture("privacy-policy-hi/2025-06-01T2001Z.html"));
    let (_, lines) = env.check(&[]);
    assert_eq!(one(&lines)["status"], "new", "{lines:?}");
    page.serve(fixture("privacy-policy-hi/2025-06-01T2201Z.html"));
    let (code, lines) = env.check(&[]);
    assert_eq!(
        (code, one(&lines)["status"].as_str()),
        (0, Some("unchanged")),
        "{lines:?}"
    );
    // the collapsed (aria-hidden) key-terms sections are content and were kept
    let text = env.stdout(&["show", "hi"]);
    assert!(text.lines().count() > 100, "{}", text.lines().count());
}

#[tokio::test(flavor = "multi_thread")]
async fn conditional_get_echoes_etag_and_last_modified() {
    for (etag, lm) in [
        (Some("\"v1-abc\""), None),
        (None, Some("Wed, 18 Sep 2024 06:10:13 GMT")),
    ] {
        let env = TestEnv::new().await;
        let page = env.page(PP).await;
        env.write_watchlist(&env.target("pp", PP));
        page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
        page.set(|s| {
            s.etag = etag.map(String::from);
            s.last_modified = lm.map(String::from);
        });
        let (_, first) = env.check(&[]);
        let (code, second) = env.check(&[]);
        assert_eq!(
            (code, one(&second)["status"].as_str()),
            (0, Some("unchanged"))
        );
        assert_eq!(one(&second)["version"], one(&first)["version"]);
        let reqs = page.requests();
        assert_eq!(reqs.len(), 2);
        let sent = |name: &str| {
            reqs[1]
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        assert!(reqs[0].headers.get("if-none-match").is_none());
        assert_eq!(sent("if-none-match").as_deref(), etag);
        assert_eq!(sent("if-modified-since").as_deref(), lm);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_pages_fail_without_touching_the_last_good_version() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    env.page("/authwall")
        .await
        .serve(linkedin_version("privacy-policy/2024-08-01.md"));
    env.write_watchlist(&env.target("pp", PP));
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    let (_, lines) = env.check(&[]);
    let good = one(&lines)["version"].clone();
    let good_text = env.stdout(&["show", "pp"]);

    let no_container = linkedin_page("").replace("id=\"component-container\"", "id=\"other\"");
    let authwall = "<html><head><title>Sign Up | LinkedIn</title></head><body><main>\
        <section id=\"component-container\"><h1>Join LinkedIn</h1><p>Sign in to view this page and more.</p>\
        <form action=\"/uas/login-submit\"><input name=\"session_key\"><input type=\"password\" name=\"session_password\">\
        </form></section></main></body></html>";
    type Case = (
        &'static str,
        Box<dyn Fn(&mut crate::common::PageState)>,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "selector miss",
            Box::new(move |s| s.body = no_container.clone()),
            "matched nothing",
        ),
        (
            "empty page",
            Box::new(|s| s.body = linkedin_page("<p> </p>")),
            "below the minimum",
        ),
        (
            "authwall",
            Box::new(move |s| s.body = authwall.to_string()),
            "login wall",
        ),
        ("http 500", Box::new(|s| s.status = 500), "HTTP 500"),
        ("http 999", Box::new(|s| s.status = 999), "999"),
        (
            "redirect to authwall",
            Box::new(|s| {
                s.status = 302;
                s.headers = vec![(
                    "Location".into(),
                    "/authwall?trk=legal&sessionRedirect=x".into(),
                )];
            }),
            "login wall",
        ),
    ];
    for (i, (name, set, expected)) in cases.into_iter().enumerate() {
        page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
        page.set(|s| s.headers.clear());
        page.set(set);
        let (code, lines) = env.check(&[]);
        let r = one(&lines);
        assert_eq!(code, 1, "{name}: {r}");
        assert_eq!(r["status"], "failed", "{name}");
        assert_eq!(r["version"], Value::Null, "{name}");
        let err = r["error"].as_str().unwrap_or_default();
        assert!(err.contains(expected), "{name}: {err}");
        assert_eq!(env.history("pp").len(), 1, "{name}: history moved");
        assert_eq!(env.stdout(&["show", "pp"]), good_text, "{name}: text moved");
        let status = env.stdout(&["history", "pp"]);
        assert!(status.contains(&good.to_string()), "{name}");
        let _ = i;
    }
    // a 500 is retried before it counts as a failure
    let five_hundreds = page.requests().len();
    assert!(five_hundreds >= 7, "{five_hundreds} requests");

    // recovery: the same good page is unchanged, not new
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    let (code, lines) = env.check(&[]);
    assert_eq!(
        (code, one(&lines)["status"].as_str()),
        (0, Some("unchanged"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_failing_target_does_not_stop_the_others() {
    let env = TestEnv::new().await;
    let good = env.page("/legal/user-agreement").await;
    let bad = env.page(PP).await;
    good.serve(linkedin_version("user-agreement/2025-11-04.md"));
    bad.set(|s| s.status = 404);
    env.write_watchlist(&format!(
        "{}{}",
        env.target("pp", PP),
        env.target("ua", "/legal/user-agreement")
    ));
    let (code, lines) = env.check(&[]);
    assert_eq!(code, 1);
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0]["target"].as_str(), lines[0]["status"].as_str()),
        (Some("pp"), Some("failed"))
    );
    assert_eq!(
        (lines[1]["target"].as_str(), lines[1]["status"].as_str()),
        (Some("ua"), Some("new"))
    );
    // a 404 is not retried
    assert_eq!(bad.requests().len(), 1);
    // naming one target checks only it; an unknown id is a usage error
    let (code, lines) = env.check(&["ua"]);
    assert_eq!((code, lines.len()), (0, 1));
    let out = env.run(&["check-now", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown target id"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_over_the_cap_is_refused() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    env.write_watchlist(&format!("{}max_body = \"64KB\"\n", env.target("pp", PP)));
    let (code, lines) = env.check(&[]);
    let r = one(&lines);
    assert_eq!((code, r["status"].as_str()), (1, Some("failed")));
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("larger than the limit of 64000 bytes"),
        "{r}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_byte_identical_page_is_not_parsed_again_but_never_at_the_cost_of_a_change() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.set(|s| s.fresh_noise = false);
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    env.write_watchlist(&env.target("pp", PP));
    env.set_env("RUST_LOG", "policywatch=debug");
    let skipped = |env: &TestEnv| {
        let out = env.run(&["check-now", "--json"]);
        let line: Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            line["status"].as_str().unwrap().to_string(),
            String::from_utf8_lossy(&out.stderr).contains("not parsed again"),
        )
    };
    assert_eq!(skipped(&env), ("new".into(), false));
    assert_eq!(skipped(&env), ("unchanged".into(), true));
    // the same bytes read with other selectors can give other text: read again, and it does
    env.write_watchlist(&env.target("pp", PP).replace(
        ".banner__image-container\"]",
        ".banner__image-container\", \"h2\"]",
    ));
    assert_eq!(skipped(&env), ("changed".into(), false));
    assert_eq!(skipped(&env), ("unchanged".into(), true));
    // a changed Content-Type can change the decoding: read again
    page.set(|s| s.content_type = "text/html; charset=windows-1252".into());
    assert!(!skipped(&env).1);
    // fresh per-request ids: other bytes, same text: parsed, unchanged
    page.set(|s| s.fresh_noise = true);
    assert_eq!(skipped(&env), ("unchanged".into(), false));

    // a snapshot stored by an earlier build holds a plain SHA-256 hex: the same bytes are read
    // once more (never skipped on a hash of another kind), then skipped again
    page.set(|s| s.fresh_noise = false);
    assert_eq!(skipped(&env).0, "unchanged");
    assert_eq!(skipped(&env), ("unchanged".into(), true));
    let db = rusqlite::Connection::open(env.db_path()).unwrap();
    let latest = "(SELECT max(id) FROM snapshot)";
    let hash: String = db
        .query_row(
            &format!("SELECT hash FROM snapshot WHERE id = {latest}"),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(hash.starts_with("blake3:"), "{hash}");
    // what the earlier build stored: the SHA-256 hex of the same (decompressed) bytes
    let body: Vec<u8> = db
        .query_row(
            &format!("SELECT body FROM snapshot WHERE id = {latest}"),
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::DeflateDecoder::new(&body[..]), &mut raw)
        .unwrap();
    let old = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&raw));
    db.execute(
        &format!("UPDATE snapshot SET hash = ?1 WHERE id = {latest}"),
        [old],
    )
    .unwrap();
    drop(db);
    assert_eq!(skipped(&env), ("unchanged".into(), false));
    assert_eq!(skipped(&env), ("unchanged".into(), true));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_show_quietly_with_status_zero() {
    use std::io::{BufRead, BufReader};
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    // a long text, so that the reader goes away while show is still writing
    page.serve(linkedin_page(
        &"<p>We collect and use member data to provide the Services.</p>".repeat(20_000),
    ));
    env.write_watchlist(&env.target("pp", PP));
    env.check(&[]);
    for args in [
        &["show", "pp"][..],
        &["history", "pp"][..],
        &["diff", "pp", "--to", "1", "--from", "1"][..],
    ] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("policywatch"))
            .arg("--watchlist")
            .arg(env.watchlist_path())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // the reader is gone (like `| head -1`)
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?} said: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_commands_that_classify_compile_the_rules() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version("privacy-policy/2024-08-01.md"));
    env.write_watchlist(&env.target("pp", PP));
    env.set_env("RUST_LOG", "policywatch=debug");
    let compiled = |args: &[&str]| {
        let out = env.run(args);
        String::from_utf8_lossy(&out.stderr).contains("classification rules compiled")
    };
    assert!(compiled(&["check-now"]), "check-now classifies");
    for args in [
        &["status"][..],
        &["outbox"],
        &["history", "pp"],
        &["show", "pp"],
        &["validate"],
        &["rules"],
    ] {
        assert!(!compiled(args), "{args:?} compiled the rules");
    }
}
