//! The facts of every version of LinkedIn's global Privacy Policy, European Regional Privacy
//! Notice and User Agreement, read from the real history in the fixtures and compared with
//! labels written by reading the texts; the two big events replayed through `check-now`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::{TestEnv, fixtures_dir, linkedin_version, versions};

const FACTS: [&str; 12] = [
    "trains_ai",
    "trains_generative_ai",
    "legal_basis",
    "opt_out",
    "opt_out_retroactive",
    "default_on",
    "data_categories",
    "shares_public_content_with_affiliates",
    "shares_data_with_affiliates_for_ads",
    "affiliates_train_ai",
    "affiliates_include_microsoft",
    "effective_date",
];

/// One version's label: the file's date, its stated facts (every other fact is
/// `not_stated`), and why, read from the text.
type Label = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

const MICROSOFT: (&str, &str) = ("affiliates_include_microsoft", "yes");

/// Global Privacy Policy: 19 files.
const PRIVACY_POLICY: &[Label] = &[
    (
        "2021-10-25",
        &[MICROSOFT, ("effective_date", "2020-08-11")],
        "Key Terms: \"Affiliates are … LinkedIn Corporation, LinkedIn Singapore and Microsoft Corporation\"; no AI training; \"Effective August 11, 2020\"",
    ),
    (
        "2023-01-19",
        &[MICROSOFT, ("effective_date", "2020-08-11")],
        "same terms, markup changes",
    ),
    (
        "2024-03-07",
        &[MICROSOFT, ("effective_date", "2024-03-06")],
        "new effective date; nothing on AI",
    ),
    (
        "2024-05-09",
        &[MICROSOFT, ("effective_date", "2024-03-06")],
        "sentence-break artefacts only",
    ),
    (
        "2024-07-16",
        &[MICROSOFT, ("effective_date", "2024-03-06")],
        "no text change",
    ),
    (
        "2024-07-19",
        &[MICROSOFT, ("effective_date", "2024-03-06")],
        "no text change",
    ),
    (
        "2024-08-01",
        &[MICROSOFT, ("effective_date", "2024-07-31")],
        "queries may be referred to Bing: sharing with Affiliates to provide Services, not AI training",
    ),
    (
        "2024-09-19",
        SEPT_2024,
        "\"We may use your personal data to … develop and train artificial intelligence (AI) models\" (no category named: other); \"In regions outside the Designated Countries, we may also share your publicly-shared content … with our Affiliates, including Microsoft\"",
    ),
    ("2025-04-01", SEPT_2024, "same facts"),
    ("2025-04-22", SEPT_2024, "same facts"),
    ("2025-07-12", SEPT_2024, "same facts"),
    ("2025-07-18", SEPT_2024, "same facts"),
    ("2025-07-25", SEPT_2024, "same facts"),
    (
        "2025-09-18",
        SEPT_2024,
        "an update is announced; the text in force says the same",
    ),
    ("2025-09-23", SEPT_2024, "same facts"),
    (
        "2025-11-03",
        NOV_2025,
        "\"Subject to our European Regional Privacy Notice, we may also share with our Affiliates, including Microsoft, your (1) publicly-shared content … and (2) personal data to improve, provide or develop their advertising services\": no longer only outside the Designated Countries",
    ),
    ("2025-11-20", NOV_2025, "same facts"),
    ("2025-12-06", NOV_2025, "same facts"),
    ("2026-02-20", NOV_2025, "same facts"),
];

const SEPT_2024: &[(&str, &str)] = &[
    ("trains_ai", "yes"),
    ("data_categories", "other"),
    (
        "shares_public_content_with_affiliates",
        "yes_outside_designated_countries",
    ),
    MICROSOFT,
    ("effective_date", "2024-09-18"),
];

const NOV_2025: &[(&str, &str)] = &[
    ("trains_ai", "yes"),
    ("data_categories", "other"),
    ("shares_public_content_with_affiliates", "yes"),
    ("shares_data_with_affiliates_for_ads", "yes"),
    MICROSOFT,
    ("effective_date", "2025-11-03"),
];

