//! Classify: does a change touch AI-training terms, how much, and where exactly.
//!
//! Pure. Judges the change, not the page: only the sentences a [`Change`] added, removed or
//! edited are matched against the rules ([`rules`]), never the text that merely stands
//! around them. Before matching:
//!
//! - a sentence removed in one place and added verbatim in another is a move, not a change;
//! - a removed sentence and a similar added one are an *edit*, judged by the words that
//!   changed: an edit of case, punctuation, whitespace or dates only is never relevant; an edit
//!   counts when a rule's term appears or disappears, when the changed words touch a matched
//!   term, or when they change what the sentence commits to ("may" → "will", a dropped "not").
//!
//! Severity is the highest of the matched rules'; `ai_relevant` is whether any AI rule matched;
//! a matched announcement rule marks an upcoming-update notice.

pub mod lang;
pub mod rules;
mod text;

use std::collections::HashMap;

use serde::Serialize;

use crate::diff::{Change, Line, LineKind};
pub use rules::{Rule, RuleError, RuleSet, RuleSets, RuleSpec, specs_toml};
pub use text::normalize_for_match;

/// How much a change matters.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Not about data use at all.
    #[default]
    None,
    /// Other data-use wording, or an upcoming-update notice.
    Low,
    /// AI-feature terms, opt-out mechanics.
    Medium,
    /// AI-training or affiliate data-sharing wording added, removed or widened.
    High,
}

impl Severity {
    /// The lowercase name used in JSON, the database and mail.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    /// The names [`Severity::as_str`] gives.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Self::None),
            "low" => Ok(Self::Low),
            "medium" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            other => Err(format!("unknown severity {other:?}")),
        }
    }
}

/// Whether a matched sentence was added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// In the new version only.
    Added,
    /// In the old version only.
    Removed,
}

/// One rule matched in one changed sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Match {
    /// The rule's id.
    pub rule: String,
    /// The term as it stands in the sentence.
    pub term: String,
    /// Added or removed text.
    pub side: Side,
    /// The sentence, as [`quoted`] gives it (whole unless it is pages long).
    pub sentence: String,
}

/// The longest sentence a [`Match`] quotes whole, in bytes.
const MAX_QUOTE_BYTES: usize = 2_000;

/// A sentence as a match quotes it: whole, or, when longer than any real sentence (a page with
/// no full stops), its first 2,000 bytes and "…". Renderers look matches up by this form.
pub fn quoted(sentence: &str) -> std::borrow::Cow<'_, str> {
    if sentence.len() <= MAX_QUOTE_BYTES {
        return std::borrow::Cow::Borrowed(sentence);
    }
    let mut end = MAX_QUOTE_BYTES;
    while !sentence.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}…", &sentence[..end]))
}

/// What the classifier says of one change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Verdict {
    /// Whether AI-training terms moved.
    pub ai_relevant: bool,
    /// How much it matters.
    pub severity: Severity,
    /// The terms that matched, deduplicated, in order of appearance.
    pub matched_terms: Vec<String>,
    /// Whether the change includes an upcoming-update notice.
    pub announcement: bool,
    /// Every match, with its sentence.
    pub matches: Vec<Match>,
}

impl Verdict {
    /// Folds another verdict (of another feed item) into this one.
    pub fn merge(&mut self, other: Verdict) {
        self.ai_relevant |= other.ai_relevant;
        self.severity = self.severity.max(other.severity);
        self.announcement |= other.announcement;
        for t in other.matched_terms {
            if !self.matched_terms.contains(&t) {
                self.matched_terms.push(t);
            }
        }
        self.matches.extend(other.matches);
    }
}

/// Pairing all removed with all added sentences costs their product; past this many pairs a
/// wholesale rewrite is judged sentence by sentence instead.
const MAX_PAIRINGS: usize = 40_000;
/// The matched sentences a verdict quotes. Severity, relevance and the matched terms always
/// reflect the whole change; past this many, a wholesale rewrite's further matches are not
/// kept one by one (each holds its sentence: a hostile page could otherwise hold hundreds of
/// megabytes of quotes).
const MAX_MATCHES: usize = 1_000;
/// Sentences longer than this (in bytes) are judged whole, never paired as an edit: a word
/// diff of two pages-long "sentences" (a page with no full stops) costs memory in proportion
/// to their words, and a real sentence is a few hundred characters.
const MAX_EDIT_BYTES: usize = 20_000;
/// Sentences at least this similar (by words) are an edit of one another.
const EDIT_SIMILARITY: f32 = 0.5;

