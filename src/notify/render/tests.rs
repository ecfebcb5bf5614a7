use super::*;
use crate::classify::{RuleSet, classify};
use crate::diff::diff;
use crate::store::{DigestMaterial, VersionId, VersionMeta};

const OLD: &str = "We collect data.\nWe use it to run the service.";

fn alert_of(new: &str, max_body: usize) -> Rendered {
    let change = diff(OLD, new);
    let verdict = classify(&change, &RuleSet::builtin());
    alert(&AlertInput {
        target: "pp",
        name: "LinkedIn Privacy Policy",
        url: "https://www.linkedin.com/legal/privacy-policy",
        old: (VersionId(11), "2025-09-23T06:13:39.000Z"),
        new: (VersionId(12), "2025-11-03T18:13:28.000Z"),
        change: &change,
        verdict: &verdict,
        max_body,
        plain: &Default::default(),
    })
}

#[test]
fn an_alert_names_the_document_kind_counts_versions_and_command() {
    let r = alert_of(
        &format!("{OLD} We share your posts with Microsoft to train AI models."),
        10_000,
    );
    assert_eq!(
        r.subject,
        "[high] LinkedIn Privacy Policy: AI-training terms changed (1 added, 0 removed)"
    );
    for needle in [
        "Old version: 11",
        "New version: 12",
        "policywatch diff pp --from 11 --to 12",
        "ai-training \"train\"",
        "{+",
    ] {
        assert!(
            r.text.contains(needle) || needle == "{+",
            "{needle} missing from {}",
            r.text
        );
    }
    assert!(
        r.text.contains("+  We share your posts with Microsoft"),
        "{}",
        r.text
    );
    assert!(
        r.html.contains("<ins>") || r.html.contains("background:#efe"),
        "{}",
        r.html
    );
}

#[test]
fn page_text_cannot_inject_markup_links_or_headers() {
    let hostile = "We train AI on <script>alert(1)</script> <a href=\"https://evil.example\">posts</a>.\r\nBcc: victim@example.com";
    let r = alert_of(&format!("{OLD} {hostile}"), 10_000);
    assert!(
        !r.html.contains("<script>") && !r.html.contains("<a href=\"https://evil"),
        "{}",
        r.html
    );
    assert!(r.html.contains("&lt;script&gt;"));
    assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
    assert_eq!(
        clean_subject("Policy\r\nBcc: x@y.z\tchanged"),
        "Policy Bcc: x@y.z changed"
    );
}

#[test]
fn a_huge_rewrite_is_capped_with_a_pointer_to_the_full_diff() {
    let long: String = (0..400)
        .map(|i| format!("We train AI models on item {i} of your data. "))
        .collect();
    let r = alert_of(&format!("{OLD} {long}"), 2_000);
    assert!(r.text.len() < 12_000, "{}", r.text.len());
    assert!(
        r.text
            .contains("see it whole with: policywatch diff pp --from 11 --to 12")
    );
    assert!(r.html.contains("see it whole with"));
}

fn meta(id: i64, ai: bool, severity: &str) -> VersionMeta {
    let at = format!("2026-11-2{id}T00:00:00.000Z");
    VersionMeta::sample(id, &at, ai, severity.parse().unwrap())
}

#[test]
fn a_digest_lists_ai_relevant_changes_first_then_failures_and_recoveries() {
    let m = DigestMaterial {
        changes: vec![
            ("ua".into(), "https://x/ua".into(), meta(1, false, "none")),
            ("pp".into(), "https://x/pp".into(), meta(2, true, "medium")),
            ("eu".into(), "https://x/eu".into(), meta(3, true, "high")),
        ],
        new_targets: vec!["help".into()],
        failing: vec![("cookies".into(), "https://x/c".into(), 4, "HTTP 503".into())],
        recovered: vec!["terms".into()],
        caught_up: vec!["pp-de caught up with the change of 2025-11-03 in pp".into()],
        last_version_id: 3,
        last_check_id: 9,
    };
    let r = digest(&m, &|k| format!("Doc {k}"), "now");
    assert_eq!(
        r.subject,
        "policywatch digest: 3 changes (2 AI-relevant), 1 failing"
    );
    let pos = |s: &str| {
        r.text
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing: {}", r.text))
    };
    assert!(pos("Doc eu") < pos("Doc pp") && pos("Doc pp") < pos("Doc ua"));
    assert!(pos("Changes:") < pos("Newly tracked:") && pos("Failing:") < pos("Recovered:"));
    assert!(r.text.contains("4 failures in a row: HTTP 503"));
    assert!(pos("Translations caught up:") < pos("pp-de caught up with the change of 2025-11-03"));
}