/// European Regional Privacy Notice: 6 files. It has no Affiliates definition of its own.
const PRIVACY_EU: &[Label] = &[
    (
        "2025-06-10",
        EU_BEFORE,
        "AI features row: \"To train and improve our AI systems for purposes other than content creation\" (not generative); its data: profile or resume, activity data (posts, comments, articles), group memberships, feedback on AI features, data input into AI features; safety row trains AI on what it screens \"on your feed and in messages\"",
    ),
    ("2025-08-01", EU_BEFORE, "same facts"),
    (
        "2025-09-18",
        EU_BEFORE,
        "banner: \"On November 3, 2025, we are updating this notice … Legitimate Interests as the legal basis for training content-generating AI\": announced, not yet in force",
    ),
    ("2025-10-03", EU_BEFORE, "same announcement"),
    (
        "2025-11-04",
        EU_AFTER,
        "\"we updated this notice to provide information about our reliance on Legitimate Interests as the legal basis for training content-generating AI models\"; \"You can opt out of our use of your data to train our content-generating AI models at any time\"; UK row: \"Sharing data with our parent company, Microsoft for its AI training purposes\"; the GenAI row's data adds group activity, screening answers and resumes, conversation data; the UK row adds LinkedIn Learning videos",
    ),
    (
        "2026-08-22",
        EU_AFTER_2026,
        "new effective date; same facts",
    ),
];

const EU_BEFORE: &[(&str, &str)] = &[
    ("trains_ai", "yes"),
    (
        "data_categories",
        "profile,posts,articles,comments,messages,job_applications,group_activity,feedback,generative_ai_inputs",
    ),
    ("effective_date", "2025-02-27"),
];

const EU_AFTER: &[(&str, &str)] = &[
    ("trains_ai", "yes"),
    ("trains_generative_ai", "yes"),
    ("legal_basis", "legitimate_interests"),
    ("opt_out", "yes"),
    (
        "data_categories",
        "profile,posts,articles,comments,messages,job_applications,group_activity,feedback,learning_activity,generative_ai_inputs",
    ),
    ("affiliates_train_ai", "yes"),
    ("effective_date", "2025-11-03"),
];

const EU_AFTER_2026: &[(&str, &str)] = &[
    ("trains_ai", "yes"),
    ("trains_generative_ai", "yes"),
    ("legal_basis", "legitimate_interests"),
    ("opt_out", "yes"),
    (
        "data_categories",
        "profile,posts,articles,comments,messages,job_applications,group_activity,feedback,learning_activity,generative_ai_inputs",
    ),
    ("affiliates_train_ai", "yes"),
    ("effective_date", "2026-08-21"),
];

/// User Agreement: 8 files. It grants LinkedIn and its Affiliates a licence to content and
/// warns that generated content may be inaccurate, but never says members' data trains AI.
const USER_AGREEMENT: &[Label] = &[
    (
        "2023-10-15",
        &[MICROSOFT, ("effective_date", "2022-02-01")],
        "\"Affiliates are … LinkedIn Singapore and Microsoft Corporation\"; \"Effective on February 1, 2022\"",
    ),
    (
        "2024-03-08",
        &[MICROSOFT, ("effective_date", "2022-02-01")],
        "same",
    ),
    (
        "2024-09-19",
        &[MICROSOFT, ("effective_date", "2022-02-01")],
        "same",
    ),
    (
        "2024-11-21",
        &[MICROSOFT, ("effective_date", "2024-11-20")],
        "\"Generative AI Features\": content generated for you may be inaccurate (use, not training)",
    ),
    (
        "2024-12-21",
        &[MICROSOFT, ("effective_date", "2024-11-20")],
        "same",
    ),
    (
        "2025-09-18",
        &[MICROSOFT, ("effective_date", "2024-11-20")],
        "same",
    ),
    (
        "2025-10-23",
        &[MICROSOFT, ("effective_date", "2024-11-20")],
        "same",
    ),
    (
        "2025-11-04",
        &[MICROSOFT, ("effective_date", "2025-11-03")],
        "\"Microsoft Corporation or any of its subsidiaries (e.g., Github, Inc.)\"; no training of AI on members' data",
    ),
];

