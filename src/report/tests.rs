use super::facts::facts_page;
use super::pages::{Notifications, TargetRow, overview, timeline};
use super::*;
use crate::classify::RuleSet;
use crate::facts::summary::Plain;
use crate::store::{ChangeRow, VersionId};

fn meta(id: i64, ai: bool) -> VersionMeta {
    let severity = if ai {
        crate::classify::Severity::High
    } else {
        crate::classify::Severity::None
    };
    VersionMeta::sample(id, &format!("2025-11-0{id}T00:00:00.000Z"), ai, severity)
}

fn doc() -> Doc {
    Doc {
        id: "pp".into(),
        name: "Privacy <Policy>".into(),
        url: "https://example.com/p?a=1&b=2".into(),
        region: Some("EU & UK".into()),
        language: "en".into(),
    }
}

#[test]
fn pages_escape_text_mark_terms_and_link_each_other() {
    let old = "We collect <data>.";
    let new = "We collect <data>. We train AI models on your posts.";
    let change = crate::diff::diff(old, new);
    let verdict = crate::classify::classify(&change, &RuleSet::builtin());
    let rules = crate::facts::FactRules::builtin();
    let (before, after) = (
        crate::facts::read(old, &rules),
        crate::facts::read(new, &rules),
    );
    let plain = Plain::tell("Privacy Policy", None, &before, &after, &verdict);
    let data = ChangeData {
        old: meta(1, false),
        new: meta(2, true),
        change,
        verdict,
        plain,
    };
    let d = doc();
    let facts = facts_page(&[(
        d.clone(),
        vec![
            (VersionId(1), "2025-11-01T00:00:00.000Z".into(), before),
            (VersionId(2), "2025-11-02T00:00:00.000Z".into(), after),
        ],
    )]);
    // the matrix cell now, since when, and the quote in its history
    assert!(
        facts.contains("EU &amp; UK")
            && facts.contains("href=\"#pp-trains_ai\">yes</a><br><small>since 2025-11-02")
            && facts.contains("“We train AI models on your posts.”"),
        "{facts}"
    );
    let tl = timeline(&d, &[meta(1, false), meta(2, true)], true);
    assert!(
        tl.contains("href=\"../changes/pp-v2.html\"")
            && tl.contains("AI · high")
            && tl.contains("href=\"../documents/pp.html\"")
            && tl.contains("href=\"../targets/pp/feed.atom\"")
            && tl.contains("Privacy &lt;Policy&gt;"),
        "{tl}"
    );
    let page = change::change_page(&d, &data);
    assert!(
        page.contains("<mark>train</mark>") && page.contains("<mark>posts</mark>"),
        "{page}"
    );
    // the summary leads the change page, before the quoted sentences
    let summary = page.find("now says members' data is used to train AI models");
    let why = page.find("Why it matters");
    assert!(summary.is_some() && summary < why, "{page}");
    assert!(page.contains("&lt;data&gt;") && !page.contains("<data>"));
    assert!(
        page.contains("href=\"../index.html\"") && page.contains("href=\"../targets/pp.html\"")
    );
    for html in [&facts, &tl, &page] {
        assert!(!html.contains("<script") && !html.contains("src=\"http"));
    }
}

#[test]
fn the_overview_shows_state_failures_and_notifications_escaped() {
    let mut status = crate::views::StatusLine {
        status: crate::store::TargetStatus {
            target: "pp".into(),
            url: "https://example.com/p".into(),
            last_checked_at: Some("2025-11-02T10:11:12.000Z".into()),
            last_result: Some("failed".into()),
            last_change_at: None,
            consecutive_failures: 3,
            last_error: Some("HTTP 503 <img src=x onerror=alert(1)>".into()),
        },
        next_run: Some("2025-11-03T06:00:00.000Z".into()),
        document: "pp".into(),
        language: "en".into(),
    };
    let mut latest = meta(2, true);
    latest.headline = Some("now trains <b>AI</b>".into());
    let rows = [TargetRow {
        doc: doc(),
        status: status.clone(),
        latest: Some((latest.clone(), true)),
    }];
    let recent = [ChangeRow {
        target: "pp".into(),
        url: "https://example.com/p".into(),
        version: latest,
    }];
    let html = overview(
        &rows,
        Notifications {
            pending: 2,
            failed: 1,
        },
        &recent,
    );
    for want in [
        "href=\"targets/pp.html\"",
        "href=\"changes/pp-v2.html\"",
        "EU &amp; UK · en",
        "2025-11-02 10:11 <small>failed</small>",
        "<span class=\"bad\">3</span>",
        "HTTP 503 &lt;img src=x onerror=alert(1)&gt;",
        "2025-11-03 06:00",
        "2 pending, 1 failed",
        "now trains &lt;b&gt;AI&lt;/b&gt;",
    ] {
        assert!(html.contains(want), "{want} missing: {html}");
    }
    assert!(!html.contains("<img"));
    status.next_run = None;
    let never = overview(
        &[TargetRow {
            doc: doc(),
            status,
            latest: None,
        }],
        Notifications::default(),
        &[],
    );
    assert!(never.contains("No change recorded yet"), "{never}");
}
