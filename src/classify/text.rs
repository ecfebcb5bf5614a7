//! Text helpers for classification: matching normalisation, word tokens, and what makes an
//! edit trivial.

use std::ops::Range;

use similar::{Algorithm, DiffTag, capture_diff_slices};
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// NFKC, curly quotes straightened, dashes unified, all spaces (NBSP too) single ASCII spaces.
/// Matching runs on this form; case is left to the regexes.
pub fn normalize_for_match(s: &str) -> String {
    // Most policy text is NFKC once its spaces, quotes and dashes are mapped (NBSP is not):
    // then the mapped text is the answer and the costly NFKC pass is skipped.
    let mapped = map_chars(s);
    if mapped.is_ascii()
        || unicode_normalization::is_nfkc_quick(mapped.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        return mapped;
    }
    map_chars(&s.nfkc().collect::<String>())
}

/// Curly quotes straightened, dashes unified, runs of spaces one ASCII space, invisibles gone.
/// ASCII bytes are copied as they are; only other characters are decoded.
fn map_chars(s: &str) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut space = false;
    let mut i = 0;
    let bytes = s.as_bytes();
    while i < bytes.len() {
        let b = bytes[i];
        let c = if b < 0x80 {
            i += 1;
            if b.is_ascii_whitespace() || b == 0x0b {
                space = true;
                continue;
            }
            if space && !out.is_empty() {
                out.push(b' ');
            }
            space = false;
            out.push(b);
            continue;
        } else {
            let Some(c) = s[i..].chars().next() else {
                break;
            };
            i += c.len_utf8();
            match c {
                '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => '\'',
                '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => '"',
                '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
                '\u{200B}' | '\u{FEFF}' | '\u{00AD}' => continue,
                c if c.is_whitespace() => {
                    space = true;
                    continue;
                }
                c => c,
            }
        };
        if space && !out.is_empty() {
            out.push(b' ');
        }
        space = false;
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    // Invariant: only whole characters were copied or encoded.
    String::from_utf8(out).unwrap_or_else(|e| unreachable!("mapped text is UTF-8: {e}"))
}

/// Lowercased words with their byte ranges.
pub fn words(s: &str) -> Vec<(String, Range<usize>)> {
    s.unicode_word_indices()
        .map(|(i, w)| (w.to_lowercase(), i..i + w.len()))
        .collect()
}

/// The words that differ between two versions of a sentence: ranges in `old`, ranges in `new`,
/// and the differing words themselves.
pub struct WordEdit {
    /// Byte ranges of removed words in the old sentence.
    pub old: Vec<Range<usize>>,
    /// Byte ranges of inserted words in the new sentence.
    pub new: Vec<Range<usize>>,
    /// The removed and inserted words, lowercased.
    pub changed: Vec<String>,
}

/// Diffs two sentences word by word (case-insensitively).
pub fn word_edit(old: &str, new: &str) -> WordEdit {
    let (ow, nw) = (words(old), words(new));
    let ok: Vec<&str> = ow.iter().map(|(w, _)| w.as_str()).collect();
    let nk: Vec<&str> = nw.iter().map(|(w, _)| w.as_str()).collect();
    let mut edit = WordEdit {
        old: Vec::new(),
        new: Vec::new(),
        changed: Vec::new(),
    };
    for op in capture_diff_slices(Algorithm::Myers, &ok, &nk) {
        if op.tag() == DiffTag::Equal {
            continue;
        }
        for i in op.old_range() {
            edit.old.push(ow[i].1.clone());
            edit.changed.push(ow[i].0.clone());
        }
        for i in op.new_range() {
            edit.new.push(nw[i].1.clone());
            edit.changed.push(nw[i].0.clone());
        }
    }
    edit
}

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

/// A word that only dates a text: a number, an ordinal, a month (not "may", which is mostly a
/// modal verb).
fn is_date_word(w: &str) -> bool {
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    (!digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ','))
        || MONTHS.contains(&w)
}

/// Whether an edit changes only case, punctuation, whitespace or dates.
pub fn is_trivial(edit: &WordEdit) -> bool {
    edit.changed.iter().all(|w| is_date_word(w))
}

/// Words whose change alters what a sentence commits to, even when no rule term moved
/// ("may" becoming "will", a "not" dropped).
pub fn changes_commitment(edit: &WordEdit) -> bool {
    const MODAL: &[&str] = &[
        "not",
        "no",
        "never",
        "may",
        "might",
        "will",
        "must",
        "shall",
        "only",
        "unless",
        "except",
        "without",
        "cannot",
        "all",
        "any",
        "always",
        "including",
    ];
    edit.changed.iter().any(|w| MODAL.contains(&w.as_str()))
}

/// Similarity of two sentences by words, 0.0–1.0.
pub fn similarity(a: &str, b: &str) -> f32 {
    similar::TextDiff::from_words(a, b).ratio()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_dashes_and_spaces_are_unified() {
        assert_eq!(
            normalize_for_match("LinkedIn\u{2019}s \u{201C}opt\u{2011}out\u{201D}\u{00A0} now"),
            "LinkedIn's \"opt-out\" now"
        );
    }

    #[test]
    fn date_case_and_punctuation_edits_are_trivial() {
        assert!(is_trivial(&word_edit(
            "Effective March 6, 2024",
            "Effective September 18, 2024"
        )));
        assert!(is_trivial(&word_edit(
            "our affiliates, including Microsoft.",
            "our Affiliates including Microsoft"
        )));
        assert!(!is_trivial(&word_edit(
            "We may share data.",
            "We will share data."
        )));
    }

    #[test]
    fn modal_changes_are_commitment_changes() {
        let e = word_edit("We may use your posts.", "We will use your posts.");
        assert!(changes_commitment(&e));
        assert_eq!(e.changed, vec!["may", "will"]);
        assert!(!changes_commitment(&word_edit(
            "We use your posts.",
            "We use your articles."
        )));
    }
}
