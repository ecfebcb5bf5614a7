//! The language a page declares, and language tags compared the way a reader would: `de`,
//! `de-DE` and `de_DE` are one language; `de` and `en` are not.

use std::sync::LazyLock;

use regex::Regex;

/// A BCP 47 tag, tidied (`de`, `pt-BR`, `zh-Hant`; `_` accepted for `-`, as locales write it),
/// or `None` when it is not one.
pub fn language_tag(tag: &str) -> Option<String> {
    let parts: Vec<&str> = tag.trim().split(['-', '_']).collect();
    let (primary, rest) = parts.split_first()?;
    let ok = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && rest
            .iter()
            .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !ok {
        return None;
    }
    let mut out = primary.to_ascii_lowercase();
    for p in rest {
        out.push('-');
        out.push_str(&match p.len() {
            2 => p.to_ascii_uppercase(),
            4 => {
                let (a, b) = p.split_at(1);
                format!("{}{}", a.to_ascii_uppercase(), b.to_ascii_lowercase())
            }
            _ => p.to_ascii_lowercase(),
        });
    }
    Some(out)
}

/// Whether a page in `got` is in the language `asked` for: the same primary language.
pub fn same_language(asked: &str, got: &str) -> bool {
    let primary = |t: &str| {
        t.split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    primary(asked) == primary(got)
}

static HTML_LANG: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern (covered by the unit tests).
    Regex::new(
        r#"(?is)<html\b[^>]*?\s(?:xml:)?lang\s*=\s*["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)"#,
    )
    .unwrap_or_else(|e| unreachable!("html lang pattern: {e}"))
});

/// The language a page declares: its `Content-Language` header (the first tag), else the
/// `lang` of its `<html>` element (looked for in the first 64 KB only).
pub fn declared_language(content_language: Option<&str>, page: &str) -> Option<String> {
    if let Some(tag) = content_language
        .and_then(|h| h.split(',').next())
        .and_then(language_tag)
    {
        return Some(tag);
    }
    let mut end = page.len().min(64 * 1024);
    while !page.is_char_boundary(end) {
        end -= 1;
    }
    HTML_LANG
        .captures(&page[..end])
        .and_then(|c| language_tag(&c[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_tidied_and_compared_by_language() {
        assert_eq!(language_tag("de_DE").as_deref(), Some("de-DE"));
        assert_eq!(language_tag("PT-br").as_deref(), Some("pt-BR"));
        assert_eq!(language_tag("zh-hant-tw").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(language_tag("german"), None);
        assert_eq!(language_tag(""), None);
        assert!(same_language("de", "de-DE") && same_language("fr_FR", "fr"));
        assert!(!same_language("de", "en"));
    }

    #[test]
    fn the_header_wins_over_the_html_lang() {
        let page = "<!DOCTYPE html>\n<HTML class=\"x\" LANG=\"fr-FR\"><head>";
        assert_eq!(declared_language(None, page).as_deref(), Some("fr-FR"));
        assert_eq!(
            declared_language(Some("de-DE, en"), page).as_deref(),
            Some("de-DE")
        );
        assert_eq!(declared_language(None, "<html><body lang=\"de\">"), None);
    }
}
