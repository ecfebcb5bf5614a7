//! Each channel's payload for one real-shaped alert and one digest, pinned by snapshot files
//! (`UPDATE_SNAPSHOTS=1 cargo test` writes them; review the diff).

use serde_json::Value;

use super::notice::Notice;
use super::payload;
use crate::classify::{RuleSet, classify};
use crate::facts::{FactRules, read, summary::Plain};
use crate::notify::Event;
use crate::notify::event::{About, VersionAt};
use crate::store::VersionId;

fn alert() -> Event {
    let old = "We share data with Affiliates to run the Services.";
    let new = "We share data with Affiliates to run the Services. We use your posts to train generative AI models, relying on legitimate interests. You can opt out of AI training in settings <b>now</b> & later.";
    let change = crate::diff::diff(old, new);
    let verdict = classify(&change, &RuleSet::builtin());
    let rules = FactRules::builtin();
    Event::PageChange {
        about: About {
            target: "linkedin-privacy-eu".into(),
            name: "LinkedIn European Regional Privacy Notice".into(),
            url: "https://www.linkedin.com/legal/privacy/eu".into(),
        },
        old: VersionAt {
            id: VersionId(2),
            at: "2025-10-03T00:00:00.000Z".into(),
        },
        new: VersionAt {
            id: VersionId(3),
            at: "2025-11-04T00:00:00.000Z".into(),
        },
        counts: (change.added, change.removed),
        plain: Plain::tell(
            "LinkedIn European Regional Privacy Notice",
            Some("EU/EEA/CH, UK"),
            &read(old, &rules),
            &read(new, &rules),
            &verdict,
        ),
        verdict,
    }
}

fn check(name: &str, got: &Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/notify/channel/snapshots")
        .join(format!("{name}.json"));
    let pretty = serde_json::to_string_pretty(got).unwrap() + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &pretty).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    assert_eq!(
        pretty,
        want,
        "{name} payload differs from {}",
        path.display()
    );
}

#[test]
fn every_channel_renders_the_alert_as_its_snapshot() {
    let n = Notice::of(&alert());
    assert_eq!(n.event, "alert");
    assert!(
        n.summary.starts_with("Widened (trains_generative_ai)"),
        "{}",
        n.summary
    );
    check(
        "webhook",
        &payload::webhook(
            &n,
            "alert.linkedin-privacy-eu.v3@policywatch",
            "2025-11-04T00:01:00.000Z",
        ),
    );
    check("slack", &payload::slack(&n));
    check("teams", &payload::teams(&n));
    check("matrix", &payload::matrix(&n));
    check("ntfy", &payload::ntfy(&n, "privacy"));
}

#[test]
fn chat_text_cannot_inject_markup() {
    let n = Notice::of(&alert());
    let slack = payload::slack(&n).to_string();
    assert!(slack.contains("&lt;b&gt;now&lt;/b&gt; &amp; later") && !slack.contains("<b>now"));
    let matrix = payload::matrix(&n);
    assert!(
        matrix["formatted_body"]
            .as_str()
            .unwrap()
            .contains("&lt;b&gt;now&lt;/b&gt;")
    );
}

#[test]
fn a_digest_is_short_in_chat_with_a_line_per_change() {
    let mut meta = crate::store::VersionMeta {
        id: VersionId(3),
        recorded_at: "2025-11-04T00:00:00.000Z".into(),
        size: 1,
        hash: String::new(),
        added: 5,
        removed: 1,
        ai_relevant: true,
        severity: crate::classify::Severity::High,
        matched_terms: vec![],
        new_items: vec![],
        summary: "Widened (trains_generative_ai): the notice now says members' data is used to train generative AI models.".into(),
        headline: None,
        language: None,
        source: None,
    };
    let mut changes = vec![("eu".to_string(), "https://x/eu".to_string(), meta.clone())];
    for i in 0..12 {
        meta.id = VersionId(10 + i);
        meta.summary = String::new();
        changes.push((format!("t{i}"), format!("https://x/{i}"), meta.clone()));
    }
    let event = Event::Digest {
        material: crate::store::DigestMaterial {
            changes,
            ..Default::default()
        },
        names: vec![("eu".into(), "EU notice".into())],
        at: "2025-11-05T06:00:00.000Z".into(),
    };
    let n = Notice::of(&event);
    assert_eq!(n.event, "digest");
    assert_eq!(n.lines.len(), 13);
    let slack = payload::slack(&n).to_string();
    assert!(
        slack.contains("EU notice: Widened (trains_generative_ai)")
            && slack.contains("… and 3 more"),
        "{slack}"
    );
    let ntfy = payload::ntfy(&n, "t");
    assert_eq!(ntfy["click"], "https://x/eu");
}
