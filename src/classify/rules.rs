//! Rules as data: the built-in TOML, user overrides, and their compilation into matchers.
//!
//! A [`RuleSpec`] is what a user writes (`[[rule]]`); [`Rule`] is the compiled form. Terms
//! become case-insensitive, word-bounded regexes tolerant of inflection (`train` matches
//! trains, trained, training) and of hyphen/space variants (`opt out` matches opt-out).

use regex::Regex as UserRegex;
use regex_automata::meta::Regex;
use serde::{Deserialize, Serialize};

use super::Severity;
use super::text::normalize_for_match;

/// The built-in rules, as shipped (printed by `policywatch rules`).
pub const DEFAULT_RULES: &str = include_str!("default_rules.toml");

/// One rule as written in TOML.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable id; a user rule with a built-in's id replaces it.
    pub id: String,
    /// "high" | "medium" | "low".
    pub severity: String,
    /// What the rule is about, for people.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Whether a match makes a change AI-relevant (default true).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub ai: bool,
    /// `"announcement"` for upcoming-update notices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Words or phrases, any of which triggers the rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<String>,
    /// Regular expressions, any of which triggers the rule (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regex: Vec<String>,
    /// Lists of terms, one of each of which must be in the same sentence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub with: Vec<Vec<String>>,
    /// Phrases blanked out before matching (look-alikes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
    /// `false` turns a built-in rule off.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// The language whose text it reads (`de`, `fr`…); none: every language (a watchlist
    /// rule) or English (a built-in of the English file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rule: Vec<RuleSpec>,
}

/// What is wrong with a rule, and in which of its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The key of the rule at fault (`terms`, `regex`, `severity`, …).
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable id.
    pub id: String,
    /// Severity of a match.
    pub severity: Severity,
    /// Whether a match makes a change AI-relevant.
    pub ai: bool,
    /// Whether this rule recognises upcoming-update notices.
    pub announcement: bool,
    /// For people.
    pub description: String,
    primary: Regex,
    with: Vec<Regex>,
    except: Option<Regex>,
}

/// A rule's hit in one sentence (spans are in the normalised sentence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The term as it stands in the sentence, lowercased.
    pub term: String,
    /// Byte range in the normalised sentence.
    pub span: std::ops::Range<usize>,
}

impl Rule {
    /// Compiles a spec.
    pub fn compile(spec: &RuleSpec) -> Result<Self, RuleError> {
        let err = |field, message: String| RuleError { field, message };
        let severity = match spec.severity.as_str() {
            "high" => Severity::High,
            "medium" => Severity::Medium,
            "low" => Severity::Low,
            other => {
                return Err(err(
                    "severity",
                    format!("unknown severity {other:?}: use high, medium or low"),
                ));
            }
        };
        let announcement = match spec.kind.as_deref() {
            None => false,
            Some("announcement") => true,
            Some(other) => {
                return Err(err(
                    "kind",
                    format!("unknown kind {other:?}: only \"announcement\""),
                ));
            }
        };
        let alternatives = primary_patterns(spec)?;
        let primary = alternation(&alternatives).map_err(|m| err("regex", m))?;
        let mut with = Vec::new();
        for group in &spec.with {
            if group.is_empty() {
                return Err(err(
                    "with",
                    "each `with` list needs at least one term".into(),
                ));
            }
            let pats = group
                .iter()
                .map(|t| term_pattern(t, spec.language.as_deref()))
                .collect::<Result<Vec<_>, _>>();
            with.push(alternation(&pats.map_err(|m| err("with", m))?).map_err(|m| err("with", m))?);
        }
        let except = if spec.except.is_empty() {
            None
        } else {
            let pats = spec
                .except
                .iter()
                .map(|t| term_pattern(t, spec.language.as_deref()))
                .collect::<Result<Vec<_>, _>>();
            Some(alternation(&pats.map_err(|m| err("except", m))?).map_err(|m| err("except", m))?)
        };
        Ok(Self {
            id: spec.id.clone(),
            severity,
            ai: spec.ai,
            announcement,
            description: spec.description.clone(),
            primary,
            with,
            except,
        })
    }

    /// Whether the rule matches a normalised sentence (as [`Rule::hits`] is not empty, without
    /// collecting the hits).
    pub fn is_match(&self, normalised: &str) -> bool {
        if self.except.as_ref().is_some_and(|e| e.is_match(normalised)) {
            return !self.hits(normalised).is_empty();
        }
        self.primary.is_match(normalised) && self.with.iter().all(|w| w.is_match(normalised))
    }

    /// The rule's hits in a normalised sentence (empty when a `with` list is not satisfied).
    pub fn hits(&self, normalised: &str) -> Vec<Hit> {
        let masked;
        let text = match &self.except {
            Some(except) if except.is_match(normalised) => {
                // Blank look-alikes with spaces of the same byte length, so spans stay valid.
                let mut blanked = normalised.to_string();
                for m in except.find_iter(normalised) {
                    blanked.replace_range(m.range(), &" ".repeat(m.len()));
                }
                masked = blanked;
                masked.as_str()
            }
            _ => normalised,
        };
        if !self.with.iter().all(|w| w.is_match(text)) {
            return Vec::new();
        }
        let mut hits: Vec<Hit> = Vec::new();
        for m in self.primary.find_iter(text) {
            let term = text[m.range()].to_lowercase();
            if !hits.iter().any(|h| h.term == term) {
                hits.push(Hit {
                    term,
                    span: m.range(),
                });
            }
        }
        hits
    }
}

