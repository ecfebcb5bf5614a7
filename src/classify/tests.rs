use super::*;
use crate::diff::diff;

fn verdict(old: &str, new: &str) -> Verdict {
    classify(&diff(old, new), &RuleSet::builtin())
}

fn rule_ids(v: &Verdict) -> Vec<&str> {
    v.matches.iter().map(|m| m.rule.as_str()).collect()
}

const BASE: &str =
    "We collect data you provide. We use it to run the service.\nContact us with questions.";

fn with_added(sentence: &str) -> String {
    BASE.replace(
        "We use it to run the service.",
        &format!("We use it to run the service. {sentence}"),
    )
}

#[test]
fn the_built_in_rules_parse_and_compile() {
    let set = RuleSet::builtin();
    assert!(set.rules.len() >= 10);
    assert!(set.to_toml().contains("id = \"ai-training\""));
}

#[test]
fn a_set_compiled_again_from_its_specs_judges_alike() {
    // the daemon keeps a set's specs between rounds and compiles them again for each round
    let user: Vec<RuleSpec> = toml::from_str::<std::collections::BTreeMap<String, Vec<RuleSpec>>>(
        "[[rule]]\nid = \"copilot\"\nterms = [\"copilot\"]\nseverity = \"medium\"",
    )
    .unwrap()
    .remove("rule")
    .unwrap();
    let loaded = RuleSet::build(&user).unwrap();
    let again = RuleSet::compile(loaded.specs.clone()).unwrap();
    let ids = |s: &RuleSet| s.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&loaded));
    assert!(ids(&again).contains(&"copilot".to_string()));
    let change = diff(
        BASE,
        &with_added("Copilot now drafts posts from your profile data."),
    );
    assert_eq!(
        rule_ids(&classify(&change, &again)),
        rule_ids(&classify(&change, &loaded))
    );
    assert!(rule_ids(&classify(&change, &again)).contains(&"copilot"));
}

#[test]
fn an_added_training_sentence_is_high_and_quoted() {
    let s = "We may use your posts to develop and train artificial intelligence (AI) models.";
    let v = verdict(BASE, &with_added(s));
    assert!(v.ai_relevant);
    assert_eq!(v.severity, Severity::High);
    let m = v.matches.iter().find(|m| m.rule == "ai-training").unwrap();
    assert_eq!((m.side, m.sentence.as_str()), (Side::Added, s));
    assert!(v.matched_terms.contains(&"train".to_string()));
}

#[test]
fn removed_wording_counts_too() {
    let old = with_added("We never share your data with Microsoft.");
    let v = verdict(&old, BASE);
    assert_eq!(v.severity, Severity::High);
    assert_eq!(v.matches[0].side, Side::Removed);
}

#[test]
fn inflections_and_unicode_forms_match() {
    for s in [
        "Your content trains our generative AI.",
        "Content is used for training content\u{2011}generating AI.",
        "We’ve retrained our LLMs on your articles.",
        "Models are fine-tuned with AI\u{00A0}feedback from members.",
    ] {
        let v = verdict(BASE, &with_added(s));
        assert!(
            rule_ids(&v).contains(&"ai-training"),
            "{s}: {:?}",
            v.matches
        );
    }
    let v = verdict(
        BASE,
        &with_added(
            "The \u{201C}Data for Generative AI Improvement\u{201D} setting is on by default.",
        ),
    );
    assert!(
        rule_ids(&v).contains(&"ai-setting") && rule_ids(&v).contains(&"ai-opt-out"),
        "{v:?}"
    );
}

#[test]
fn terms_need_their_companions_in_the_same_sentence() {
    // "train" without any AI term in its sentence, though AI stands elsewhere on the page
    let page = format!("{BASE}\nOur AI features are described below.");
    let v = verdict(
        &page,
        &page.replace(
            "We use it to run the service.",
            "We use it to run and train the service.",
        ),
    );
    assert!(!v.ai_relevant, "{v:?}");
}

#[test]
fn look_alikes_are_not_ai_training() {
    for s in [
        "We train our staff to handle your data with care, including our AI specialists.",
        "You may upload a resume in Microsoft Word format.",
        "Job seekers can train for interviews with our courses.",
        "We share updates about our services by email.",
    ] {
        let v = verdict(BASE, &with_added(s));
        assert!(!v.ai_relevant, "{s}: {:?}", v.matches);
    }
}

#[test]
fn date_case_and_punctuation_edits_are_never_relevant() {
    let old = "Effective March 6, 2024\nWe share data with our affiliates, including Microsoft.";
    let new =
        "Effective September 18, 2024\nWe share data with our Affiliates including Microsoft.";
    let v = verdict(old, new);
    assert_eq!(v, Verdict::default(), "{v:?}");
}

