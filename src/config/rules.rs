//! `[[rule]]` tables: user classification rules and overrides of the built-ins, checked by
//! compiling them so a broken rule fails at load time with its line and key.

use toml::Spanned;

use super::Validator;
use super::raw::{RawFactRule, RawRule};
use crate::classify::{Rule, RuleSpec};
use crate::facts::{FactRule, FactRuleSpec};

impl Validator<'_> {
    /// Checks each `[[rule]]` by compiling it, so a broken rule is an error at load time that
    /// points at its key.
    pub(super) fn rules(&mut self, raws: Vec<(String, RawRule)>) -> Vec<RuleSpec> {
        let mut specs: Vec<RuleSpec> = Vec::new();
        for (name, raw) in raws {
            let id = raw.id.get_ref().clone();
            if specs.iter().any(|s| s.id == id) {
                self.err(
                    raw.id.span().start,
                    &format!("{name}.id"),
                    format!("duplicate rule id {id:?}"),
                );
                continue;
            }
            let enabled = raw.enabled.unwrap_or(true);
            let at = |field: &str| -> usize {
                let span = match field {
                    "severity" => raw.severity.as_ref().map(Spanned::span),
                    "kind" => raw.kind.as_ref().map(Spanned::span),
                    "terms" => raw.terms.as_ref().map(Spanned::span),
                    "regex" => raw.regex.as_ref().map(Spanned::span),
                    "with" => raw.with.as_ref().map(Spanned::span),
                    "except" => raw.except.as_ref().map(Spanned::span),
                    _ => None,
                };
                span.unwrap_or_else(|| raw.id.span()).start
            };
            if enabled && raw.severity.is_none() {
                self.err(
                    at("id"),
                    &format!("{name}.severity"),
                    "missing: high, medium or low",
                );
                continue;
            }
            let spec = RuleSpec {
                id,
                severity: raw
                    .severity
                    .as_ref()
                    .map_or_else(|| "low".into(), |s| s.get_ref().clone()),
                description: raw.description.clone().unwrap_or_default(),
                ai: raw.ai.unwrap_or(true),
                kind: raw.kind.as_ref().map(|k| k.get_ref().clone()),
                terms: raw
                    .terms
                    .as_ref()
                    .map(|t| t.get_ref().clone())
                    .unwrap_or_default(),
                regex: raw
                    .regex
                    .as_ref()
                    .map(|t| t.get_ref().clone())
                    .unwrap_or_default(),
                with: raw
                    .with
                    .as_ref()
                    .map(|t| t.get_ref().clone())
                    .unwrap_or_default(),
                except: raw
                    .except
                    .as_ref()
                    .map(|t| t.get_ref().clone())
                    .unwrap_or_default(),
                enabled,
                language: raw
                    .language
                    .as_ref()
                    .map(|l| crate::classify::lang::primary(l.get_ref())),
            };
            if let Some(l) = &raw.language
                && crate::extract::language_tag(l.get_ref()).is_none()
            {
                self.err(
                    l.span().start,
                    &format!("{name}.language"),
                    format!("invalid language {:?}: a tag such as \"de\"", l.get_ref()),
                );
                continue;
            }
            if enabled && let Err(e) = Rule::compile(&spec) {
                self.err(at(e.field), &format!("{name}.{}", e.field), e.message);
                continue;
            }
            specs.push(spec);
        }
        specs
    }

    /// Checks each `[[fact_rule]]` by compiling it, so a broken rule is an error at load time
    /// that points at its key.
    pub(super) fn fact_rules(&mut self, raws: Vec<(String, RawFactRule)>) -> Vec<FactRuleSpec> {
        let mut specs: Vec<FactRuleSpec> = Vec::new();
        let builtins = crate::facts::rules::builtin_specs();
        for (name, raw) in raws {
            let id = raw.id.get_ref().clone();
            if specs.iter().any(|s| s.id == id) {
                self.err(
                    raw.id.span().start,
                    &format!("{name}.id"),
                    format!("duplicate fact rule id {id:?}"),
                );
                continue;
            }
            let at = |field: &str| -> usize {
                let span = match field {
                    "fact" => raw.fact.as_ref().map(Spanned::span),
                    "value" => raw.value.as_ref().map(Spanned::span),
                    "terms" => raw.terms.as_ref().map(Spanned::span),
                    "regex" => raw.regex.as_ref().map(Spanned::span),
                    "with" => raw.with.as_ref().map(Spanned::span),
                    "except" => raw.except.as_ref().map(Spanned::span),
                    "unless" => raw.unless.as_ref().map(Spanned::span),
                    "near" => raw.near.as_ref().map(Spanned::span),
                    _ => None,
                };
                span.unwrap_or_else(|| raw.id.span()).start
            };
            let enabled = raw.enabled.unwrap_or(true);
            // a rule that only turns a built-in off needs nothing else
            let base = builtins.iter().find(|b| b.id == id);
            let list = |l: &Option<Spanned<Vec<String>>>, from: Option<&Vec<String>>| {
                l.as_ref()
                    .map(|t| t.get_ref().clone())
                    .or_else(|| from.cloned())
                    .unwrap_or_default()
            };
            let (Some(fact), Some(value)) = (
                raw.fact
                    .as_ref()
                    .map(|f| f.get_ref().clone())
                    .or_else(|| base.map(|b| b.fact.clone())),
                raw.value
                    .as_ref()
                    .map(|v| v.get_ref().clone())
                    .or_else(|| base.map(|b| b.value.clone())),
            ) else {
                self.err(
                    at("id"),
                    &format!("{name}.fact"),
                    "a new fact rule needs `fact` and `value`",
                );
                continue;
            };
            let spec = FactRuleSpec {
                id,
                fact,
                value,
                terms: list(&raw.terms, base.map(|b| &b.terms)),
                regex: list(&raw.regex, base.map(|b| &b.regex)),
                with: raw
                    .with
                    .as_ref()
                    .map(|t| t.get_ref().clone())
                    .or_else(|| base.map(|b| b.with.clone()))
                    .unwrap_or_default(),
                except: list(&raw.except, base.map(|b| &b.except)),
                unless: list(&raw.unless, base.map(|b| &b.unless)),
                near: list(&raw.near, base.map(|b| &b.near)),
                enabled,
            };
            if enabled && let Err((field, message)) = FactRule::compile(&spec) {
                self.err(at(field), &format!("{name}.{field}"), message);
                continue;
            }
            specs.push(spec);
        }
        specs
    }
}