/// A rule's `terms` and `regex` as regex sources, any of which triggers it (validated).
pub fn primary_patterns(spec: &RuleSpec) -> Result<Vec<String>, RuleError> {
    let err = |field, message: String| RuleError { field, message };
    if spec.terms.is_empty() && spec.regex.is_empty() {
        return Err(err("terms", "a rule needs `terms` or `regex`".into()));
    }
    let mut alternatives: Vec<String> = Vec::new();
    for t in &spec.terms {
        alternatives.push(term_pattern(t, spec.language.as_deref()).map_err(|m| err("terms", m))?);
    }
    for r in &spec.regex {
        UserRegex::new(r).map_err(|e| {
            let why = e
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_string();
            err("regex", format!("invalid regex {r:?}: {why}"))
        })?;
        alternatives.push(format!("(?:{r})"));
    }
    Ok(alternatives)
}

/// One case-insensitive regex for a list of patterns.
///
/// Built without a literal prefilter: rules only ever search single changed sentences, where a
/// prefilter saves nothing, while extracting the literals of hundreds of inflected, case-folded
/// alternatives and building their Aho-Corasick automaton was most of the compile time (which
/// every `check-now` and every round of the daemon pays) and a third of the rules' memory.
fn alternation(patterns: &[String]) -> Result<Regex, String> {
    Regex::builder()
        .configure(Regex::config().auto_prefilter(false))
        .build(&format!("(?i)(?:{})", patterns.join("|")))
        .map_err(|e| format!("cannot compile: {e}"))
}

/// A term as a regex: each word inflected, words joined by optional spaces or hyphens, the
/// whole on word boundaries. English words get English inflections; a word of another language
/// becomes its Snowball stem (rust-stemmers) followed by any ending, so `entraîner` matches
/// entraînement and entraînons, `trainieren` trainiert, `addestrare` addestrati. In German and
/// Dutch, which write compounds as one word, a long stem also matches inside one
/// (`modell` in Sprachmodelle, `trainingsdaten` through `training`).
fn term_pattern(term: &str, language: Option<&str>) -> Result<String, String> {
    let normalised = normalize_for_match(term);
    let words: Vec<&str> = normalised
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Err(format!("empty term {term:?}"));
    }
    let lang = language.map(super::lang::primary).filter(|l| l != "en");
    let Some(stemmer) = lang.as_deref().and_then(super::lang::stemmer) else {
        let inner = words
            .iter()
            .map(|w| inflect(w))
            .collect::<Vec<_>>()
            .join(r"[\s\-]*");
        return Ok(format!(r"\b{inner}\b"));
    };
    let compounds = matches!(lang.as_deref(), Some("de" | "nl"));
    let mut open = true;
    let mut parts = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let (pattern, stemmed) = super::lang::stem_pattern(w, &stemmer);
        if i == 0 && compounds && stemmed.is_some_and(|s| s.chars().count() >= 6) {
            open = false;
        }
        parts.push(pattern);
    }
    let inner = parts.join(r"[\s\-]*");
    Ok(if open {
        format!(r"\b{inner}\b")
    } else {
        format!(r"{inner}\b")
    })
}

/// A word with its common English inflections.
fn inflect(word: &str) -> String {
    let esc = regex::escape(word);
    let alpha = word.chars().all(char::is_alphabetic);
    let acronym = word.chars().filter(|c| c.is_uppercase()).count() >= 2;
    if !alpha {
        return esc;
    }
    if acronym || word.chars().count() <= 2 {
        return format!("{esc}s?");
    }
    let lower = word.to_lowercase();
    let (stem, last) = lower.split_at(lower.len() - 1);
    let stem = regex::escape(stem);
    let before_last = stem.chars().last().unwrap_or('a');
    if last == "e" {
        format!("{stem}(?:e|es|ed|ing)")
    } else if last == "y" && !"aeiou".contains(before_last) {
        format!("{stem}(?:y|ies|ied|ying)")
    } else if "bdgklmnprt".contains(last) && "aeiou".contains(before_last) {
        format!("{esc}(?:s|es|ed|ing|{last}ed|{last}ing)?")
    } else {
        format!("{esc}(?:s|es|ed|ing)?")
    }
}

/// The built-in specs.
pub fn builtin_specs() -> Vec<RuleSpec> {
    // Invariant: the compiled-in file parses (covered by a unit test).
    toml::from_str::<RuleFile>(DEFAULT_RULES)
        .map(|f| f.rule)
        .unwrap_or_else(|e| unreachable!("built-in rules: {e}"))
}

