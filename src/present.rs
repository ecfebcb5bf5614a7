//! Presentation shared by the CLI, mail and the HTML report: one renderer of a change, sentence
//! by sentence, in the style each reader needs, with matched terms marked and within a size
//! budget.
//!
//! Pure, and below everything that shows a change: it reads `diff` and `classify` only, so CLI
//! output, mail rendering and the report all look down at it (none of them borrows another's
//! formatter). Rendering is linear in the change: the terms each sentence matched are looked up
//! in an index built once, and a pattern is compiled once per distinct set of terms.

use std::collections::HashMap;
use std::fmt::Write as _;

use html_escape::encode_text as esc;

use crate::classify::{Side, Verdict};
use crate::diff::{Change, LineKind};

/// The terms each changed sentence matched, built once per change.
pub struct MatchIndex<'v> {
    by_sentence: HashMap<&'v str, [Vec<&'v str>; 2]>,
}

impl<'v> MatchIndex<'v> {
    /// Indexes a verdict's matches by sentence and side.
    pub fn new(verdict: &'v Verdict) -> Self {
        let mut by_sentence: HashMap<&str, [Vec<&str>; 2]> = HashMap::new();
        for m in &verdict.matches {
            let terms = &mut by_sentence.entry(m.sentence.as_str()).or_default()[m.side as usize];
            if !terms.contains(&m.term.as_str()) {
                terms.push(m.term.as_str());
            }
        }
        Self { by_sentence }
    }

    /// The terms `sentence` matched on `side`.
    pub fn terms(&self, sentence: &str, side: Side) -> &[&'v str] {
        self.by_sentence
            .get(crate::classify::quoted(sentence).as_ref())
            .map_or(&[], |sides| sides[side as usize].as_slice())
    }

    /// The terms of a diff line: its side's matches, none for context.
    pub fn line_terms(&self, sentence: &str, kind: LineKind) -> &[&'v str] {
        match kind {
            LineKind::Context => &[],
            LineKind::Removed => self.terms(sentence, Side::Removed),
            LineKind::Added => self.terms(sentence, Side::Added),
        }
    }
}

/// Marks terms in text (case-insensitively, on word boundaries), compiling one pattern per
/// distinct set of terms rather than one per sentence.
#[derive(Default)]
pub struct TermMarker {
    patterns: HashMap<Vec<String>, Option<regex::Regex>>,
}

impl TermMarker {
    /// `text` with each of `terms` replaced by `replacement` (`$0` is the term as found).
    pub fn mark(&mut self, text: &str, terms: &[&str], replacement: &str) -> String {
        if terms.is_empty() {
            return text.to_string();
        }
        let key: Vec<String> = terms.iter().map(|t| (*t).to_string()).collect();
        let pattern = self.patterns.entry(key).or_insert_with(|| {
            let alternatives: Vec<String> = terms.iter().map(|t| regex::escape(t)).collect();
            regex::Regex::new(&format!(r"(?i)\b(?:{})\b", alternatives.join("|"))).ok()
        });
        match pattern {
            Some(re) => re.replace_all(text, replacement).into_owned(),
            None => text.to_string(),
        }
    }
}

/// How a change is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Plain text: `@@` between hunks, `- `/`+ ` marks (`-!`/`+!` for sentences that matched a
    /// rule), changed words as `[-removed-]`/`{+added+}`, matched terms as `**term**`.
    Text,
    /// HTML for mail clients: inline styles only, changed words in `<del>`/`<ins>`.
    MailHtml,
    /// HTML for the report's stylesheet: classed lines, matched terms in `<mark>`.
    ReportHtml,
}

/// A rendered change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The rendering.
    pub body: String,
    /// Whether the budget cut it short (the caller says where to see it whole).
    pub cut: bool,
}

/// Renders `change`, marking what `verdict` matched, until `budget` characters of sentences
/// have been shown.
pub fn change(change: &Change, verdict: &Verdict, style: Style, budget: usize) -> Shown {
    let mut body = String::new();
    let cut = change_into(&mut body, change, verdict, style, budget);
    Shown { body, cut }
}

