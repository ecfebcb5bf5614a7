//! An Atom feed of detected changes (`policywatch feed --out FILE`), for feed readers.
//!
//! Pure: changes in, XML out. Every entry's id is derived from the target and the version
//! (`urn:policywatch:change:<target>:<version>`), so a reader shows each change once however
//! often the file is rewritten. Written with atom_syndication, which escapes all text.

use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};

use crate::store::VersionMeta;

fn date(s: &str) -> FixedDateTime {
    chrono::DateTime::parse_from_rfc3339(s).unwrap_or_default()
}

/// The feed: `changes` newest first, as (target id, URL, version); `name_of` gives a target's
/// name.
pub fn changes_feed(
    changes: &[(String, String, VersionMeta)],
    name_of: &dyn Fn(&str) -> String,
    ai_only: bool,
) -> String {
    let entries: Vec<Entry> = changes
        .iter()
        .map(|(target, url, v)| {
            let name = name_of(target);
            let what = if v.ai_relevant {
                format!("[{}] AI-related terms changed", v.severity)
            } else {
                "changed".to_string()
            };
            // the change told plainly leads the entry
            let mut summary = if v.summary.is_empty() {
                String::new()
            } else {
                format!("{} ", v.summary)
            };
            summary.push_str(&format!(
                "{name} {what}: {} sentences added, {} removed.",
                v.added, v.removed
            ));
            if !v.matched_terms.is_empty() {
                summary.push_str(&format!(" Matched: {}.", v.matched_terms.join(", ")));
            }
            summary.push_str(&format!(
                " See it with: policywatch diff {target} --to {}",
                v.id
            ));
            Entry {
                id: format!("urn:policywatch:change:{target}:{}", v.id),
                title: Text::plain(match &v.headline {
                    Some(h) => format!("{name}: {h}"),
                    None => format!("{name}: {what} ({} added, {} removed)", v.added, v.removed),
                }),
                updated: date(&v.recorded_at),
                published: Some(date(&v.recorded_at)),
                links: vec![Link {
                    href: url.clone(),
                    rel: "alternate".into(),
                    ..Link::default()
                }],
                summary: Some(Text::plain(summary.clone())),
                content: Some(Content {
                    value: Some(summary),
                    content_type: Some("text".into()),
                    ..Content::default()
                }),
                ..Entry::default()
            }
        })
        .collect();
    let feed = Feed {
        id: if ai_only {
            "urn:policywatch:changes:ai".into()
        } else {
            "urn:policywatch:changes".into()
        },
        title: Text::plain(if ai_only {
            "policywatch: AI-relevant changes"
        } else {
            "policywatch: changes"
        }),
        updated: entries.first().map(|e| e.updated).unwrap_or_default(),
        authors: vec![Person {
            name: "policywatch".into(),
            ..Person::default()
        }],
        entries,
        ..Feed::default()
    };
    feed.to_string()
}