/// Imports a fixture folder into a fresh store under `target`.
async fn imported(folder: &str, target: &str) -> TestEnv {
    let env = TestEnv::new().await;
    env.write_watchlist(&format!(
        "[[target]]\nid = \"{target}\"\nurl = \"{}\"\nselect = [\"main\"]\nregion = \"test region\"\n",
        env.url("/p")
    ));
    let dir = fixtures_dir().join(folder);
    let out = env.run(&[
        "import",
        "--format",
        "ota",
        dir.to_str().unwrap(),
        "--target",
        target,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env
}

/// `facts TARGET --at DATE --json`, as fact -> line.
fn facts_at(env: &TestEnv, target: &str, date: &str) -> BTreeMap<String, Value> {
    env.stdout(&["facts", target, "--at", date, "--json"])
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["fact"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Array(a) => a
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(","),
        v => v.as_str().unwrap().to_string(),
    }
}

async fn every_version_matches_its_labels(folder: &str, target: &str, labels: &[Label]) {
    let files = versions(folder);
    let dated: Vec<&str> = labels.iter().map(|l| l.0).collect();
    let names: Vec<String> = dated.iter().map(|d| format!("{d}.md")).collect();
    assert_eq!(
        files
            .iter()
            .map(|f| f.rsplit('/').next().unwrap().to_string())
            .collect::<Vec<_>>(),
        names,
        "every file of {folder} is labelled"
    );
    let env = imported(folder, target).await;
    let mut wrong = Vec::new();
    for (date, stated, why) in labels {
        let got = facts_at(&env, target, date);
        assert_eq!(got.len(), FACTS.len(), "{folder}/{date}: {got:?}");
        for fact in FACTS {
            let line = &got[fact];
            let want = stated
                .iter()
                .find(|(f, _)| *f == fact)
                .map_or("not_stated", |(_, v)| v);
            let value = value_text(&line["value"]);
            if value != want {
                wrong.push(format!(
                    "{folder}/{date} {fact}: got {value}, want {want} ({why})"
                ));
            }
            // a value is never given without the sentence it was read from
            let quoted = line["quote"].as_str().is_some_and(|q| !q.trim().is_empty());
            assert_eq!(
                quoted,
                value != "not_stated",
                "{folder}/{date} {fact}: {line}"
            );
            assert_eq!(line["region"], "test region");
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_global_privacy_policy_version_has_its_labelled_facts() {
    every_version_matches_its_labels("privacy-policy", "pp", PRIVACY_POLICY).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_european_notice_version_has_its_labelled_facts() {
    every_version_matches_its_labels("privacy-policy-eu", "eu", PRIVACY_EU).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_user_agreement_version_has_its_labelled_facts() {
    every_version_matches_its_labels("user-agreement", "ua", USER_AGREEMENT).await;
}

/// The moved facts of `facts --history --json`, as (date, fact, from, to, quote).
fn moves(env: &TestEnv, target: &str) -> Vec<(String, String, String, String, String)> {
    env.stdout(&["facts", "--history", target, "--json"])
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (
                s("recorded_at")[..10].to_string(),
                s("fact"),
                s("from"),
                s("to"),
                s("quote"),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn september_2024_the_global_policy_starts_training_ai_models() {
    let env = imported("privacy-policy", "pp").await;
    let moved = moves(&env, "pp");
    let sept: Vec<_> = moved.iter().filter(|m| m.0 == "2024-09-19").collect();
    let trains = sept.iter().find(|m| m.1 == "trains_ai").unwrap();
    assert_eq!(
        (trains.2.as_str(), trains.3.as_str()),
        ("not_stated", "yes")
    );
    assert!(
        trains
            .4
            .contains("develop and train artificial intelligence (AI) models"),
        "{trains:?}"
    );
    let public = sept
        .iter()
        .find(|m| m.1 == "shares_public_content_with_affiliates")
        .unwrap();
    assert_eq!(public.3, "yes_outside_designated_countries");
    // before: nothing about AI training in any version
    assert!(
        !moved
            .iter()
            .any(|m| m.0.as_str() < "2024-09-19" && m.1 == "trains_ai")
    );
    // the matrix names the date the cell took its value
    let now = facts_at(&env, "pp", "2026-12-31");
    assert_eq!(
        now["trains_ai"]["since"].as_str().unwrap()[..10],
        *"2024-09-19"
    );
    assert_eq!(
        now["shares_public_content_with_affiliates"]["since"]
            .as_str()
            .unwrap()[..10],
        *"2025-11-03"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn november_2025_the_eu_notice_relies_on_legitimate_interests_and_microsoft_may_train() {
    let env = imported("privacy-policy-eu", "eu").await;
    let nov: Vec<_> = moves(&env, "eu")
        .into_iter()
        .filter(|m| m.0 == "2025-11-04")
        .collect();
    let get = |fact: &str| {
        nov.iter()
            .find(|m| m.1 == fact)
            .unwrap_or_else(|| panic!("{fact} moved: {nov:?}"))
    };
    assert_eq!(get("trains_generative_ai").3, "yes");
    let basis = get("legal_basis");
    assert_eq!(basis.3, "legitimate_interests");
    assert!(
        basis
            .4
            .contains("Legitimate Interests as the legal basis for training content-generating AI"),
        "{basis:?}"
    );
    assert!(get("affiliates_train_ai").4.contains("Microsoft"));
    assert_eq!(get("opt_out").3, "yes");
    // the September announcement moved nothing: it was not yet in force
    let at_announcement = facts_at(&env, "eu", "2025-10-31");
    assert_eq!(at_announcement["legal_basis"]["value"], "not_stated");
    assert_eq!(
        at_announcement["trains_generative_ai"]["value"],
        "not_stated"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_eu_change_is_mailed_under_its_headline_with_the_moved_facts_first() {
    let env = TestEnv::new().await;
    let page = env.page("/legal/privacy/eu").await;
    env.write_watchlist(&format!(
        "{}name = \"LinkedIn European Regional Privacy Notice\"\nregion = \"EU/EEA/CH, UK\"\n",
        env.target("eu", "/legal/privacy/eu")
    ));
    page.serve(linkedin_version("privacy-policy-eu/2025-10-03.md"));
    env.check(&[]);
    page.serve(linkedin_version("privacy-policy-eu/2025-11-04.md"));
    let (code, lines) = env.check(&[]);
    assert_eq!(code, 0);
    let moved = crate::common::moved_facts(&lines[0]);
    assert_eq!(
        moved[..3],
        ["trains_generative_ai", "legal_basis", "affiliates_train_ai"],
        "{}",
        lines[0]
    );
    let summary = lines[0]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Widened (trains_generative_ai): LinkedIn European Regional Privacy Notice now says members' data is used to train generative (content-generating) AI models.")
            && summary.contains("AI training relies on legitimate interests"),
        "{summary}"
    );
    assert!(
        summary.matches(". ").count() <= 2,
        "at most three sentences: {summary}"
    );
    // no SMTP configured: the alert is a file in the outbox folder
    let mail = std::fs::read_dir(env.dir.path().join("outbox"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .next()
        .unwrap();
    assert!(
        mail.contains("Subject: [high] LinkedIn European Regional Privacy Notice: now trains\r\n generative AI on member data (legitimate interests)")
            || mail.contains("Subject: [high] LinkedIn European Regional Privacy Notice: now trains generative AI on member data (legitimate interests)"),
        "{mail}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rules_change_is_applied_to_the_stored_history_by_recompute_without_mail() {
    let env = imported("privacy-policy-eu", "eu").await;
    let stored = |env: &TestEnv| -> Vec<(String, String)> {
        let db = rusqlite::Connection::open(env.db_path()).unwrap();
        let mut stmt = db
            .prepare("SELECT rules, facts FROM version_facts ORDER BY version_id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let before = stored(&env);
    assert_eq!(before.len(), 4, "one row per stored version");
    assert!(before[2].1.contains("legitimate_interests"));
    // the import told each change plainly, and history shows it
    let history = env.history("eu");
    assert!(
        history[2]["summary"]
            .as_str()
            .unwrap()
            .starts_with("Widened (trains_generative_ai)"),
        "{}",
        history[2]
    );
    // a watchlist that turns the legitimate-interests rule off
    let text = std::fs::read_to_string(env.watchlist_path()).unwrap();
    std::fs::write(
        env.watchlist_path(),
        format!(
            "{text}[[fact_rule]]\nid = \"legal-basis-legitimate-interests\"\nenabled = false\n"
        ),
    )
    .unwrap();
    // read with the rules in force even before they are stored
    assert_eq!(
        facts_at(&env, "eu", "2026-12-31")["legal_basis"]["value"],
        "not_stated"
    );
    assert_eq!(stored(&env), before, "reading does not write");
    let out = env.stdout(&["facts", "--recompute"]);
    assert!(
        out.contains("eu: facts of 4 version(s) read again"),
        "{out}"
    );
    let after = stored(&env);
    assert!(after.iter().all(|(rules, _)| *rules != before[0].0));
    assert!(!after[2].1.contains("legitimate_interests"));
    // and a second run has nothing left to do; nothing was mailed
    assert!(
        env.stdout(&["facts", "--recompute"])
            .contains("eu: facts of 0 version(s)")
    );
    assert!(env.stdout(&["outbox", "--json"]).trim().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_has_a_facts_page_with_each_cells_history() {
    let env = imported("privacy-policy-eu", "eu").await;
    let out = env.dir.path().join("site");
    let run = env.run(&["report", "--out", out.to_str().unwrap()]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let page = std::fs::read_to_string(out.join("facts.html")).unwrap();
    assert!(
        page.contains(
            "href=\"#eu-legal_basis\">legitimate_interests</a><br><small>since 2025-11-04"
        ),
        "{page}"
    );
    assert!(page.contains("id=\"eu-legal_basis\""));
    assert!(
        page.contains("Legitimate Interests as the legal basis for training content-generating AI")
    );
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("href=\"facts.html\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_leads_the_atom_entry_and_the_digest_entry() {
    let env = imported("privacy-policy-eu", "eu").await;
    let atom = env.dir.path().join("changes.atom");
    env.stdout(&["feed", "--out", atom.to_str().unwrap()]);
    let xml = std::fs::read_to_string(&atom).unwrap();
    assert!(
        xml.contains(
            "<title>eu: now trains generative AI on member data (legitimate interests)</title>"
        ),
        "{xml}"
    );
    assert!(xml.contains("<summary>Widened (trains_generative_ai): eu now says"));
    let out = env.run(&["digest", "--send-now"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mail = std::fs::read_dir(env.dir.path().join("outbox"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .next()
        .unwrap();
    // quoted-printable may fold the text part: look at it unfolded
    let text = mail.replace("=\r\n", "").replace("=\n", "");
    let summary = text
        .find(
            "Widened (trains_generative_ai): eu now says members' data is used to train generative",
        )
        .unwrap_or_else(|| panic!("{text}"));
    let entry = text[..summary].rfind("eu (eu):").unwrap();
    let version = text[summary..].find("version ").unwrap() + summary;
    assert!(
        entry < summary && summary < version,
        "the summary leads the entry:\n{text}"
    );
}
