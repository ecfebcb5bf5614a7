//! Events: what happened, as the outbox keeps it until a channel delivers it.
//!
//! A check records *events* (a change with its two versions and verdict, a feed's AI-relevant
//! items, an incident, a recovery; a digest or a test message) in the same transaction as what
//! they report, so "never lose an alert" holds. A channel turns an event into its message when
//! it delivers it ([`Event::render`] for mail); a page change's diff is made again then from the
//! two stored versions, so a large change is never stored twice. The subject is also kept with
//! the outbox rows, for `policywatch outbox`.

use serde::{Deserialize, Serialize};

use super::render::{self, AlertInput, ItemAlert, Rendered};
use crate::classify::Verdict;
use crate::diff::Change;
use crate::facts::summary::Plain;
use crate::store::{DigestMaterial, VersionId};

/// A stored version, as an event names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionAt {
    /// Version id.
    pub id: VersionId,
    /// When it was recorded (RFC 3339).
    pub at: String,
}

/// An AI-relevant item of a feed, with what its article said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemEvent {
    /// New (else changed).
    pub new: bool,
    /// Title.
    pub title: String,
    /// Date, as the feed gave it.
    pub date: String,
    /// Link.
    pub link: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// Sentences quoted from the linked article.
    pub quotes: Vec<String>,
    /// Why the article could not be quoted.
    pub quote_error: Option<String>,
}

/// A language of a document that has not followed another's AI-relevant change in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LagEvent {
    /// The language that did not follow.
    pub lagging: About,
    /// Its language.
    pub lagging_language: String,
    /// The language that changed.
    pub leading: About,
    /// Its language.
    pub leading_language: String,
    /// When it changed (RFC 3339).
    pub changed_at: String,
    /// How long the other was given, for people ("14 days").
    pub after: String,
}

/// The target an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct About {
    /// Target id.
    pub target: String,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A page changed in a way that is mailed at once.
    PageChange {
        /// The page.
        about: About,
        /// The version before.
        old: VersionAt,
        /// The version recorded.
        new: VersionAt,
        /// Sentences added and removed.
        counts: (usize, usize),
        /// The verdict on the change.
        verdict: Verdict,
        /// The change in plain words (events stored before facts existed have none).
        #[serde(default)]
        plain: Plain,
    },
    /// A feed has AI-relevant new or changed items.
    FeedItems {
        /// The feed.
        about: About,
        /// The version recorded.
        version: VersionId,
        /// The items.
        items: Vec<ItemEvent>,
    },
    /// A target failed `failures` checks in a row.
    Incident {
        /// The target.
        about: About,
        /// Failures in a row.
        failures: u32,
        /// The last error.
        error: String,
    },
    /// A target works again after an incident.
    Recovery {
        /// The target.
        about: About,
    },
    /// Everything since the previous digest.
    Digest {
        /// What it covers.
        material: DigestMaterial,
        /// Target ids and names at the time.
        names: Vec<(String, String)>,
        /// When it was made.
        at: String,
    },
    /// One language of a document has not followed another's AI-relevant change in time.
    Lag(LagEvent),
    /// `policywatch test-email`.
    Test {
        /// When it was asked for.
        at: String,
    },
}

impl Event {
    /// The versions a mail of this event shows the diff of: (target, old, new).
    pub fn diff_of(&self) -> Option<(&str, VersionId, VersionId)> {
        match self {
            Self::PageChange {
                about, old, new, ..
            } => Some((about.target.as_str(), old.id, new.id)),
            _ => None,
        }
    }

