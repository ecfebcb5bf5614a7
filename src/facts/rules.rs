//! Fact rules as data: the built-in TOML, the watchlist's `[[fact_rule]]`s, and their
//! compilation. Matching reuses the classification rules' matcher (terms, regex, with, except),
//! so a term means the same thing in both.

use serde::{Deserialize, Serialize};

use super::Fact;
use crate::classify::{Rule, RuleSpec};

/// The built-in fact rules, as shipped (printed by `policywatch rules --facts`).
pub const DEFAULT_FACT_RULES: &str = include_str!("default_facts.toml");

/// One fact rule as written in TOML.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FactRuleSpec {
    /// Stable id; a watchlist rule with a built-in's id replaces it.
    pub id: String,
    /// The fact it answers (`trains_ai`, `legal_basis`, …).
    pub fact: String,
    /// The value it gives (one of the fact's vocabulary; `date` for `effective_date`).
    pub value: String,
    /// Words or phrases, one of which must be in the sentence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<String>,
    /// Regular expressions, one of which must match the sentence (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regex: Vec<String>,
    /// Lists of terms, one of each of which must be in the same sentence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub with: Vec<Vec<String>>,
    /// Phrases blanked out before matching (look-alikes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
    /// Terms that, in the sentence, keep it from counting (negations, announcements).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unless: Vec<String>,
    /// Facts one of which the sentence's passage must also state (other than `no`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub near: Vec<String>,
    /// `false` turns a built-in rule off.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FactRuleFile {
    fact_rule: Vec<FactRuleSpec>,
}

/// A compiled fact rule.
#[derive(Debug, Clone)]
pub struct FactRule {
    /// Stable id.
    pub id: String,
    /// The fact it answers.
    pub fact: Fact,
    /// The value it gives (`date` for dates).
    pub value: String,
    pub(super) matcher: Rule,
    pub(super) unless: Option<Rule>,
    pub(super) near: Vec<Fact>,
}

impl FactRule {
    /// Compiles a spec; the error names the key at fault.
    pub fn compile(spec: &FactRuleSpec) -> Result<Self, (&'static str, String)> {
        let fact: Fact = spec.fact.parse().map_err(|e| ("fact", e))?;
        let known = fact.vocabulary();
        let valid = if fact == Fact::EffectiveDate {
            spec.value == "date"
        } else {
            known.contains(&spec.value.as_str()) && spec.value != super::NOT_STATED
        };
        if !valid {
            let expected = if fact == Fact::EffectiveDate {
                "\"date\"".to_string()
            } else {
                known
                    .iter()
                    .filter(|v| **v != super::NOT_STATED)
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err((
                "value",
                format!(
                    "{:?} is not a value of {}: use {expected}",
                    spec.value, spec.fact
                ),
            ));
        }
        let near = spec
            .near
            .iter()
            .map(|n| n.parse::<Fact>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ("near", e))?;
        let matcher = Rule::compile(&spec.matcher()).map_err(|e| (e.field, e.message))?;
        let unless = if spec.unless.is_empty() {
            None
        } else {
            let unless = RuleSpec {
                terms: spec.unless.clone(),
                ..matcher_of(&spec.id)
            };
            Some(Rule::compile(&unless).map_err(|e| ("unless", e.message))?)
        };
        Ok(Self {
            id: spec.id.clone(),
            fact,
            value: spec.value.clone(),
            matcher,
            unless,
            near,
        })
    }

    /// Whether the normalised sentence counts for this rule (its passage aside).
    pub(super) fn matches(&self, normalised: &str) -> bool {
        self.matcher.is_match(normalised)
            && !self.unless.as_ref().is_some_and(|u| u.is_match(normalised))
    }
}

/// A classification spec with only an id: the matcher of a fact rule is the classification
/// rules' matcher, so terms mean the same in both.
fn matcher_of(id: &str) -> RuleSpec {
    RuleSpec {
        id: id.to_string(),
        severity: "low".into(),
        description: String::new(),
        ai: true,
        kind: None,
        terms: Vec::new(),
        regex: Vec::new(),
        with: Vec::new(),
        except: Vec::new(),
        enabled: true,
        language: None,
    }
}

impl FactRuleSpec {
    /// What the rule matches, as a classification spec (its `unless` and `near` aside).
    pub(super) fn matcher(&self) -> RuleSpec {
        RuleSpec {
            terms: self.terms.clone(),
            regex: self.regex.clone(),
            with: self.with.clone(),
            except: self.except.clone(),
            ..matcher_of(&self.id)
        }
    }
}

/// The built-in specs.
pub fn builtin_specs() -> Vec<FactRuleSpec> {
    // Invariant: the compiled-in file parses (covered by a unit test).
    toml::from_str::<FactRuleFile>(DEFAULT_FACT_RULES)
        .map(|f| f.fact_rule)
        .unwrap_or_else(|e| unreachable!("built-in fact rules: {e}"))
}

/// The effective specs: built-ins, replaced or extended by the watchlist's with the same id.
pub fn merge(user: &[FactRuleSpec]) -> Vec<FactRuleSpec> {
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

/// Specs as TOML (`[[fact_rule]]` tables).
pub fn specs_toml(specs: &[FactRuleSpec]) -> String {
    toml::to_string(&FactRuleFile {
        fact_rule: specs.to_vec(),
    })
    .unwrap_or_default()
}

/// The short hash of merged specs that [`FactRules::fingerprint`] holds, without compiling them.
pub fn fingerprint(specs: &[FactRuleSpec]) -> String {
    blake3::hash(specs_toml(specs).as_bytes()).to_hex()[..16].to_string()
}

/// A compiled set of fact rules, with a fingerprint of the specs they came from (stored with
/// every version's facts, so `facts --recompute` knows which are stale).
#[derive(Debug, Clone)]
pub struct FactRules {
    /// In order: precedence for one-valued facts.
    pub rules: Vec<FactRule>,
    /// The specs they came from.
    pub specs: Vec<FactRuleSpec>,
    /// Short hash of the specs.
    pub fingerprint: String,
    gates: (super::read::Gate, super::read::Gate),
}

impl FactRules {
    /// Compiles the built-ins merged with the watchlist's rules; an error names the rule.
    pub fn build(user: &[FactRuleSpec]) -> Result<Self, String> {
        Self::from_specs(merge(user))
    }

    /// Compiles specs already merged, in their order.
    pub fn from_specs(specs: Vec<FactRuleSpec>) -> Result<Self, String> {
        let rules = specs
            .iter()
            .map(|s| {
                FactRule::compile(s).map_err(|(k, m)| format!("fact rule {:?}: {k}: {m}", s.id))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let fingerprint = fingerprint(&specs);
        let mut set = Self {
            rules,
            specs,
            fingerprint,
            gates: Default::default(),
        };
        set.gates = (
            super::read::Gate::build(&set, |r| r.near.is_empty())?,
            super::read::Gate::build(&set, |r| !r.near.is_empty())?,
        );
        Ok(set)
    }

    /// The gates of the rules read everywhere, and of those read near a stated fact.
    pub(super) fn gates(&self) -> (&super::read::Gate, &super::read::Gate) {
        (&self.gates.0, &self.gates.1)
    }

    /// The built-in rules alone.
    pub fn builtin() -> Self {
        Self::build(&[]).unwrap_or_else(|e| unreachable!("built-in fact rules compile: {e}"))
    }
}
