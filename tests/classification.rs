//! Classification judged against real LinkedIn history: every adjacent pair of versions in
//! every `.md` folder of the fixtures, replayed through the fixture server and `check-now`, and
//! compared with labels written by reading the two texts.

use crate::common::TestEnv;

/// (folder, version, AI-relevant?, upcoming-update notice?, why — read from the texts)
const LABELS: &[(&str, &str, bool, bool, &str)] = &[
    (
        "privacy-policy",
        "2023-01-19",
        false,
        false,
        "markup artefacts (Key Terms), ProFinder sentence dropped",
    ),
    (
        "privacy-policy",
        "2024-03-07",
        false,
        false,
        "effective date; general location asked at sign-up",
    ),
    (
        "privacy-policy",
        "2024-05-09",
        false,
        false,
        "sentence-break artefacts only",
    ),
    (
        "privacy-policy",
        "2024-07-16",
        false,
        false,
        "no text change",
    ),
    (
        "privacy-policy",
        "2024-07-19",
        false,
        false,
        "no text change",
    ),
    (
        "privacy-policy",
        "2024-08-01",
        true,
        false,
        "queries may be referred to Bing, an affiliate's service",
    ),
    (
        "privacy-policy",
        "2024-09-19",
        true,
        true,
        "data used to develop and train AI models; public posts shared with Affiliates incl. Microsoft; \"has been updated\" notice dropped",
    ),
    (
        "privacy-policy",
        "2025-04-01",
        false,
        false,
        "no text change",
    ),
    (
        "privacy-policy",
        "2025-04-22",
        false,
        false,
        "DPO e-mail address removed",
    ),
    (
        "privacy-policy",
        "2025-07-12",
        false,
        false,
        "no text change",
    ),
    (
        "privacy-policy",
        "2025-07-18",
        false,
        false,
        "no text change",
    ),
    (
        "privacy-policy",
        "2025-07-25",
        false,
        false,
        "no text change",
    ),
    (
        "privacy-policy",
        "2025-09-18",
        false,
        true,
        "banner: updating our terms on November 3, 2025",
    ),
    (
        "privacy-policy",
        "2025-09-23",
        false,
        false,
        "no text change",
    ),
    (
        "privacy-policy",
        "2025-11-03",
        true,
        true,
        "personal data shared with Affiliates incl. Microsoft for their advertising; banner removed",
    ),
    (
        "privacy-policy",
        "2025-11-20",
        false,
        false,
        "Safety Center sentence removed",
    ),
    (
        "privacy-policy",
        "2025-12-06",
        false,
        false,
        "no text change",
    ),
    (
        "privacy-policy",
        "2026-02-20",
        false,
        false,
        "no text change",
    ),
    (
        "privacy-policy-eu",
        "2025-08-01",
        false,
        false,
        "no text change",
    ),
    (
        "privacy-policy-eu",
        "2025-09-18",
        true,
        true,
        "notice: legitimate interests as legal basis for training content-generating AI",
    ),
    (
        "privacy-policy-eu",
        "2025-10-03",
        false,
        false,
        "no text change",
    ),
    (
        "privacy-policy-eu",
        "2025-11-04",
        true,
        true,
        "GenAI training purposes, data used, sharing with Microsoft for its AI training, opt-out",
    ),
    (
        "privacy-policy-eu",
        "2026-08-22",
        true,
        false,
        "identity-verification data added to the data used by features 'that leverage AI'",
    ),
    (
        "user-agreement",
        "2024-03-08",
        false,
        false,
        "DMA dispute resolution",
    ),
    (
        "user-agreement",
        "2024-09-19",
        false,
        true,
        "banner: updating our User Agreement on November 20, 2024",
    ),
    (
        "user-agreement",
        "2024-11-21",
        true,
        true,
        "Generative AI Features terms; licence to affiliates reworded",
    ),
    (
        "user-agreement",
        "2024-12-21",
        false,
        true,
        "banner removed",
    ),
    (
        "user-agreement",
        "2025-09-18",
        false,
        true,
        "banner: updating our terms on November 3, 2025",
    ),
    (
        "user-agreement",
        "2025-10-23",
        false,
        false,
        "no text change",
    ),
    (
        "user-agreement",
        "2025-11-04",
        true,
        true,
        "Affiliates now include Microsoft's subsidiaries; output disclaimed",
    ),
    (
        "service-terms",
        "2025-09-04",
        false,
        false,
        "recruiter seats, Hiring Assistant licences, Talent Hub withdrawn",
    ),
    (
        "service-terms",
        "2026-02-02",
        true,
        false,
        "Glint terms removed, including its AI-for-HR features",
    ),
    (
        "service-terms",
        "2026-08-07",
        false,
        false,
        "Recruiter and Sales Navigator use restrictions",
    ),
    (
        "us-state-privacy",
        "2025-11-04",
        false,
        true,
        "targeted-ads notice: will update -> updated; ads opt-out",
    ),
    (
        "california-privacy",
        "2026-02-24",
        true,
        true,
        "member data shared with Microsoft for ads shown anywhere",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn classification_agrees_with_labels_on_real_linkedin_history() {
    let folders = [
        "privacy-policy",
        "privacy-policy-eu",
        "user-agreement",
        "service-terms",
        "us-state-privacy",
        "california-privacy",
    ];
    let (mut tp, mut fp, mut fneg, mut tn) = (0, 0, 0, 0);
    let mut disagreements = Vec::new();
    let mut seen = 0;
    for folder in folders {
        let env = TestEnv::new().await;
        for step in env.replay(folder).await {
            let date = step.to.rsplit('/').next().unwrap().trim_end_matches(".md");
            let (_, _, ai, notice, why) = LABELS
                .iter()
                .find(|(f, d, ..)| *f == folder && *d == date)
                .unwrap_or_else(|| panic!("no label for {folder}/{date}"));
            seen += 1;
            let got_ai = step.report["ai_relevant"].as_bool().unwrap();
            let got_notice = step.report["announcement"].as_bool().unwrap();
            match (got_ai, *ai) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fneg += 1,
                (false, false) => tn += 1,
            }
            if got_ai != *ai || got_notice != *notice {
                disagreements.push(format!("{folder}/{date} ({why}): got {}", step.report));
            }
            // never AI-relevant without a reason to quote, never a severity without a match
            assert_eq!(
                got_ai,
                step.report["matched_terms"]
                    .as_array()
                    .is_some_and(|t| !t.is_empty())
                    && got_ai
            );
            if step.report["status"] == "unchanged" {
                assert_eq!(step.report["severity"], "none", "{folder}/{date}");
            }
        }
    }
    assert_eq!(seen, LABELS.len(), "every labelled pair was replayed");
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    println!(
        "AI-relevance over {seen} pairs: tp={tp} fp={fp} fn={fneg} tn={tn} precision={precision:.2} recall={recall:.2}"
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_november_2025_change_is_high_and_quotes_microsoft_sharing() {
    let env = TestEnv::new().await;
    let steps = env.replay("privacy-policy").await;
    let nov = steps
        .iter()
        .find(|s| s.to.ends_with("2025-11-03.md"))
        .unwrap();
    assert_eq!(nov.report["severity"], "high");
    let v = nov.report["version"].as_i64().unwrap().to_string();
    let diff = env.stdout(&["diff", "privacy-policy", "--to", &v]);
    assert!(diff.contains("AI-relevant (high)"), "{diff}");
    let flagged: Vec<&str> = diff.lines().filter(|l| l.starts_with("+!")).collect();
    assert!(
        flagged
            .iter()
            .any(|l| l.contains("we may also share") && l.contains("Microsoft")),
        "{diff}"
    );
    let history = env.stdout(&["history", "privacy-policy"]);
    assert!(history.contains("AI (high)"), "{history}");
}
