//! Wording read around a fact: region and condition qualifiers for its note, and dates.

use std::sync::LazyLock;

use regex::Regex;

/// Region and condition wording: "outside the Designated Countries", "if you are in the UK",
/// "where permitted", "subject to our European Regional Privacy Notice".
static QUALIFIER: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern (covered by the unit tests).
    Regex::new(
        r"(?i)\b(?:(?:if you (?:are|live|reside) in|for members (?:located |based )?in|in regions outside|outside(?: of)?|in|within)\s+(?:the\s+)?(?:Designated Countries|European Union|European Economic Area|EU|EEA|UK|United Kingdom|Switzerland|United States|U\.S\.|California|India|Canada)\b|where (?:permitted|allowed|required by law)|subject to (?:our|the) (?:[A-Z][\w-]* ){1,5}(?:Notice|Policy|Terms))",
    )
    .unwrap_or_else(|e| unreachable!("qualifier pattern: {e}"))
});

/// The qualifiers of a sentence, or else of its passage's opening (a table row's first cell).
pub(super) fn qualifiers(sentence: &str, head: &str) -> String {
    let found = |s: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in QUALIFIER.find_iter(s) {
            let q = m.as_str().to_string();
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&q)) {
                out.push(q);
            }
        }
        out
    };
    let mut q = found(sentence);
    if q.is_empty() {
        let cell = head.split(" | ").next().unwrap_or(head);
        let end = (0..=cell.len().min(200))
            .rev()
            .find(|i| cell.is_char_boundary(*i))
            .unwrap_or(0);
        q = found(&cell[..end]);
    }
    q.join("; ")
}

/// Month names in the languages with rules (a name, or its first three letters or more).
const MONTHS: [&[&str]; 12] = [
    &[
        "january", "januar", "janvier", "enero", "gennaio", "januari", "janeiro",
    ],
    &[
        "february",
        "februar",
        "février",
        "febrero",
        "febbraio",
        "februari",
        "fevereiro",
    ],
    &["march", "märz", "mars", "marzo", "maart", "março"],
    &["april", "avril", "abril", "aprile"],
    &["may", "mai", "mayo", "maggio", "mei", "maio"],
    &["june", "juni", "juin", "junio", "giugno", "junho"],
    &["july", "juli", "juillet", "julio", "luglio", "julho"],
    &["august", "août", "agosto", "augustus"],
    &[
        "september",
        "septembre",
        "septiembre",
        "settembre",
        "setembro",
    ],
    &[
        "october", "oktober", "octobre", "octubre", "ottobre", "outubro",
    ],
    &["november", "novembre", "noviembre", "novembro"],
    &[
        "december",
        "dezember",
        "décembre",
        "diciembre",
        "dicembre",
        "dezembro",
    ],
];

/// The month a word names (`Nov`, `novembre`, `März`), if any.
fn month(word: &str) -> Option<u32> {
    let w = word.to_lowercase();
    let w = w.trim_end_matches('.');
    let n = w.chars().count();
    MONTHS
        .iter()
        .position(|names| {
            names
                .iter()
                .any(|name| *name == w || (n >= 3 && name.starts_with(w)))
        })
        .map(|i| i as u32 + 1)
}

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern (covered by the unit tests).
    Regex::new(
        r"(?i)\b(?:(?P<m1>\p{L}{3,9})\.?\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{4})|(?P<d2>\d{1,2})(?:st|nd|rd|th|er|\.|º)?\s+(?:de\s+)?(?P<m2>\p{L}{3,9})\.?,?\s+(?:de\s+)?(?P<y2>\d{4})|(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2}))\b",
    )
    .unwrap_or_else(|e| unreachable!("date pattern: {e}"))
});

/// The first date written in a sentence, as `YYYY-MM-DD`: "November 3, 2025", "3 November
/// 2025", "3. November 2025", "3 novembre 2025", "3 de noviembre de 2025", "2025-11-03".
pub(super) fn date_after(sentence: &str) -> Option<String> {
    for c in DATE.captures_iter(sentence) {
        let parts = if let Some(y) = c.name("y1") {
            month(&c["m1"]).map(|m| (y.as_str(), m, &c["d1"]))
        } else if let Some(y) = c.name("y2") {
            month(&c["m2"]).map(|m| (y.as_str(), m, &c["d2"]))
        } else {
            c["m3"].parse().ok().map(|m| (&c["y3"], m, &c["d3"]))
        };
        let Some((y, m, d)) = parts else { continue };
        if let Some(date) = chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m, d.parse().ok()?) {
            return Some(date.format("%Y-%m-%d").to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_the_forms_policies_write_them() {
        assert_eq!(
            date_after("Effective November 3, 2025").as_deref(),
            Some("2025-11-03")
        );
        assert_eq!(
            date_after("Last updated: 21 Aug. 2026").as_deref(),
            Some("2026-08-21")
        );
        assert_eq!(
            date_after("in effect from 2024-09-18").as_deref(),
            Some("2024-09-18")
        );
        assert_eq!(date_after("Effective February 30, 2025"), None);
        assert_eq!(date_after("the effective date"), None);
        assert_eq!(
            date_after("Gültig ab 3. November 2025").as_deref(),
            Some("2025-11-03")
        );
        assert_eq!(
            date_after("En vigueur le 1er mars 2024").as_deref(),
            Some("2024-03-01")
        );
        assert_eq!(
            date_after("Vigente desde el 3 de noviembre de 2025").as_deref(),
            Some("2025-11-03")
        );
        assert_eq!(
            date_after("In vigore dal 18 settembre 2024").as_deref(),
            Some("2024-09-18")
        );
        assert_eq!(
            date_after("Van kracht op 21 augustus 2026").as_deref(),
            Some("2026-08-21")
        );
        assert_eq!(
            date_after("Em vigor a partir de 3 de novembro de 2025").as_deref(),
            Some("2025-11-03")
        );
        assert_eq!(date_after("März 6, 2024").as_deref(), Some("2024-03-06"));
    }

    #[test]
    fn qualifiers_come_from_the_sentence_or_the_rows_first_cell() {
        assert_eq!(
            qualifiers(
                "In regions outside the Designated Countries, we may share it.",
                ""
            ),
            "In regions outside the Designated Countries"
        );
        assert_eq!(
            qualifiers(
                "To share member data so that it can train.",
                "If you are in the UK: sharing data | To share"
            ),
            "If you are in the UK"
        );
        assert_eq!(qualifiers("We share it.", "Nothing here"), "");
    }
}
