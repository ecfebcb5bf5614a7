//! What every channel says of an event: one [`Notice`], made from the stored event (pure), which
//! each channel's payload renders its own way.

use serde::Serialize;

use crate::classify::{Severity, Side};
use crate::facts::summary::FactChange;
use crate::notify::Event;

/// The most sentences a chat message quotes.
pub const MAX_QUOTED: usize = 3;

/// An event as the channels tell it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// alert | digest | incident | recovery | test.
    pub event: &'static str,
    /// The mail subject: a title.
    pub title: String,
    /// Target id, when the event is about one.
    pub target: Option<String>,
    /// Target name.
    pub name: Option<String>,
    /// The document's URL (or a digest's first changed document).
    pub url: Option<String>,
    /// Versions before and after a change.
    pub versions: Option<(i64, i64)>,
    /// How serious.
    pub severity: Severity,
    /// Whether AI-training terms moved.
    pub ai_relevant: bool,
    /// The change told plainly (at most three sentences), or a short account of the event.
    pub summary: String,
    /// The facts that moved.
    pub facts_changed: Vec<FactChange>,
    /// The matched sentences: (added | removed, sentence).
    pub sentences: Vec<(&'static str, String)>,
    /// The command that shows the whole diff.
    pub diff_command: Option<String>,
    /// A digest's lines (one per change), for chat.
    pub lines: Vec<String>,
}

impl Notice {
    /// The notice of a stored event.
    pub fn of(event: &Event) -> Self {
        let mut n = Notice {
            event: "test",
            title: event.subject(),
            target: None,
            name: None,
            url: None,
            versions: None,
            severity: Severity::None,
            ai_relevant: false,
            summary: String::new(),
            facts_changed: Vec::new(),
            sentences: Vec::new(),
            diff_command: None,
            lines: Vec::new(),
        };
        match event {
            Event::PageChange {
                about,
                old,
                new,
                counts,
                verdict,
                plain,
            } => {
                n.event = "alert";
                n.target = Some(about.target.clone());
                n.name = Some(about.name.clone());
                n.url = Some(about.url.clone());
                n.versions = Some((old.id.0, new.id.0));
                n.severity = verdict.severity;
                n.ai_relevant = verdict.ai_relevant;
                n.summary = if plain.summary.is_empty() {
                    format!(
                        "{} changed: {} sentences added, {} removed.",
                        about.name, counts.0, counts.1
                    )
                } else {
                    plain.summary.clone()
                };
                n.facts_changed = plain.facts_changed.clone();
                for m in &verdict.matches {
                    let side = if m.side == Side::Added {
                        "added"
                    } else {
                        "removed"
                    };
                    if !n.sentences.iter().any(|(_, s)| *s == m.sentence) {
                        n.sentences.push((side, m.sentence.clone()));
                    }
                }
                n.diff_command = Some(format!(
                    "policywatch diff {} --from {} --to {}",
                    about.target, old.id, new.id
                ));
            }
            Event::FeedItems { about, items, .. } => {
                n.event = "alert";
                n.target = Some(about.target.clone());
                n.name = Some(about.name.clone());
                n.url = items
                    .first()
                    .map(|i| i.link.clone())
                    .or(Some(about.url.clone()));
                n.severity = items
                    .iter()
                    .map(|i| i.verdict.severity)
                    .max()
                    .unwrap_or_default();
                n.ai_relevant = items.iter().any(|i| i.verdict.ai_relevant);
                n.summary = format!(
                    "{}: {} item(s) on AI-training terms: {}.",
                    about.name,
                    items.len(),
                    items
                        .iter()
                        .map(|i| i.title.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                for i in items {
                    for m in &i.verdict.matches {
                        n.sentences.push(("added", m.sentence.clone()));
                    }
                }
            }
            Event::Incident {
                about,
                failures,
                error,
            } => {
                n.event = "incident";
                n.target = Some(about.target.clone());
                n.name = Some(about.name.clone());
                n.url = Some(about.url.clone());
                n.summary = format!("{} failed {failures} checks in a row: {error}", about.name);
            }
            Event::Recovery { about } => {
                n.event = "recovery";
                n.target = Some(about.target.clone());
                n.name = Some(about.name.clone());
                n.url = Some(about.url.clone());
                n.summary = format!("{} is checked successfully again.", about.name);
            }
            Event::Digest {
                material, names, ..
            } => {
                n.event = "digest";
                let name_of = |k: &str| {
                    names
                        .iter()
                        .find(|(id, _)| id == k)
                        .map_or_else(|| k.to_string(), |(_, n)| n.clone())
                };
                let ai = material.changes.iter().filter(|c| c.2.ai_relevant).count();
                n.ai_relevant = ai > 0;
                n.severity = material
                    .changes
                    .iter()
                    .map(|c| c.2.severity)
                    .max()
                    .unwrap_or_default();
                n.summary = format!(
                    "{} changes ({ai} AI-relevant), {} failing, since the last digest.",
                    material.changes.len(),
                    material.failing.len()
                );
                n.url = material.changes.first().map(|c| c.1.clone());
                n.lines = material
                    .changes
                    .iter()
                    .map(|(key, url, v)| {
                        let what = if v.summary.is_empty() {
                            format!("{} added, {} removed", v.added, v.removed)
                        } else {
                            v.summary.clone()
                        };
                        format!("{}: {what} ({url})", name_of(key))
                    })
                    .collect();
            }
            Event::Lag(crate::notify::event::LagEvent {
                lagging,
                lagging_language,
                leading,
                changed_at,
                after,
                ..
            }) => {
                n.event = "lag";
                n.target = Some(lagging.target.clone());
                n.name = Some(lagging.name.clone());
                n.url = Some(lagging.url.clone());
                n.summary = format!(
                    "{} ({lagging_language}) has recorded no change in the {after} since {} changed wording on AI training on {}.",
                    lagging.name,
                    leading.name,
                    changed_at.get(..10).unwrap_or(changed_at)
                );
            }
            Event::Test { .. } => {
                n.summary = "policywatch can reach this channel.".into();
            }
        }
        n
    }
}
