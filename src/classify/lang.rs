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

/// Text with its accents folded away (`Beiträge` -> `Beitrage`, `entraîner` -> `entrainer`,
/// `ß` -> `ss`): the text the rules of other languages than English read, so that matching
/// runs on (mostly) ASCII, where the regex engine's fast automaton works, and so that a text
/// written without accents still matches.
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    if text.is_ascii() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        match c {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'Æ' => out.push_str("AE"),
            'œ' => out.push_str("oe"),
            'Œ' => out.push_str("OE"),
            c if unicode_normalization::char::is_combining_mark(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// One word of a term as a pattern (accents folded): an acronym or a short word as written
/// (`KI`, `IA`, `AI`), a longer one as its stem and any ending. Returns the stem when there is
/// one.
pub fn stem_pattern(word: &str, stemmer: &Stemmer) -> (String, Option<String>) {
    let alpha = word.chars().all(char::is_alphabetic);
    let acronym = word.chars().filter(|c| c.is_uppercase()).count() >= 2;
    if !alpha || acronym || word.chars().count() <= 3 {
        return (format!("{}s?", regex::escape(&fold(word))), None);
    }
    let lower = word.to_lowercase();
    let stem = fold(&stemmer.stem(&lower));
    if stem.chars().count() < 3 {
        return (regex::escape(&fold(&lower)), None);
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
        // the rules read folded text
        let re = |lang: &str, word: &str| {
            let r = re(lang, word);
            move |text: &str| r.is_match(&fold(text))
        };
        assert!(re("fr", "entraîner")("entraînement"));
        assert!(re("de", "trainieren")("trainiert"));
        assert!(re("es", "entrenar")("entrenamos"));
        assert!(re("it", "addestrare")("addestrati"));
        assert!(re("nl", "trainen")("getraind") || re("nl", "getraind")("getraind"));
        assert!(re("pt", "treinar")("treinamento"));
        assert!(re("de", "KI")("KI"));
        assert!(!re("de", "KI")("Kind"));
    }
}
