//! An Atom feed of detected changes (`policywatch feed --out FILE`), for feed readers.
//!
//! Pure: changes in, XML out. Every entry's id is derived from the target and the version
//! (`urn:policywatch:change:<target>:<version>`), so a reader shows each change once however
//! often the file is rewritten. Written with atom_syndication, which escapes all text.

use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};

use crate::store::ChangeRow;

/// Which changes a feed carries: its id and title.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every recorded change.
    All,
    /// AI-relevant changes only.
    Ai,
    /// One target's changes: its id and name.
    Target(&'a str, &'a str),
}

impl Scope<'_> {
    fn id(&self) -> String {
        match self {
            Self::All => "urn:policywatch:changes".into(),
            Self::Ai => "urn:policywatch:changes:ai".into(),
            Self::Target(id, _) => format!("urn:policywatch:changes:target:{id}"),
        }
    }

    fn title(&self) -> String {
        match self {
            Self::All => "policywatch: changes".into(),
            Self::Ai => "policywatch: AI-relevant changes".into(),
            Self::Target(_, name) => format!("policywatch: {name}"),
        }
    }
}

fn date(s: &str) -> FixedDateTime {
    chrono::DateTime::parse_from_rfc3339(s).unwrap_or_default()
}

/// The feed of `changes` (newest first); `name_of` gives a target's name.
pub fn changes_feed(
    changes: &[ChangeRow],
    name_of: &dyn Fn(&str) -> String,
    scope: Scope<'_>,
) -> String {
    let entries: Vec<Entry> = changes
        .iter()
        .map(
            |ChangeRow {
                 target,
                 url,
                 version: v,
             }| {
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
                        None => {
                            format!("{name}: {what} ({} added, {} removed)", v.added, v.removed)
                        }
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
            },
        )
        .collect();
    let feed = Feed {
        id: scope.id(),
        title: Text::plain(scope.title()),
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