#[test]
fn an_edit_that_widens_ai_wording_is_relevant() {
    let old = "We use your profile to train AI models.";
    let new = "We use your profile, posts and messages to train AI models.";
    let v = verdict(old, new);
    assert_eq!(v.severity, Severity::High, "{v:?}");
    assert!(
        v.matches
            .iter()
            .any(|m| m.rule == "ai-data-categories" && m.term == "messages")
    );
    // "may" becoming "will" changes the commitment, though no term moved
    let v = verdict(
        "We may share your posts with Microsoft.",
        "We will share your posts with Microsoft.",
    );
    assert!(v.ai_relevant && v.severity == Severity::High, "{v:?}");
    // a neighbouring word change that does not touch the AI wording is not
    let v = verdict(
        "Customer support staff, unlike our AI tools, answer by email in English.",
        "Customer support staff, unlike our AI tools, answer by email in English or French.",
    );
    assert!(!v.ai_relevant, "{v:?}");
}

#[test]
fn a_moved_sentence_is_not_a_change() {
    let a = "We share your posts with Microsoft to train its AI models.";
    let old = format!("{a}\nOther text stays here and is long enough.\nMore text.");
    let new = format!("Other text stays here and is long enough.\nMore text.\n{a}");
    assert_eq!(verdict(&old, &new), Verdict::default());
}

#[test]
fn announcements_are_their_own_kind() {
    let v = verdict(
        BASE,
        &format!("We're updating our terms on November 3, 2025.\n{BASE}"),
    );
    assert!(v.announcement && !v.ai_relevant);
    assert_eq!(v.severity, Severity::Low);
    let v = verdict(
        BASE,
        &format!(
            "On November 3, 2025, we are updating this notice to explain how we train content-generating AI models.\n{BASE}"
        ),
    );
    assert!(
        v.announcement && v.ai_relevant && v.severity == Severity::High,
        "{v:?}"
    );
}

#[test]
fn another_platforms_wording_is_classified_by_meaning() {
    // A different company, different phrasing of the same ideas.
    let old = "Acme Social Privacy Statement\n\
        We process the information you share on Acme to operate the platform. \
        We keep your account details for as long as your account is open.\n\
        You can download a copy of your information at any time.";
    let cases: &[(&str, bool, Severity)] = &[
        (
            "Public posts and comments may be used to teach and refine the machine-learning systems behind Acme's writing assistant.",
            true,
            Severity::High,
        ),
        (
            "Unless you switch off the Acme AI setting, your content is included by default.",
            true,
            Severity::Medium,
        ),
        (
            "Unless you switch off \"Improve Acme AI\" in Settings, your content helps improve it by default.",
            true,
            Severity::High,
        ),
        (
            "Switching it off stops future use but does not reverse model training that has already occurred.",
            true,
            Severity::High,
        ),
        (
            "Acme may disclose your activity data to companies in the Acme group and our parent company for advertising.",
            true,
            Severity::High,
        ),
        (
            "We rely on our legitimate interests as the legal basis for training generative AI models.",
            true,
            Severity::High,
        ),
        (
            "Text created by Acme's AI features may be inaccurate, so review it before relying on it.",
            true,
            Severity::Medium,
        ),
        (
            "Our trainers train your staff to use the dashboard.",
            false,
            Severity::None,
        ),
        (
            "Reports can be exported in Microsoft Word format or as a PDF.",
            false,
            Severity::None,
        ),
        (
            "We may share your information with payment processors to complete purchases.",
            false,
            Severity::Low,
        ),
    ];
    for (sentence, ai, severity) in cases {
        let new = old.replace(
            "operate the platform.",
            &format!("operate the platform. {sentence}"),
        );
        let v = verdict(old, &new);
        assert_eq!(
            (v.ai_relevant, v.severity),
            (*ai, *severity),
            "{sentence}: {:?}",
            v.matches
        );
    }
}

#[test]
fn user_rules_extend_and_override() {
    let custom = RuleSpec {
        id: "biometrics".into(),
        severity: "high".into(),
        description: String::new(),
        ai: true,
        kind: None,
        terms: vec!["face scan".into()],
        regex: vec![r"\bvoice ?prints?\b".into()],
        with: vec![],
        except: vec![],
        enabled: true,
        language: None,
    };
    let off = RuleSpec {
        id: "ai-features".into(),
        enabled: false,
        ..custom.clone()
    };
    let set = RuleSet::build(&[custom, off]).unwrap();
    assert!(set.rules.iter().all(|r| r.id != "ai-features"));
    let v = classify(
        &diff(BASE, &with_added("We store voiceprints and face scans.")),
        &set,
    );
    assert_eq!(v.matched_terms, vec!["voiceprints", "face scans"]);
    assert!(v.ai_relevant);
}

#[test]
fn broken_user_rules_are_refused_with_the_key() {
    let bad = |f: fn(&mut RuleSpec)| {
        let mut s = RuleSpec {
            id: "x".into(),
            severity: "high".into(),
            description: String::new(),
            ai: true,
            kind: None,
            terms: vec!["a term".into()],
            regex: vec![],
            with: vec![],
            except: vec![],
            enabled: true,
            language: None,
        };
        f(&mut s);
        Rule::compile(&s).unwrap_err()
    };
    assert_eq!(bad(|s| s.severity = "urgent".into()).field, "severity");
    assert_eq!(bad(|s| s.regex = vec!["(unclosed".into()]).field, "regex");
    assert_eq!(bad(|s| s.terms.clear()).field, "terms");
    assert_eq!(bad(|s| s.with = vec![vec![]]).field, "with");
    assert_eq!(bad(|s| s.kind = Some("banner".into())).field, "kind");
}

