//! Languages other than English: which have built-in rules, their Snowball stemmers, and how a
//! word of a term becomes a pattern.

use rust_stemmers::{Algorithm, Stemmer};

/// The languages with built-in classification rules, English first.
pub const LANGUAGES: [&str; 7] = ["en", "de", "fr", "es", "it", "nl", "pt"];

/// The built-in rules of a language, as shipped.
pub fn builtin_file(language: &str) -> Option<&'static str> {
    Some(match language {
        "en" => include_str!("default_rules.toml"),
        "de" => include_str!("lang/de.toml"),
        "fr" => include_str!("lang/fr.toml"),
        "es" => include_str!("lang/es.toml"),
        "it" => include_str!("lang/it.toml"),
        "nl" => include_str!("lang/nl.toml"),
        "pt" => include_str!("lang/pt.toml"),
        _ => return None,
    })
}

/// A language's English name, for people (the tag itself when unknown).
pub fn english_name(tag: &str) -> String {
    match primary(tag).as_str() {
        "en" => "English",
        "de" => "German",
        "fr" => "French",
        "es" => "Spanish",
        "it" => "Italian",
        "nl" => "Dutch",
        "pt" => "Portuguese",
        _ => return tag.to_string(),
    }
    .to_string()
}

/// A tag's primary language, lowercased (`de-DE` -> `de`).
pub fn primary(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The Snowball stemmer of a language, if it has one here.
pub fn stemmer(language: &str) -> Option<Stemmer> {
    let algorithm = match language {
        "de" => Algorithm::German,
        "fr" => Algorithm::French,
        "es" => Algorithm::Spanish,
        "it" => Algorithm::Italian,
        "nl" => Algorithm::Dutch,
        "pt" => Algorithm::Portuguese,
        _ => return None,
    };
    Some(Stemmer::create(algorithm))
}

/// One word of a term as a pattern: an acronym or a short word as written (`KI`, `IA`, `AI`),
/// a longer one as its stem and any ending. Returns the stem when there is one.
pub fn stem_pattern(word: &str, stemmer: &Stemmer) -> (String, Option<String>) {
    let alpha = word.chars().all(char::is_alphabetic);
    let acronym = word.chars().filter(|c| c.is_uppercase()).count() >= 2;
    if !alpha || acronym || word.chars().count() <= 3 {
        return (format!("{}s?", regex::escape(word)), None);
    }
    let lower = word.to_lowercase();
    let stem = stemmer.stem(&lower).into_owned();
    if stem.chars().count() < 3 {
        return (regex::escape(&lower), None);
    }
    (format!(r"{}\w*", regex::escape(&stem)), Some(stem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_reach_the_forms_of_each_language() {
        let re = |lang: &str, word: &str| {
            let (p, _) = stem_pattern(word, &stemmer(lang).unwrap());
            regex::Regex::new(&format!("(?i)^{p}$")).unwrap()
        };
        assert!(re("fr", "entraîner").is_match("entraînement"));
        assert!(re("de", "trainieren").is_match("trainiert"));
        assert!(re("es", "entrenar").is_match("entrenamos"));
        assert!(re("it", "addestrare").is_match("addestrati"));
        assert!(
            re("nl", "trainen").is_match("getraind") || re("nl", "getraind").is_match("getraind")
        );
        assert!(re("pt", "treinar").is_match("treinamento"));
        assert!(re("de", "KI").is_match("KI"));
        assert!(!re("de", "KI").is_match("Kind"));
    }
}