    /// The mail, with `change` the diff of [`diff_of`](Self::diff_of)'s versions (`None` when
    /// they are gone: the mail then says so).
    pub fn render(&self, change: Option<&Change>, max_body: usize) -> Rendered {
        match self {
            Self::PageChange {
                about,
                old,
                new,
                counts,
                verdict,
                plain,
            } => {
                let missing = Change {
                    added: counts.0,
                    removed: counts.1,
                    ..Change::default()
                };
                render::alert(&AlertInput {
                    target: &about.target,
                    name: &about.name,
                    url: &about.url,
                    old: (old.id, &old.at),
                    new: (new.id, &new.at),
                    change: change.unwrap_or(&missing),
                    verdict,
                    max_body,
                    plain,
                })
            }
            Self::FeedItems {
                about,
                version,
                items,
            } => {
                let items: Vec<ItemAlert<'_>> = items
                    .iter()
                    .map(|i| ItemAlert {
                        new: i.new,
                        title: &i.title,
                        date: &i.date,
                        link: &i.link,
                        verdict: &i.verdict,
                        quotes: &i.quotes,
                        quote_error: i.quote_error.as_deref(),
                    })
                    .collect();
                render::feed_alert(&about.target, &about.name, &about.url, *version, &items)
            }
            Self::Incident {
                about,
                failures,
                error,
            } => render::incident(&about.target, &about.name, &about.url, *failures, error),
            Self::Recovery { about } => render::recovery(&about.target, &about.name, &about.url),
            Self::Digest {
                material,
                names,
                at,
            } => {
                let name_of = |id: &str| {
                    names
                        .iter()
                        .find(|(k, _)| k == id)
                        .map_or_else(|| id.to_string(), |(_, n)| n.clone())
                };
                render::digest(material, &name_of, at)
            }
            Self::Lag(lag) => render::lag(lag),
            Self::Test { at } => render::test_message(at),
        }
    }

    /// The subject its mail will have, for the outbox listing (no diff needed).
    pub fn subject(&self) -> String {
        self.render(None, 0).subject
    }

    /// As stored.
    pub fn to_json(&self) -> String {
        // An event is plain data (strings, numbers, enums): it always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// From storage.
    pub fn from_json(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|e| format!("unreadable event in the outbox: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{RuleSet, classify};

    #[test]
    fn an_event_survives_storage_and_renders_its_diff_at_delivery() {
        let old = "We collect data.";
        let new = "We collect data. We train AI models on your posts.";
        let change = crate::diff::diff(old, new);
        let verdict = classify(&change, &RuleSet::builtin());
        let event = Event::PageChange {
            about: About {
                target: "pp".into(),
                name: "Privacy Policy".into(),
                url: "https://example.com/p".into(),
            },
            old: VersionAt {
                id: VersionId(1),
                at: "2025-01-01T00:00:00.000Z".into(),
            },
            new: VersionAt {
                id: VersionId(2),
                at: "2025-02-01T00:00:00.000Z".into(),
            },
            plain: crate::facts::summary::Plain::tell(
                "Privacy Policy",
                Some("global"),
                &crate::facts::read(old, &crate::facts::FactRules::builtin()),
                &crate::facts::read(new, &crate::facts::FactRules::builtin()),
                &verdict,
            ),
            counts: (change.added, change.removed),
            verdict,
        };
        let back = Event::from_json(&event.to_json()).unwrap();
        assert_eq!(back, event);
        assert_eq!(back.diff_of(), Some(("pp", VersionId(1), VersionId(2))));
        let mail = back.render(Some(&change), 10_000);
        // the most important fact that moved names the mail; the body opens with the summary
        // and one line per moved fact, with its quote
        assert_eq!(
            mail.subject,
            "[high] Privacy Policy: now trains AI models on member data"
        );
        assert!(
            mail.text.starts_with("Widened (trains_ai): Privacy Policy now says members' data is used to train AI models.")
                && mail.text.contains("  - trains_ai: not_stated → yes (widened) — “We train AI models on your posts.”"),
            "{}",
            mail.text
        );
        assert!(
            mail.text.contains("We train AI models on your posts."),
            "{}",
            mail.text
        );
        assert_eq!(
            event.subject(),
            mail.subject,
            "the listing's subject is the mail's"
        );
    }
}
