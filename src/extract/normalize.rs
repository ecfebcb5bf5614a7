//! Text normalisation shared by extraction and, later, classification.
//!
//! Whitespace runs (NBSP and other Unicode spaces included) become one space, invisible
//! formatting characters that pages sprinkle in (zero-width space, BOM, soft hyphen) are
//! dropped, and the result is NFC so that the same words always have the same bytes.

use unicode_normalization::UnicodeNormalization;

/// Characters that render as nothing and only make equal texts differ. Zero-width joiners are
/// kept: they change how Indic and emoji text renders.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{FEFF}' | '\u{00AD}' | '\u{2060}')
}

/// Whether `s` is certainly NFC already (the quick check; ASCII always is).
pub fn is_nfc(s: &str) -> bool {
    s.is_ascii()
        || unicode_normalization::is_nfc_quick(s.chars())
            == unicode_normalization::IsNormalized::Yes
}

/// One line of text, normalised: NFC, single spaces, no invisible characters, trimmed.
pub fn normalize_line(line: &str) -> String {
    // Almost all text is NFC already; the quick check spares the decompose/recompose pass.
    if is_nfc(line) {
        return collapse(line.chars());
    }
    collapse(line.nfc())
}

fn collapse(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    let mut space = false;
    for c in chars {
        if c.is_whitespace() {
            space = true;
        } else if !is_invisible(c) {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nbsp_and_runs_collapse_and_invisibles_go() {
        assert_eq!(
            normalize_line("  a\u{00A0}\u{00A0}b \t c\u{200B}d\u{FEFF} "),
            "a b cd"
        );
    }

    #[test]
    fn composed_and_decomposed_forms_are_equal() {
        assert_eq!(
            normalize_line("cafe\u{0301}"),
            normalize_line("caf\u{00E9}")
        );
    }
}