#[test]
fn a_pages_long_sentence_is_judged_whole_and_quoted_short() {
    let words = "we use your data to train models and share it with affiliates ".repeat(2_000);
    let old = format!("{words}end.");
    let new = format!("{words}never end.");
    let change = crate::diff::diff(&old, &new);
    let v = classify(&change, &RuleSet::builtin());
    assert!(v.ai_relevant, "{:?}", v.matched_terms);
    assert!(!v.matches.is_empty());
    for m in &v.matches {
        assert!(m.sentence.len() <= 2_003, "{}", m.sentence.len());
        assert!(m.sentence.ends_with('…'));
    }
}

/// Verdicts on one added sentence, in a language's rules.
fn judged(language: &str, old: &str, new: &str) -> Verdict {
    let rules = RuleSet::compile(rules::merge_for(language, &[])).unwrap();
    classify(&crate::diff::diff(old, new), &rules)
}

#[test]
fn every_language_has_rules_that_compile_with_the_english_ids() {
    let en: Vec<String> = rules::builtin_specs().into_iter().map(|s| s.id).collect();
    for lang in lang::LANGUAGES {
        let specs = rules::builtin_specs_for(lang).unwrap();
        let ids: Vec<String> = specs.iter().map(|s| s.id.clone()).collect();
        for id in &ids {
            assert!(en.contains(id), "{lang}: {id} is not an English rule id");
        }
        RuleSet::compile(specs).unwrap_or_else(|e| panic!("{lang}: {e}"));
    }
    // a language without rules of its own reads with the English ones
    assert!(rules::builtin_specs_for("pl").is_none());
    assert_eq!(rules::merge_for("pl", &[]).len(), en.len());
}

#[test]
fn ai_training_is_found_in_each_language_through_its_inflections() {
    let base = "Wir schützen Ihre Privatsphäre.";
    let cases = [
        (
            "de",
            "Wir verwenden Ihre Beiträge, um unsere KI-Modelle zu trainieren.",
        ),
        (
            "de",
            "Ihre Daten fließen in das Training generativer Sprachmodelle ein.",
        ),
        (
            "fr",
            "Nous utilisons vos publications pour l'entraînement de nos modèles d'IA générative.",
        ),
        (
            "es",
            "Usamos tus publicaciones para entrenar nuestros modelos de IA.",
        ),
        (
            "it",
            "Utilizziamo i tuoi post per addestrare i nostri modelli di IA generativa.",
        ),
        (
            "nl",
            "Wij gebruiken uw berichten om onze AI-modellen te trainen.",
        ),
        (
            "pt",
            "Usamos suas publicações para treinar nossos modelos de IA generativa.",
        ),
    ];
    for (lang, sentence) in cases {
        let v = judged(lang, base, &format!("{base} {sentence}"));
        assert!(
            v.ai_relevant && v.severity == Severity::High,
            "{lang}: {sentence}: {v:?}"
        );
    }
}

#[test]
fn each_language_reads_its_own_words_not_an_english_sentence_with_ai_in_it() {
    let base = "Nous protégeons votre vie privée.";
    for lang in ["de", "fr", "es", "it", "nl", "pt"] {
        let v = judged(
            lang,
            base,
            &format!("{base} See LinkedIn's Responsible AI principles."),
        );
        assert!(!v.ai_relevant, "{lang}: {v:?}");
        // cosmetic: punctuation and case only
        let v = judged(
            lang,
            "Wir verwenden Ihre Beiträge, um KI-Modelle zu trainieren.",
            "Wir verwenden Ihre Beiträge um KI-Modelle zu trainieren",
        );
        assert!(!v.ai_relevant, "{lang}: cosmetic: {v:?}");
    }
}

#[test]
fn announcements_are_recognised_in_each_language() {
    let cases = [
        (
            "de",
            "Wir aktualisieren unsere Nutzervereinbarung am 3. November 2025.",
        ),
        (
            "fr",
            "Nous mettons à jour nos conditions le 3 novembre 2025.",
        ),
        (
            "es",
            "Actualizamos nuestras condiciones el 3 de noviembre de 2025.",
        ),
        ("it", "Aggiorniamo le nostre condizioni il 3 novembre 2025."),
        ("nl", "Wij werken onze voorwaarden bij op 3 november 2025."),
        (
            "pt",
            "Estamos atualizando nossos termos em 3 de novembro de 2025.",
        ),
    ];
    for (lang, sentence) in cases {
        let v = judged(lang, "Texte.", &format!("Texte. {sentence}"));
        assert!(v.announcement, "{lang}: {sentence}: {v:?}");
    }
}
