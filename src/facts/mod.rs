//! The facts of a document: what one version says about members' data and AI (does LinkedIn
//! train AI on it, on what legal basis, can members opt out, which data, shared with whom, from
//! when), each read deterministically from its text by rules as data, each value other than
//! `not_stated` with the sentences it was read from.
//!
//! Pure: text and rules in, [`Facts`] out ([`read()`]); [`changes`] compares two versions' facts
//! and [`summary`] tells a change in plain words.

mod read;
pub mod rules;
pub mod summary;
#[cfg(test)]
mod tests;
mod wording;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use read::read;
pub use rules::{FactRule, FactRuleSpec, FactRules};
pub use summary::{FactChange, changes};

/// The value of a fact the document does not speak to.
pub const NOT_STATED: &str = "not_stated";

/// The facts policywatch reads, in order of importance (a change's headline is the first that
/// moved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// Members' data used to train generative (content-generating) AI models specifically.
    TrainsGenerativeAi,
    /// Members' data or content used to train, develop or improve AI models of any kind.
    TrainsAi,
    /// The legal basis given for that training.
    LegalBasis,
    /// An Affiliate (e.g. Microsoft) may train its own AI on members' data.
    AffiliatesTrainAi,
    /// Publicly-shared content shared with Affiliates.
    SharesPublicContentWithAffiliates,
    /// Personal data shared with Affiliates for their advertising.
    SharesDataWithAffiliatesForAds,
    /// Members can opt out of / object to the AI use.
    OptOut,
    /// The use is on unless the member turns it off.
    DefaultOn,
    /// Opting out undoes training already done.
    OptOutRetroactive,
    /// Member data named as used for AI training.
    DataCategories,
    /// The Affiliates definition names Microsoft.
    AffiliatesIncludeMicrosoft,
    /// The date the version says it applies from.
    EffectiveDate,
}

impl Fact {
    /// Every fact, in the order of the table (the matrix's columns).
    pub const ALL: [Fact; 12] = [
        Fact::TrainsAi,
        Fact::TrainsGenerativeAi,
        Fact::LegalBasis,
        Fact::OptOut,
        Fact::OptOutRetroactive,
        Fact::DefaultOn,
        Fact::DataCategories,
        Fact::SharesPublicContentWithAffiliates,
        Fact::SharesDataWithAffiliatesForAds,
        Fact::AffiliatesTrainAi,
        Fact::AffiliatesIncludeMicrosoft,
        Fact::EffectiveDate,
    ];

    /// The fact's name (`trains_ai`).
    pub fn name(self) -> &'static str {
        match self {
            Fact::TrainsAi => "trains_ai",
            Fact::TrainsGenerativeAi => "trains_generative_ai",
            Fact::LegalBasis => "legal_basis",
            Fact::OptOut => "opt_out",
            Fact::OptOutRetroactive => "opt_out_retroactive",
            Fact::DefaultOn => "default_on",
            Fact::DataCategories => "data_categories",
            Fact::SharesPublicContentWithAffiliates => "shares_public_content_with_affiliates",
            Fact::SharesDataWithAffiliatesForAds => "shares_data_with_affiliates_for_ads",
            Fact::AffiliatesTrainAi => "affiliates_train_ai",
            Fact::AffiliatesIncludeMicrosoft => "affiliates_include_microsoft",
            Fact::EffectiveDate => "effective_date",
        }
    }

    /// A short column title for the matrix.
    pub fn short(self) -> &'static str {
        match self {
            Fact::TrainsAi => "trains AI",
            Fact::TrainsGenerativeAi => "gen. AI",
            Fact::LegalBasis => "legal basis",
            Fact::OptOut => "opt-out",
            Fact::OptOutRetroactive => "opt-out undoes",
            Fact::DefaultOn => "default on",
            Fact::DataCategories => "data used",
            Fact::SharesPublicContentWithAffiliates => "public content→affiliates",
            Fact::SharesDataWithAffiliatesForAds => "data→affiliates ads",
            Fact::AffiliatesTrainAi => "affiliates train AI",
            Fact::AffiliatesIncludeMicrosoft => "affiliates incl. Microsoft",
            Fact::EffectiveDate => "effective",
        }
    }

    /// The closed vocabulary of its values (`effective_date`: dates, so only `not_stated`).
    pub fn vocabulary(self) -> &'static [&'static str] {
        const YES_NO: &[&str] = &["yes", "no", NOT_STATED];
        match self {
            Fact::LegalBasis => &["legitimate_interests", "consent", "contract", NOT_STATED],
            Fact::OptOutRetroactive => &["no", "yes", NOT_STATED],
            Fact::DataCategories => &CATEGORIES,
            Fact::SharesPublicContentWithAffiliates => {
                &["yes", "yes_outside_designated_countries", "no", NOT_STATED]
            }
            Fact::EffectiveDate => &[NOT_STATED],
            _ => YES_NO,
        }
    }
}

/// `data_categories`' vocabulary, in display order.
const CATEGORIES: [&str; 13] = [
    "profile",
    "posts",
    "articles",
    "comments",
    "messages",
    "job_applications",
    "group_activity",
    "feedback",
    "learning_activity",
    "generative_ai_inputs",
    "public_content",
    "other",
    NOT_STATED,
];

impl std::fmt::Display for Fact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Fact {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Fact::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Fact::ALL.iter().map(|f| f.name()).collect();
                format!("unknown fact {s:?}: use one of {}", names.join(", "))
            })
    }
}

/// What one version says for one fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The value (`data_categories`: the categories, comma-separated in vocabulary order).
    pub value: String,
    /// The sentences it was read from (at least one; at most [`MAX_QUOTES`]).
    pub quotes: Vec<String>,
    /// Region or condition wording around the quotes, and other values the text also gives.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The rule that gave the value.
    pub rule: String,
    /// `data_categories`: the sentence each category was read from.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_value: BTreeMap<String, String>,
}

/// The most sentences quoted for one fact.
pub const MAX_QUOTES: usize = 3;

/// The facts of one version: only stated facts are kept; a missing fact is `not_stated`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts(pub BTreeMap<Fact, Finding>);

impl Facts {
    /// The value of a fact (`not_stated` when the text does not state it).
    pub fn value(&self, fact: Fact) -> &str {
        self.0.get(&fact).map_or(NOT_STATED, |f| f.value.as_str())
    }

    /// The finding for a fact, if stated.
    pub fn get(&self, fact: Fact) -> Option<&Finding> {
        self.0.get(&fact)
    }

    /// As stored: compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// From stored JSON.
    pub fn from_json(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s)
    }
}
