//! Classify: how much a change matters for AI-training terms.
//!
//! This file holds the verdict types the rest of the pipeline reports. The rule engine that
//! fills them (matching added, removed and edited sentences against AI-training rules) is the
//! subject of its own issue; until it lands every change is reported as not AI-relevant, with
//! severity `none` and no matched terms, which is what `check-now --json` documents.

use serde::Serialize;

/// How much a change matters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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

/// What the classifier says of one change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Whether AI-training terms moved.
    pub ai_relevant: bool,
    /// How much it matters.
    pub severity: Severity,
    /// The terms that matched, deduplicated.
    pub matched_terms: Vec<String>,
}