/// [`change`], appended to `out` (a page already begun); returns whether the budget cut it.
pub fn change_into(
    out: &mut String,
    change: &Change,
    verdict: &Verdict,
    style: Style,
    budget: usize,
) -> bool {
    let index = MatchIndex::new(verdict);
    let mut marker = TermMarker::default();
    // sized once: a large change grown by doubling would hold twice its size at the end
    let text: usize = change
        .hunks
        .iter()
        .flat_map(|h| &h.lines)
        .map(|l| l.segments.iter().map(|s| s.text.len() + 16).sum::<usize>() + 48)
        .sum();
    out.reserve(text.min(budget.saturating_mul(2)));
    let mut used = 0usize;
    for hunk in &change.hunks {
        out.push_str(match style {
            Style::Text => "@@\n",
            Style::MailHtml => {
                "<div style=\"border-left:3px solid #ccc;padding-left:8px;margin:8px 0\">"
            }
            Style::ReportHtml => "<div class=\"hunk\">",
        });
        for line in &hunk.lines {
            let text = line.text();
            used = used.saturating_add(text.chars().count());
            if used > budget {
                if style != Style::Text {
                    out.push_str("</div>");
                }
                return true;
            }
            let terms = index.line_terms(&text, line.kind);
            // HTML is marked after escaping, so the terms are looked for escaped too
            let escaped: Vec<String> = match style {
                Style::Text => Vec::new(),
                Style::MailHtml | Style::ReportHtml => {
                    terms.iter().map(|t| esc(t).into_owned()).collect()
                }
            };
            let escaped: Vec<&str> = escaped.iter().map(String::as_str).collect();
            let (open, close) = line_open(style, line.kind, !terms.is_empty(), out);
            // a sentence changed whole is shown plain: marking every word would say nothing
            let whole = !line.segments.iter().any(|s| !s.changed);
            for seg in &line.segments {
                let shown = match style {
                    Style::Text => marker.mark(&seg.text, terms, "**$0**"),
                    Style::MailHtml | Style::ReportHtml => {
                        marker.mark(&esc(&seg.text), &escaped, "<mark>$0</mark>")
                    }
                };
                if seg.changed && !whole && !open.is_empty() && !seg.text.trim().is_empty() {
                    let _ = write!(out, "{open}{shown}{close}");
                } else {
                    out.push_str(&shown);
                }
            }
            out.push_str(match style {
                Style::Text => "\n",
                Style::MailHtml | Style::ReportHtml => "</p>",
            });
        }
        if style != Style::Text {
            out.push_str("</div>");
        }
    }
    false
}

/// Writes the start of a line and returns how changed words are wrapped in it.
fn line_open(
    style: Style,
    kind: LineKind,
    flagged: bool,
    out: &mut String,
) -> (&'static str, &'static str) {
    match style {
        Style::Text => {
            out.push_str(match (kind, flagged) {
                (LineKind::Context, _) => "   ",
                (LineKind::Removed, true) => "-! ",
                (LineKind::Removed, false) => "-  ",
                (LineKind::Added, true) => "+! ",
                (LineKind::Added, false) => "+  ",
            });
            match kind {
                LineKind::Context => ("", ""),
                LineKind::Removed => ("[-", "-]"),
                LineKind::Added => ("{+", "+}"),
            }
        }
        Style::MailHtml => {
            let (css, open, close) = match kind {
                LineKind::Context => ("color:#666", "", ""),
                LineKind::Removed => ("background:#fee", "<del><b>", "</b></del>"),
                LineKind::Added => ("background:#efe", "<ins><b>", "</b></ins>"),
            };
            let _ = write!(out, "<p style=\"{css};margin:2px 0\">");
            (open, close)
        }
        Style::ReportHtml => {
            let (class, sign, open, close) = match kind {
                LineKind::Context => ("ctx", "&nbsp;&nbsp;", "", ""),
                LineKind::Removed => ("rem", "−", "<del>", "</del>"),
                LineKind::Added => ("add", "+", "<ins>", "</ins>"),
            };
            let _ = write!(out, "<p class=\"line {class}\">{sign} ");
            (open, close)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{RuleSet, classify};
    use crate::diff::diff;

    const OLD: &str = "We collect data. We use it to provide the Services.\nContact us.";
    const NEW: &str = "We collect data. We use it to train AI models.\nContact us.";

    fn shown(style: Style, budget: usize) -> Shown {
        let c = diff(OLD, NEW);
        change(&c, &classify(&c, &RuleSet::builtin()), style, budget)
    }

    #[test]
    fn text_marks_changed_words_flags_matches_and_highlights_terms() {
        let s = shown(Style::Text, usize::MAX);
        assert!(!s.cut);
        assert!(s.body.starts_with("@@\n"), "{}", s.body);
        assert!(
            s.body.contains("+! "),
            "a matched sentence is flagged: {}",
            s.body
        );
        assert!(s.body.contains("{+"), "changed words marked: {}", s.body);
        assert!(
            s.body.contains("**train**"),
            "terms highlighted: {}",
            s.body
        );
        assert!(
            s.body.contains("   We collect data."),
            "context: {}",
            s.body
        );
    }

    #[test]
    fn html_styles_escape_and_mark_alike() {
        for style in [Style::MailHtml, Style::ReportHtml] {
            let s = shown(style, usize::MAX);
            assert!(s.body.contains("<ins>"), "{style:?}: {}", s.body);
            assert!(
                s.body.contains("<mark>train</mark>"),
                "{style:?}: {}",
                s.body
            );
            assert_eq!(
                s.body.matches("<div").count(),
                s.body.matches("</div>").count()
            );
        }
        let hostile = diff("A.", "A. We train AI on <script>x</script>.");
        let s = change(&hostile, &Verdict::default(), Style::MailHtml, usize::MAX);
        assert!(!s.body.contains("<script>") && s.body.contains("&lt;script&gt;"));
    }

    #[test]
    fn the_budget_cuts_at_a_sentence_and_says_so() {
        let s = shown(Style::MailHtml, 20);
        assert!(s.cut);
        assert_eq!(
            s.body.matches("<div").count(),
            s.body.matches("</div>").count()
        );
        assert!(!shown(Style::Text, 10_000).cut);
    }
}