/// The built-in specs of a language (`de-DE` reads as `de`); a language without rules of its
/// own gets none (its targets use the English rules: see [`merge_for`]).
pub fn builtin_specs_for(language: &str) -> Option<Vec<RuleSpec>> {
    let lang = super::lang::primary(language);
    if lang == "en" {
        return Some(builtin_specs());
    }
    let file = super::lang::builtin_file(&lang)?;
    // Invariant: the compiled-in files parse (covered by a unit test).
    let mut specs = toml::from_str::<RuleFile>(file)
        .map(|f| f.rule)
        .unwrap_or_else(|e| unreachable!("built-in {lang} rules: {e}"));
    for s in &mut specs {
        s.language = Some(lang.clone());
    }
    Some(specs)
}

/// The effective rules of a language: its built-ins (English ones for a language that has
/// none), replaced or extended by the user specs that name this language or none.
pub fn merge_for(language: &str, user: &[RuleSpec]) -> Vec<RuleSpec> {
    let lang = super::lang::primary(language);
    let (mut specs, own) = match builtin_specs_for(&lang) {
        Some(s) => (s, lang.clone()),
        None => (builtin_specs(), "en".to_string()),
    };
    for u in user.iter().filter(|u| {
        u.language
            .as_deref()
            .is_none_or(|l| super::lang::primary(l) == lang)
    }) {
        let mut u = u.clone();
        // a rule for every language reads this one's words
        if u.language.is_none() && own != "en" {
            u.language = Some(own.clone());
        }
        match specs.iter_mut().find(|s| s.id == u.id) {
            Some(s) => *s = u,
            None => specs.push(u),
        }
    }
    specs.retain(|s| s.enabled);
    specs
}

/// Rule specs as TOML (`[[rule]]` tables), as `policywatch rules` prints them.
pub fn specs_toml(specs: &[RuleSpec]) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        rule: &'a [RuleSpec],
    }
    toml::to_string(&Out { rule: specs }).unwrap_or_default()
}

/// The effective rules: built-ins, replaced or extended by user specs with the same id.
pub fn merge(user: &[RuleSpec]) -> Vec<RuleSpec> {
    let mut specs = builtin_specs();
    for u in user {
        match specs.iter_mut().find(|s| s.id == u.id) {
            Some(s) => *s = u.clone(),
            None => specs.push(u.clone()),
        }
    }
    specs.retain(|s| s.enabled);
    specs
}

/// A compiled set of rules.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// In order: built-ins first, then user additions.
    pub rules: Vec<Rule>,
    /// The specs they came from (for `policywatch rules`).
    pub specs: Vec<RuleSpec>,
    /// Whether the rules read text with its accents folded away (every language but English:
    /// their terms are folded too).
    pub folds: bool,
}

impl RuleSet {
    /// Compiles the built-ins merged with user specs. User specs are validated by the config
    /// loader first; a failure here names the rule.
    pub fn build(user: &[RuleSpec]) -> Result<Self, String> {
        Self::compile(merge(user))
    }

    /// Compiles specs already merged (a set's own `specs`), in their order.
    pub fn compile(specs: Vec<RuleSpec>) -> Result<Self, String> {
        let rules = specs
            .iter()
            .map(|s| {
                Rule::compile(s).map_err(|e| format!("rule {:?}: {}: {}", s.id, e.field, e.message))
            })
            .collect::<Result<_, _>>()?;
        tracing::debug!(rules = specs.len(), "classification rules compiled");
        let folds = specs
            .iter()
            .any(|s| s.language.as_deref().is_some_and(|l| l != "en"));
        Ok(Self {
            rules,
            specs,
            folds,
        })
    }

    /// The built-in rules alone.
    pub fn builtin() -> Self {
        Self::build(&[]).unwrap_or_else(|e| unreachable!("built-in rules compile: {e}"))
    }

    /// The effective rules as TOML.
    pub fn to_toml(&self) -> String {
        specs_toml(&self.specs)
    }
}

/// The compiled rules of each language the targets read, English always among them.
#[derive(Debug, Clone, Default)]
pub struct RuleSets {
    sets: Vec<(String, RuleSet)>,
}

impl RuleSets {
    /// Compiles the rules of each of `languages` (and English) with the user specs.
    pub fn build<'a>(
        languages: impl IntoIterator<Item = &'a str>,
        user: &[RuleSpec],
    ) -> Result<Self, String> {
        let mut sets: Vec<(String, RuleSet)> = Vec::new();
        for lang in std::iter::once("en")
            .chain(languages)
            .map(super::lang::primary)
        {
            if !sets.iter().any(|(l, _)| *l == lang) {
                sets.push((lang.clone(), RuleSet::compile(merge_for(&lang, user))?));
            }
        }
        Ok(Self { sets })
    }

    /// The rules for text in `language` (English for one not compiled here).
    pub fn get(&self, language: &str) -> &RuleSet {
        static EMPTY: std::sync::LazyLock<RuleSet> = std::sync::LazyLock::new(RuleSet::default);
        let lang = super::lang::primary(language);
        self.sets
            .iter()
            .find(|(l, _)| *l == lang)
            .or_else(|| self.sets.iter().find(|(l, _)| l == "en"))
            .map_or(&*EMPTY, |(_, s)| s)
    }
}
