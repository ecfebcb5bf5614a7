//! Facts read from small texts written for these tests, in the ways other platforms' policies
//! say the same things (the real LinkedIn history is pinned in `tests/facts.rs`).

use super::*;

fn facts(text: &str) -> Facts {
    read(text, &FactRules::builtin())
}

fn value(text: &str, fact: Fact) -> String {
    facts(text).value(fact).to_string()
}

#[test]
fn builtin_rules_parse_and_compile() {
    let rules = FactRules::builtin();
    assert!(rules.rules.len() > 20);
    assert_eq!(rules.fingerprint.len(), 16);
    // what `policywatch rules` prints reads back as the same rules
    let back: Vec<FactRuleSpec> = toml::from_str::<toml::Table>(&rules::specs_toml(&rules.specs))
        .unwrap()["fact_rule"]
        .clone()
        .try_into()
        .unwrap();
    assert_eq!(back, rules.specs);
}

#[test]
fn training_generative_models_is_told_apart_from_using_generative_tools() {
    let text =
        "We use generative AI to detect spam in messages, and train our AI systems for security.";
    assert_eq!(value(text, Fact::TrainsAi), "yes");
    assert_eq!(value(text, Fact::TrainsGenerativeAi), "not_stated");
    let text =
        "Your public posts may be used to fine-tune the large language models behind Meta AI.";
    assert_eq!(value(text, Fact::TrainsGenerativeAi), "yes");
    assert_eq!(value(text, Fact::TrainsAi), "yes");
}

#[test]
fn a_denial_is_no_and_an_announcement_is_not_yet_a_fact() {
    let f = facts("We do not use your private messages to train AI models.");
    assert_eq!(f.value(Fact::TrainsAi), "no");
    let f = facts("Starting next month, we will start to train AI models on your posts.");
    assert_eq!(f.value(Fact::TrainsAi), "not_stated");
    // a document that says both answers yes, and its note keeps the other answer
    let f = facts(
        "We train AI models on public posts. We do not use your private messages to train AI models.",
    );
    assert_eq!(f.value(Fact::TrainsAi), "yes");
    assert!(f.get(Fact::TrainsAi).unwrap().note.contains("also says no"));
}

#[test]
fn settings_defaults_and_the_past_are_read_from_help_article_wording() {
    let f = facts(
        "The Data for Generative AI Improvement setting is on by default. \
         You can turn off the setting to stop your data being used to train generative AI. \
         Turning it off does not affect training that has already taken place.",
    );
    assert_eq!(f.value(Fact::DefaultOn), "yes");
    assert_eq!(f.value(Fact::OptOut), "yes");
    assert_eq!(f.value(Fact::OptOutRetroactive), "no");
    let f = facts("You cannot opt out of the use of your content to train our AI models.");
    assert_eq!(f.value(Fact::OptOut), "no");
    let f = facts("You can opt out of ads. We train staff every year.");
    assert_eq!(f.value(Fact::OptOut), "not_stated");
    assert_eq!(f.value(Fact::TrainsAi), "not_stated");
}

#[test]
fn legal_basis_and_sharing_with_affiliates_carry_their_region() {
    let f = facts(
        "In the EU, we rely on legitimate interests to train AI models on your posts. \
         Outside the Designated Countries, we may share your public content with our Affiliates, including Microsoft. \
         We share personal data with Microsoft to improve their advertising.",
    );
    assert_eq!(f.value(Fact::LegalBasis), "legitimate_interests");
    assert_eq!(f.get(Fact::LegalBasis).unwrap().note, "In the EU");
    assert_eq!(
        f.value(Fact::SharesPublicContentWithAffiliates),
        "yes_outside_designated_countries"
    );
    assert_eq!(f.value(Fact::SharesDataWithAffiliatesForAds), "yes");
    let f = facts(
        "We do not share your personal data with any non-Affiliated third-party advertisers.",
    );
    assert_eq!(f.value(Fact::SharesDataWithAffiliatesForAds), "not_stated");
}

#[test]
fn data_categories_are_those_named_beside_a_training_statement() {
    let f = facts(
        "We use the following data to train our AI models:\n- your profile\n- posts and comments\n\
         Unrelated paragraph about your messages and group activity.",
    );
    assert_eq!(f.value(Fact::DataCategories), "profile,posts,comments");
    let per = &f.get(Fact::DataCategories).unwrap().per_value;
    assert_eq!(per["comments"], "- posts and comments");
    // a training statement naming no category: "other"
    let f = facts("We may use your personal data to develop and train AI models.");
    assert_eq!(f.value(Fact::DataCategories), "other");
}

#[test]
fn dates_and_affiliates_definitions() {
    let f = facts(
        "Effective 21 August 2026\nAffiliates are companies controlling, controlled by or under common control with us, including Microsoft.",
    );
    assert_eq!(f.value(Fact::EffectiveDate), "2026-08-21");
    assert_eq!(f.value(Fact::AffiliatesIncludeMicrosoft), "yes");
    let f = facts("Affiliates means companies that control or are under common control with us.");
    assert_eq!(f.value(Fact::AffiliatesIncludeMicrosoft), "no");
}

#[test]
fn no_value_without_its_quote_and_nothing_read_from_nothing() {
    assert_eq!(facts("").0.len(), 0);
    assert_eq!(facts("Cookies help us run the site.").0.len(), 0);
    let text = "We train AI models on your posts. Effective March 6, 2024. You can opt out of AI training.";
    for (fact, finding) in &facts(text).0 {
        assert!(!finding.quotes.is_empty(), "{fact} has no quote");
        assert!(
            fact.vocabulary().contains(&finding.value.as_str())
                || *fact == Fact::EffectiveDate
                || *fact == Fact::DataCategories
        );
    }
}

#[test]
fn a_change_is_told_in_at_most_three_plain_sentences_with_its_direction() {
    let old = facts(
        "We may share your public content with our Affiliates outside the Designated Countries.",
    );
    let new = facts(
        "We may share your public content with our Affiliates, including Microsoft. \
         We train generative AI models on your posts, relying on legitimate interests. \
         You can opt out of AI training.",
    );
    let verdict = crate::classify::Verdict::default();
    let plain = summary::Plain::tell("Doc", Some("EU"), &old, &new, &verdict);
    let facts: Vec<Fact> = plain.facts_changed.iter().map(|c| c.fact).collect();
    assert_eq!(facts[0], Fact::TrainsGenerativeAi);
    assert_eq!(
        plain.headline.as_deref(),
        Some("now trains generative AI on member data (legitimate interests)")
    );
    let public = plain
        .facts_changed
        .iter()
        .find(|c| c.fact == Fact::SharesPublicContentWithAffiliates)
        .unwrap();
    assert_eq!(summary::direction(public), "widened");
    let opt = plain
        .facts_changed
        .iter()
        .find(|c| c.fact == Fact::OptOut)
        .unwrap();
    assert_eq!(summary::direction(opt), "narrowed");
    assert!(plain.summary.split(". ").count() <= 3, "{}", plain.summary);
    assert!(
        plain
            .summary
            .starts_with("Widened (trains_generative_ai): Doc now says")
    );
    // nothing moved and nothing AI-related: nothing to tell
    let none = summary::Plain::tell("Doc", None, &new, &new, &verdict);
    assert!(none.summary.is_empty() && none.headline.is_none());
}
