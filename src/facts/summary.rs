//! A change told in plain words: which facts moved (before → after, with the quote), a
//! headline for the mail subject, and a summary of at most three sentences built from
//! templates over the facts and the matched sentences, never free text.

use serde::{Deserialize, Serialize};

use super::{Fact, Facts, NOT_STATED};
use crate::classify::{Side, Verdict};

/// One fact that moved between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactChange {
    /// The fact.
    pub fact: Fact,
    /// Its value before.
    pub from: String,
    /// Its value now.
    pub to: String,
    /// The sentence the new value was read from (the old one's when it is now `not_stated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// The new value's note (region, conditions).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The facts that moved, most important first.
pub fn changes(old: &Facts, new: &Facts) -> Vec<FactChange> {
    let mut out = Vec::new();
    for fact in Fact::ALL {
        let (from, to) = (old.value(fact), new.value(fact));
        if from == to {
            continue;
        }
        let (quote, note) = match new.get(fact).or_else(|| old.get(fact)) {
            Some(f) => (f.quotes.first().cloned(), f.note.clone()),
            None => (None, String::new()),
        };
        // a set's change is quoted where a category it gained (else lost) is named
        let quote = if fact == Fact::DataCategories {
            let (was, now): (Vec<&str>, Vec<&str>) =
                (from.split(',').collect(), to.split(',').collect());
            let gained = now
                .iter()
                .find(|c| !was.contains(c))
                .and_then(|c| new.get(fact).and_then(|f| f.per_value.get(*c)).cloned());
            let lost = || {
                was.iter()
                    .find(|c| !now.contains(c))
                    .and_then(|c| old.get(fact).and_then(|f| f.per_value.get(*c)).cloned())
            };
            gained.or_else(lost).or(quote)
        } else {
            quote
        };
        out.push(FactChange {
            fact,
            from: from.to_string(),
            to: to.to_string(),
            quote,
            note: if new.get(fact).is_some() {
                note
            } else {
                String::new()
            },
        });
    }
    out.sort_by_key(|c| c.fact);
    out
}

impl FactChange {
    /// "from → to"; for `data_categories` the categories added and dropped ("+posts -feedback").
    pub fn short(&self) -> String {
        if self.fact != Fact::DataCategories || self.from == NOT_STATED || self.to == NOT_STATED {
            return format!("{}: {} → {}", self.fact, self.from, self.to);
        }
        let (old, new): (Vec<&str>, Vec<&str>) =
            (self.from.split(',').collect(), self.to.split(',').collect());
        let mut parts: Vec<String> = new
            .iter()
            .filter(|c| !old.contains(c))
            .map(|c| format!("+{c}"))
            .collect();
        parts.extend(
            old.iter()
                .filter(|c| !new.contains(c))
                .map(|c| format!("-{c}")),
        );
        format!("{}: {}", self.fact, parts.join(" "))
    }
}