/// Classifies a change with the given rules.
pub fn classify(change: &Change, rules: &RuleSet) -> Verdict {
    let removed: Vec<String> = change
        .sentences(LineKind::Removed)
        .map(Line::text)
        .collect();
    let added: Vec<String> = change.sentences(LineKind::Added).map(Line::text).collect();
    let norm = |s: &String| {
        let n = normalize_for_match(s);
        if rules.folds { lang::fold(&n) } else { n }
    };
    let old_norm: Vec<String> = removed.iter().map(norm).collect();
    let new_norm: Vec<String> = added.iter().map(norm).collect();
    let mut old_done = vec![false; removed.len()];
    let mut new_done = vec![false; added.len()];

    // moves: the same sentence removed here and added there (paired through a map: linear in
    // the sentences, however many there are)
    let mut unpaired: HashMap<String, Vec<usize>> = HashMap::new();
    for (j, n) in new_norm.iter().enumerate().rev() {
        unpaired.entry(n.to_lowercase()).or_default().push(j);
    }
    for (i, o) in old_norm.iter().enumerate() {
        if let Some(j) = unpaired.get_mut(&o.to_lowercase()).and_then(Vec::pop) {
            old_done[i] = true;
            new_done[j] = true;
        }
    }

    let mut verdict = Verdict::default();
    // edits: each removed sentence with its most similar added one
    if removed.len().saturating_mul(added.len()) <= MAX_PAIRINGS {
        for i in 0..removed.len() {
            if old_done[i] || old_norm[i].len() > MAX_EDIT_BYTES {
                continue;
            }
            let best = (0..added.len())
                .filter(|&j| !new_done[j] && new_norm[j].len() <= MAX_EDIT_BYTES)
                .map(|j| (j, text::similarity(&old_norm[i], &new_norm[j])))
                .filter(|(_, r)| *r >= EDIT_SIMILARITY)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((j, _)) = best {
                old_done[i] = true;
                new_done[j] = true;
                judge_edit(
                    rules,
                    (&removed[i], &old_norm[i]),
                    (&added[j], &new_norm[j]),
                    &mut verdict,
                );
            }
        }
    }
    for (i, s) in removed.iter().enumerate().filter(|(i, _)| !old_done[*i]) {
        for (rule, hit) in hits(rules, &old_norm[i]) {
            record(&mut verdict, rule, hit.term, Side::Removed, s);
        }
    }
    for (j, s) in added.iter().enumerate().filter(|(j, _)| !new_done[*j]) {
        for (rule, hit) in hits(rules, &new_norm[j]) {
            record(&mut verdict, rule, hit.term, Side::Added, s);
        }
    }
    verdict
}

fn hits<'r>(rules: &'r RuleSet, normalised: &str) -> Vec<(&'r Rule, rules::Hit)> {
    rules
        .rules
        .iter()
        .flat_map(|r| r.hits(normalised).into_iter().map(move |h| (r, h)))
        .collect()
}

/// An edited sentence: relevant when a term appears or disappears, when the changed words touch
/// a matched term, or when they change a commitment; never when only case, punctuation or
/// dates changed.
fn judge_edit(rules: &RuleSet, old: (&str, &str), new: (&str, &str), verdict: &mut Verdict) {
    let old_hits = hits(rules, old.1);
    let new_hits = hits(rules, new.1);
    if old_hits.is_empty() && new_hits.is_empty() {
        return;
    }
    let edit = text::word_edit(old.1, new.1);
    if text::is_trivial(&edit) {
        return;
    }
    let same =
        |a: &(&Rule, rules::Hit), b: &(&Rule, rules::Hit)| a.0.id == b.0.id && a.1.term == b.1.term;
    let touches = |span: &std::ops::Range<usize>, changed: &[std::ops::Range<usize>]| {
        changed
            .iter()
            .any(|c| c.start < span.end && span.start < c.end)
    };
    let gone: Vec<&(&Rule, rules::Hit)> = old_hits
        .iter()
        .filter(|h| !new_hits.iter().any(|n| same(n, h)))
        .collect();
    let fresh = new_hits
        .iter()
        .any(|h| !old_hits.iter().any(|o| same(o, h)));
    let relevant = fresh
        || !gone.is_empty()
        || text::changes_commitment(&edit)
        || old_hits.iter().any(|h| touches(&h.1.span, &edit.old))
        || new_hits.iter().any(|h| touches(&h.1.span, &edit.new));
    if !relevant {
        return;
    }
    // The sentence changed what it says: all it now says counts (a training sentence that gained
    // a data category is training wording widened), and what it no longer says.
    for h in gone {
        record(verdict, h.0, h.1.term.clone(), Side::Removed, old.0);
    }
    for h in &new_hits {
        record(verdict, h.0, h.1.term.clone(), Side::Added, new.0);
    }
}

fn record(verdict: &mut Verdict, rule: &Rule, term: String, side: Side, sentence: &str) {
    verdict.severity = verdict.severity.max(rule.severity);
    verdict.ai_relevant |= rule.ai;
    verdict.announcement |= rule.announcement;
    if !verdict.matched_terms.contains(&term) {
        verdict.matched_terms.push(term.clone());
    }
    if verdict.matches.len() >= MAX_MATCHES {
        return;
    }
    verdict.matches.push(Match {
        rule: rule.id.clone(),
        term,
        side,
        sentence: quoted(sentence).into_owned(),
    });
}

#[cfg(test)]
mod tests;
