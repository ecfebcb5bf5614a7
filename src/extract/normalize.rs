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
        // control characters (ESC, BEL, backspace, C1…) carry no text and could drive a
        // terminal; whitespace controls (tab, newline) are whitespace and collapse as such
        || (c.is_control() && !c.is_whitespace())
}

/// Text safe to print on a terminal or put in a mail: every control character but newline and
/// tab is shown as a visible symbol (ESC as `␛`, C1 controls as `�`) instead of acting.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    let acts = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(acts) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            c if !acts(c) => c,
            '\u{7f}' => '\u{2421}',
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'),
            _ => '\u{FFFD}',
        })
        .collect::<String>()
        .into()
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
    fn control_characters_never_reach_text_and_are_shown_not_obeyed() {
        assert_eq!(
            normalize_line("a\u{1b}]0;pwned\u{7}b\u{8}c\u{9b}d"),
            "a]0;pwnedbcd"
        );
        assert_eq!(visible("ok\n\tfine"), "ok\n\tfine");
        assert_eq!(
            visible("a\u{1b}[2Jb\u{7}\u{7f}\u{9b}\r"),
            "a\u{241b}[2Jb\u{2407}\u{2421}\u{fffd}\u{240d}"
        );
    }

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