/// What a value says, as a clause ("LinkedIn trains …"); `None` for `not_stated`.
fn clause(fact: Fact, value: &str) -> Option<String> {
    if value == NOT_STATED {
        return None;
    }
    let s = match (fact, value) {
        (Fact::TrainsAi, "yes") => "members' data is used to train AI models".into(),
        (Fact::TrainsAi, _) => "members' data is not used to train AI models".into(),
        (Fact::TrainsGenerativeAi, "yes") => {
            "members' data is used to train generative (content-generating) AI models".into()
        }
        (Fact::TrainsGenerativeAi, _) => {
            "members' data is not used to train generative AI models".into()
        }
        (Fact::LegalBasis, v) => format!("AI training relies on {}", v.replace('_', " ")),
        (Fact::OptOut, "yes") => "members can opt out of that use".into(),
        (Fact::OptOut, _) => "members cannot opt out of that use".into(),
        (Fact::OptOutRetroactive, "no") => {
            "opting out does not undo training already done".into()
        }
        (Fact::OptOutRetroactive, _) => "opting out undoes training already done".into(),
        (Fact::DefaultOn, "yes") => "the AI use is on unless the member turns it off".into(),
        (Fact::DefaultOn, _) => "the AI use is off unless the member turns it on".into(),
        (Fact::DataCategories, v) => {
            format!("AI training uses {}", v.replace(',', ", ").replace('_', " "))
        }
        (Fact::SharesPublicContentWithAffiliates, "yes") => {
            "publicly-shared content is shared with Affiliates such as Microsoft".into()
        }
        (Fact::SharesPublicContentWithAffiliates, "yes_outside_designated_countries") => {
            "publicly-shared content is shared with Affiliates such as Microsoft outside the Designated Countries (EU, EEA, Switzerland)".into()
        }
        (Fact::SharesPublicContentWithAffiliates, _) => {
            "publicly-shared content is not shared with Affiliates".into()
        }
        (Fact::SharesDataWithAffiliatesForAds, "yes") => {
            "personal data is shared with Affiliates such as Microsoft for their advertising".into()
        }
        (Fact::SharesDataWithAffiliatesForAds, _) => {
            "personal data is not shared with Affiliates for their advertising".into()
        }
        (Fact::AffiliatesTrainAi, "yes") => {
            "Affiliates such as Microsoft may train their own AI models on members' data".into()
        }
        (Fact::AffiliatesTrainAi, _) => {
            "Affiliates may not train their own AI models on members' data".into()
        }
        (Fact::AffiliatesIncludeMicrosoft, "yes") => "its Affiliates include Microsoft".into(),
        (Fact::AffiliatesIncludeMicrosoft, _) => {
            "its Affiliates definition does not name Microsoft".into()
        }
        (Fact::EffectiveDate, v) => format!("it applies from {v}"),
    };
    Some(s)
}

/// How far a value lets LinkedIn and its Affiliates go with members' data (higher: further),
/// to say whether a change widened or narrowed that.
fn reach(fact: Fact, value: &str) -> i32 {
    match (fact, value) {
        (_, NOT_STATED) => 0,
        (Fact::DataCategories, v) => v.split(',').count() as i32,
        (Fact::EffectiveDate | Fact::LegalBasis | Fact::AffiliatesIncludeMicrosoft, _) => 0,
        // a member's control: having it narrows what can be done
        (Fact::OptOut | Fact::OptOutRetroactive, "yes") => -1,
        (Fact::OptOut | Fact::OptOutRetroactive, _) => 1,
        (Fact::SharesPublicContentWithAffiliates, "yes_outside_designated_countries") => 1,
        (_, "yes") => 2,
        _ => -1,
    }
}

/// The direction of one change: "widened", "narrowed", "added", "removed" or "changed".
pub fn direction(c: &FactChange) -> &'static str {
    let (a, b) = (reach(c.fact, &c.from), reach(c.fact, &c.to));
    if b > a {
        "widened"
    } else if b < a {
        "narrowed"
    } else if c.from == NOT_STATED {
        "added"
    } else if c.to == NOT_STATED {
        "removed"
    } else {
        "changed"
    }
}

/// One plain sentence for a fact change ("The LinkedIn … now says …").
pub fn sentence(doc: &str, c: &FactChange) -> String {
    let note = if c.note.is_empty() {
        String::new()
    } else {
        format!(" ({})", c.note)
    };
    let said = match (clause(c.fact, &c.to), clause(c.fact, &c.from)) {
        (Some(now), Some(was)) => format!("now says {now}{note}, where it said {was}"),
        (Some(now), None) => format!("now says {now}{note}"),
        (None, Some(was)) => format!("no longer says {was}"),
        (None, None) => "changed".into(),
    };
    format!("{} ({}): {doc} {said}.", capitalised(direction(c)), c.fact)
}

