//! Localised targets: the language asked for is sent, the language the page declares is kept
//! with each version, and a page in another language is a failed check, never a version.

use crate::common::{TestEnv, fixture, linkedin_page};

const PAGE: &str = "/legal/privacy-policy";

fn target(env: &TestEnv, language: &str) -> String {
    format!(
        "{}language = \"{language}\"\ndocument = \"linkedin-privacy-policy\"\n",
        env.target("pp", PAGE)
    )
}

/// The real Hindi shell with German text, declared German.
fn german(text: &str) -> String {
    linkedin_page(&format!("<h1>Datenschutzrichtlinie</h1><p>{text}</p><p>{}</p>", "Wir verarbeiten Ihre Daten, um die Dienste bereitzustellen, sie sicher zu halten und Ihnen relevante Inhalte zu zeigen. ".repeat(3)))
        .replacen("<html lang=\"hi\">", "<html lang=\"de-DE\">", 1)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_real_french_page_is_read_for_a_french_target_and_refused_for_a_german_one() {
    let env = TestEnv::new().await;
    let page = env.page(PAGE).await;
    page.serve(fixture("privacy-policy-fr/2023-06-29.html"));
    env.write_watchlist(&target(&env, "fr"));
    let (code, lines) = env.check(&[]);
    assert_eq!(
        (code, lines[0]["status"].as_str()),
        (0, Some("new")),
        "{}",
        lines[0]
    );
    let sent = page.requests();
    assert_eq!(
        sent[0]
            .headers
            .get("accept-language")
            .unwrap()
            .to_str()
            .unwrap(),
        "fr"
    );
    assert_eq!(env.history("pp")[0]["language"], "fr");

    env.write_watchlist(&target(&env, "de"));
    let (code, lines) = env.check(&[]);
    assert_eq!(code, 1);
    assert_eq!(lines[0]["status"], "failed");
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("asked for de, got fr"),
        "{}",
        lines[0]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_geo_redirect_to_english_never_replaces_the_german_history() {
    let env = TestEnv::new().await;
    let page = env.page(PAGE).await;
    env.write_watchlist(&target(&env, "de"));
    page.serve(german("Gültig ab 3. November 2025."));
    assert_eq!(env.check(&[]).1[0]["status"], "new");
    let before = env.stdout(&["show", "pp"]);
    // the same shell, now declaring English: a CDN answered in the wrong language
    page.serve(german("Gültig ab 3. November 2025.").replacen("lang=\"de-DE\"", "lang=\"en\"", 1));
    let (code, lines) = env.check(&[]);
    assert_eq!((code, lines[0]["status"].as_str()), (1, Some("failed")));
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("asked for de, got en")
    );
    // a Content-Language header says so too, and wins over the page
    page.set(|s| {
        s.body = german("Gültig ab 4. November 2025.");
        s.headers = vec![("Content-Language".into(), "en-US".into())];
    });
    let (code, _) = env.check(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        env.history("pp").len(),
        1,
        "no version from a page in another language"
    );
    assert_eq!(env.stdout(&["show", "pp"]), before);
    // German again: checked normally
    page.set(|s| s.headers.clear());
    page.serve(german("Gültig ab 4. November 2025."));
    assert_eq!(env.check(&[]).1[0]["status"], "changed");
    assert_eq!(env.history("pp")[1]["language"], "de-DE");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_without_a_language_is_never_refused_for_one() {
    // the shipped Hindi shell declares "hi": a target that names no language reads it
    let env = TestEnv::new().await;
    let page = env.page(PAGE).await;
    env.write_watchlist(&env.target("pp", PAGE));
    page.serve(german("Gültig ab 3. November 2025."));
    assert_eq!(env.check(&[]).1[0]["status"], "new");
    assert_eq!(
        page.requests()[0].headers.get("accept-language").unwrap(),
        "en"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_german_target_is_judged_by_the_german_rules() {
    let env = TestEnv::new().await;
    let page = env.page(PAGE).await;
    env.write_watchlist(&target(&env, "de"));
    page.serve(german("Gültig ab 3. November 2025."));
    env.check(&[]);
    // an English sentence that merely mentions AI: recorded, never an alert in German
    page.serve(german(
        "Gültig ab 3. November 2025. Learn more about LinkedIn's Responsible AI principles.",
    ));
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["status"], "changed");
    assert_eq!(lines[0]["ai_relevant"], false, "{}", lines[0]);
    // the German wording of the November 2025 change
    page.serve(german(
        "Gültig ab 3. November 2025. Learn more about LinkedIn's Responsible AI principles. \
         Wir stützen uns auf berechtigte Interessen, um inhaltsgenerierende KI-Modelle mit Ihren Daten zu trainieren.",
    ));
    let (_, lines) = env.check(&[]);
    assert_eq!(
        (
            lines[0]["ai_relevant"].as_bool(),
            lines[0]["severity"].as_str()
        ),
        (Some(true), Some("high")),
        "{}",
        lines[0]
    );
    let rules = env.stdout(&["rules", "--language", "de"]);
    assert!(rules.contains("# The rules in force for de text") && rules.contains("\"trainieren\""));
}

/// The localised fixtures (`tests/fixtures/lang`): for each version after the first, whether
/// the change touches AI-training terms (see the folder's README for why).
const LABELS: [(&str, bool); 5] = [
    ("2025-08-01", false),
    ("2025-09-18", true),
    ("2025-10-03", false),
    ("2025-11-04", true),
    ("2026-08-22", false),
];

#[tokio::test(flavor = "multi_thread")]
async fn every_language_finds_every_ai_change_of_its_fixtures_and_no_other() {
    let mut report = Vec::new();
    for lang in ["en", "de", "fr", "es", "it", "nl", "pt"] {
        let env = TestEnv::new().await;
        env.write_watchlist(&format!(
            "[[target]]\nid = \"eu-{lang}\"\nurl = \"{}\"\nselect = [\"main\"]\nlanguage = \"{lang}\"\n",
            env.url("/eu")
        ));
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/lang")
            .join(lang);
        let id = format!("eu-{lang}");
        let out = env.run(&[
            "import",
            "--format",
            "ota",
            dir.to_str().unwrap(),
            "--target",
            &id,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let history = env.history(&id);
        assert_eq!(history.len(), 6, "{lang}: every version stored");
        let (mut found, mut missed, mut false_alerts) = (0, 0, 0);
        for ((date, ai), v) in LABELS.iter().zip(&history[1..]) {
            let got = v["ai_relevant"].as_bool().unwrap();
            assert_eq!(got, *ai, "{lang} {date}: {v}");
            match (ai, got) {
                (true, true) => found += 1,
                (true, false) => missed += 1,
                (false, true) => false_alerts += 1,
                _ => {}
            }
        }
        assert_eq!(v_language(&history), lang);
        // the dates each language writes are read as effective dates
        let facts = env.stdout(&["facts", &id, "--json"]);
        assert!(
            facts.contains("\"fact\":\"effective_date\",\"value\":\"2026-08-21\""),
            "{lang}: {facts}"
        );
        report.push(format!(
            "{lang}: recall {found}/{} false alerts {false_alerts}",
            found + missed
        ));
    }
    eprintln!("{}", report.join("\n"));
}

fn v_language(history: &[serde_json::Value]) -> &str {
    history[0]["language"].as_str().unwrap_or_default()
}

fn english(text: &str) -> String {
    linkedin_page(&format!("<h1>Privacy Policy</h1><p>{text}</p><p>{}</p>", "We process your data to provide the Services, keep them safe and show you relevant content. ".repeat(3)))
        .replacen("<html lang=\"hi\">", "<html lang=\"en\">", 1)
}

fn outbox_subjects(env: &TestEnv) -> Vec<String> {
    let dir = env.dir.path().join("outbox");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .map(|m| {
            let unfolded = m.replace("\r\n ", " ");
            unfolded
                .lines()
                .find(|l| l.starts_with("Subject: "))
                .unwrap_or_default()
                .trim_start_matches("Subject: ")
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_language_that_does_not_follow_an_ai_change_in_time_is_reported_once_and_caught_up() {
    let env = TestEnv::new().await;
    let en = env.page("/en").await;
    let de = env.page("/de").await;
    env.write_watchlist(&format!(
        "{}name = \"Privacy Policy\"\nlanguage = \"en\"\ndocument = \"pp\"\n{}name = \"Privacy Policy\"\nlanguage = \"de\"\ndocument = \"pp\"\n",
        env.target("pp-en", "/en"),
        env.target("pp-de", "/de")
    ));
    en.serve(english("Effective March 6, 2024."));
    de.serve(german("Gültig ab 6. März 2024."));
    env.check(&[]);
    // English starts training generative AI on posts; German says nothing yet
    en.serve(english(
        "Effective November 3, 2025. We use your posts to train generative AI models.",
    ));
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["ai_relevant"], true);
    let lag = |env: &TestEnv| {
        outbox_subjects(env)
            .into_iter()
            .filter(|s| s.contains("has not followed"))
            .collect::<Vec<_>>()
    };
    // a week on: still within the lag
    env.run_at("7d", &["check-now"]);
    assert!(lag(&env).is_empty());
    // fifteen days on: one mail, and only one however often it is checked
    env.run_at("15d", &["check-now"]);
    env.run_at("16d", &["check-now"]);
    let said = lag(&env);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with(
            "Privacy Policy (de) has not followed the English AI-training change of 20"
        ) && said[0].ends_with("after 14 days"),
        "{}",
        said[0]
    );
    // German catches up: the digest says so
    de.serve(german(
        "Gültig ab 3. November 2025. Wir verwenden Ihre Beiträge, um generative KI-Modelle zu trainieren.",
    ));
    env.run_at("17d", &["check-now"]);
    env.run_at("17d", &["digest", "--send-now"]);
    let digest = std::fs::read_dir(env.dir.path().join("outbox"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .find(|m| m.contains("Subject: policywatch digest"))
        .unwrap();
    let digest = digest.replace("=\r\n", "").replace("=\n", "");
    assert!(
        digest.contains("pp-de caught up with the change of"),
        "{digest}"
    );
    assert_eq!(lag(&env).len(), 1, "no second lag mail");
}