/// A short headline for a mail subject: the most important change.
pub fn headline(changes: &[FactChange], new: &Facts) -> Option<String> {
    let c = changes.first()?;
    let basis = if matches!(c.fact, Fact::TrainsAi | Fact::TrainsGenerativeAi)
        && new.value(Fact::LegalBasis) != NOT_STATED
    {
        format!(" ({})", new.value(Fact::LegalBasis).replace('_', " "))
    } else {
        String::new()
    };
    let what = match (c.fact, c.to.as_str()) {
        (Fact::TrainsGenerativeAi, "yes") => "now trains generative AI on member data".into(),
        (Fact::TrainsAi, "yes") => "now trains AI models on member data".into(),
        (Fact::AffiliatesTrainAi, "yes") => {
            "Affiliates (Microsoft) may now train AI on member data".into()
        }
        (fact, to) => match clause(fact, to) {
            Some(now) => format!("now says {now}"),
            None => format!("no longer states {}", fact.name().replace('_', " ")),
        },
    };
    Some(format!("{what}{basis}"))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Who a change concerns, from its matched sentences: Microsoft, Affiliates, members where.
fn concerned(verdict: &Verdict, region: Option<&str>) -> String {
    let said = |w: &str| {
        verdict
            .matches
            .iter()
            .any(|m| m.sentence.to_lowercase().contains(w))
    };
    let mut who = vec!["LinkedIn".to_string()];
    if said("affiliate") {
        who.push("its Affiliates".into());
    }
    if said("microsoft") {
        who.push("Microsoft".into());
    }
    who.push(match region {
        Some(r) => format!("members covered by this document ({r})"),
        None => "members".into(),
    });
    match who.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => who.join(""),
    }
}

/// The summary of an AI-relevant change (empty when it is not one and no fact moved): at most
/// three sentences.
pub fn summary(
    doc: &str,
    region: Option<&str>,
    changes: &[FactChange],
    verdict: &Verdict,
) -> String {
    let mut out: Vec<String> = changes.iter().take(2).map(|c| sentence(doc, c)).collect();
    if changes.len() > 2 {
        let more = changes.len() - 2;
        out.push(format!(
            "{more} more fact{} moved: {}.",
            if more == 1 { "" } else { "s" },
            changes[2..]
                .iter()
                .map(|c| format!("{} {}", c.fact, direction(c)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    } else if verdict.ai_relevant {
        let count = |side| {
            let mut seen: Vec<&str> = verdict
                .matches
                .iter()
                .filter(|m| m.side == side)
                .map(|m| m.sentence.as_str())
                .collect();
            seen.sort_unstable();
            seen.dedup();
            seen.len()
        };
        let (added, removed) = (count(Side::Added), count(Side::Removed));
        let moved = match (added, removed) {
            (0, 0) => None,
            (a, 0) => Some(format!(
                "{a} sentence{} about AI training or data sharing added",
                plural(a)
            )),
            (0, r) => Some(format!(
                "{r} sentence{} about AI training or data sharing removed",
                plural(r)
            )),
            (a, r) => Some(format!(
                "{a} sentence{} about AI training or data sharing added and {r} removed",
                plural(a)
            )),
        };
        if let Some(moved) = moved {
            let facts = if changes.is_empty() {
                "; none of the facts policywatch reads moved"
            } else {
                ""
            };
            out.push(format!("{doc}: {moved}{facts}."));
        }
        if out.len() < 3 {
            out.push(format!("It concerns {}.", concerned(verdict, region)));
        }
        if verdict.announcement && out.len() < 3 {
            out.push("It announces an upcoming update.".into());
        }
    }
    out.truncate(3);
    out.join(" ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A change in plain words: the facts that moved, a headline, and the summary. Stored with the
/// change's event and printed by `check-now --json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plain {
    /// The facts that moved, most important first.
    #[serde(default)]
    pub facts_changed: Vec<FactChange>,
    /// At most three sentences (empty for a change that neither moved a fact nor touched AI).
    #[serde(default)]
    pub summary: String,
    /// The most important fact change, for a subject line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
}

impl Plain {
    /// Tells the change from `old` to `new` of the document `doc` (covering `region`).
    pub fn tell(
        doc: &str,
        region: Option<&str>,
        old: &Facts,
        new: &Facts,
        verdict: &Verdict,
    ) -> Self {
        let facts_changed = changes(old, new);
        Self {
            summary: summary(doc, region, &facts_changed, verdict),
            headline: headline(&facts_changed, new),
            facts_changed,
        }
    }

    /// One line per moved fact, before → after, with its quote.
    pub fn fact_lines(&self) -> Vec<String> {
        self.facts_changed
            .iter()
            .map(|c| {
                let quote = c
                    .quote
                    .as_deref()
                    .map(|q| format!(" — “{q}”"))
                    .unwrap_or_default();
                let note = if c.note.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", c.note)
                };
                format!("{} ({}){note}{quote}", c.short(), direction(c))
            })
            .collect()
    }
}
