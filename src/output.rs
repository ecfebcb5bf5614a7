//! Output: check reports, diffs and history rendered for a terminal or for scripts.
//!
//! Pure: values in, text out. The JSON line of `check-now --json` is a contract scripts rely
//! on ([`JsonReport`]); the human forms are aligned tables and a sentence diff in which changed
//! words are marked `[-removed-]` and `{+added+}` (wdiff's convention, readable without colour).

use std::fmt::Write as _;

use serde::Serialize;

use crate::classify::{Severity, Side, Verdict};
use crate::diff::Change;
use crate::facts::summary::{FactChange, Plain};
use crate::pipeline::{CheckReport, Outcome, Status};
use crate::present;
use crate::store::VersionMeta;

/// One line of `check-now --json`.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    /// Target id.
    pub target: &'a str,
    /// Target URL.
    pub url: &'a str,
    /// new | changed | unchanged | failed.
    pub status: Status,
    /// Version id, or null.
    pub version: Option<crate::store::VersionId>,
    /// Whether AI-training terms moved.
    pub ai_relevant: bool,
    /// none | low | medium | high.
    pub severity: Severity,
    /// Matched terms.
    pub matched_terms: &'a [String],
    /// Whether the change includes an upcoming-update notice.
    pub announcement: bool,
    /// Sentences added.
    pub added: usize,
    /// Sentences removed.
    pub removed: usize,
    /// Why it failed, or null.
    pub error: Option<String>,
    /// Feeds: the number of new items (absent for pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_items: Option<usize>,
    /// The facts that moved: `{"fact","from","to","quote","note"}`, most important first.
    pub facts_changed: &'a [FactChange],
    /// The change in at most three plain sentences (empty when nothing AI-related moved).
    pub summary: &'a str,
}

impl<'a> From<&'a CheckReport> for JsonReport<'a> {
    fn from(r: &'a CheckReport) -> Self {
        let (added, removed) = r.change().map_or((0, 0), |c| (c.added, c.removed));
        let verdict = r.verdict();
        Self {
            target: r.target.as_str(),
            url: &r.url,
            status: r.status(),
            version: r.version(),
            ai_relevant: verdict.ai_relevant,
            severity: verdict.severity,
            matched_terms: &verdict.matched_terms,
            announcement: verdict.announcement,
            added,
            removed,
            error: r.error().map(ToString::to_string),
            new_items: r.new_items,
            facts_changed: &r.plain().facts_changed,
            summary: &r.plain().summary,
        }
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::New => "new",
        Status::Changed => "changed",
        Status::Unchanged => "unchanged",
        Status::Failed => "failed",
    }
}

/// Left-aligned columns, two spaces apart; the last column is not padded.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let last = row.len().saturating_sub(1);
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i == last {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The summary table of a `check-now`, then the diff of every change.
pub fn check_summary(reports: &[CheckReport]) -> String {
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            let (added, removed) = r.change().map_or((0, 0), |c| (c.added, c.removed));
            vec![
                r.target.to_string(),
                status_word(r.status()).to_string(),
                r.version().map_or_else(|| "-".into(), |v| v.to_string()),
                if r.status() == Status::Changed {
                    format!("+{added} -{removed}")
                } else {
                    "-".into()
                },
                match &r.outcome {
                    Outcome::Failed {
                        error,
                        consecutive_failures: n @ 2..,
                    } => format!("{error} ({n} failures in a row)"),
                    Outcome::Failed { error, .. } => error.to_string(),
                    Outcome::Changed { verdict, .. } => {
                        verdict_note(verdict).unwrap_or_else(|| r.url.clone())
                    }
                    _ => r.url.clone(),
                },
            ]
        })
        .collect();
    let mut out = table(&["TARGET", "STATUS", "VERSION", "SENTENCES", "NOTE"], &rows);
    for r in reports {
        if let Outcome::Changed {
            version,
            previous,
            change: Some(change),
            verdict,
            plain,
        } = &r.outcome
        {
            let _ = write!(
                out,
                "\n== {} ({}): version {previous} -> {version}, {} added, {} removed\n",
                r.name, r.target, change.added, change.removed
            );
            out.push_str(&plain_text(plain));
            out.push_str(&change_text(change, verdict));
        }
    }
    let failed = reports
        .iter()
        .filter(|r| r.status() == Status::Failed)
        .count();
    let changed = reports
        .iter()
        .filter(|r| r.status() == Status::Changed)
        .count();
    let _ = writeln!(
        out,
        "\n{} checked, {changed} changed, {failed} failed",
        reports.len()
    );
    out
}

/// A change's summary and moved facts, as the head of its diff (empty when there are none).
pub fn plain_text(plain: &Plain) -> String {
    let mut out = String::new();
    if !plain.summary.is_empty() {
        let _ = writeln!(out, "{}", plain.summary);
    }
    for line in plain.fact_lines() {
        let _ = writeln!(out, "  * {line}");
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// One line on what the classifier found, if anything.
pub fn verdict_note(v: &Verdict) -> Option<String> {
    let terms = v.matched_terms.join(", ");
    if v.ai_relevant {
        Some(format!("AI-relevant ({}): {terms}", v.severity.as_str()))
    } else if v.announcement {
        Some("upcoming-update notice".to_string())
    } else if v.severity > Severity::None {
        Some(format!("data use ({}): {terms}", v.severity.as_str()))
    } else {
        None
    }
}

/// A change as sentence lines: `  ` context, `- ` removed, `+ ` added, hunks split by `@@`.
/// Sentences that matched a rule are flagged `!`, and the matches are listed after the diff.
pub fn change_text(change: &Change, verdict: &Verdict) -> String {
    let mut out = present::change(change, verdict, present::Style::Text, usize::MAX).body;
    if let Some(note) = verdict_note(verdict) {
        let _ = writeln!(out, "\n{note}");
        for m in &verdict.matches {
            let side = if m.side == Side::Added { "+" } else { "-" };
            let _ = writeln!(
                out,
                "  {side} [{}] \"{}\" in: {}",
                m.rule, m.term, m.sentence
            );
        }
    }
    out
}

/// `history` as a table.
pub fn history_table(versions: &[VersionMeta]) -> String {
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|v| {
            vec![
                v.id.to_string(),
                v.recorded_at.clone(),
                v.size.to_string(),
                v.hash.chars().take(12).collect(),
                format!("+{}", v.added),
                format!("-{}", v.removed),
                if v.ai_relevant {
                    format!("AI ({})", v.severity)
                } else {
                    String::new()
                },
                crate::extract::visible(&match (&v.source, &v.language) {
                    (Some(s), Some(l)) => format!("{s} [{l}]"),
                    (Some(s), None) => s.clone(),
                    (None, Some(l)) => format!("[{l}]"),
                    (None, None) => String::new(),
                })
                .into_owned(),
            ]
        })
        .collect();
    table(
        &[
            "VERSION", "RECORDED", "BYTES", "HASH", "ADDED", "REMOVED", "AI", "SOURCE",
        ],
        &rows,
    )
}

/// `changes`: one row per recorded change, newest first, with its summary when it has one.
pub fn changes_table(rows: &[crate::store::ChangeRow]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let v = &r.version;
            vec![
                v.recorded_at
                    .get(..10)
                    .unwrap_or(&v.recorded_at)
                    .to_string(),
                r.target.clone(),
                v.id.to_string(),
                format!("+{} -{}", v.added, v.removed),
                if v.ai_relevant {
                    format!("AI ({})", v.severity)
                } else {
                    String::new()
                },
                crate::extract::visible(v.headline.as_deref().unwrap_or(&v.summary)).into_owned(),
            ]
        })
        .collect();
    table(
        &["DATE", "TARGET", "VERSION", "SENTENCES", "AI", "SUMMARY"],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let t = table(
            &["A", "BB"],
            &[
                vec!["long".into(), "x".into()],
                vec!["s".into(), "y".into()],
            ],
        );
        assert_eq!(t, "A     BB\nlong  x\ns     y\n");
    }

    #[test]
    fn changed_words_are_marked_inside_edited_sentences() {
        let change =
            crate::diff::diff("We use data. We sell nothing.", "We use data. We sell ads.");
        let text = change_text(&change, &Verdict::default());
        assert!(text.contains("-  We sell [-nothing-]."), "{text}");
        assert!(text.contains("+  We sell {+ads+}."), "{text}");
        assert!(text.contains("   We use data."), "{text}");
    }

    #[test]
    fn matched_sentences_are_flagged_and_listed() {
        let change = crate::diff::diff(
            "We use data.",
            "We use data. We train AI models on your posts.",
        );
        let verdict = crate::classify::classify(&change, &crate::classify::RuleSet::builtin());
        let text = change_text(&change, &verdict);
        assert!(
            text.contains("+! We **train** AI models on your **posts**."),
            "{text}"
        );
        assert!(text.contains("AI-relevant (high)"), "{text}");
        assert!(text.contains("[ai-training] \"train\""), "{text}");
    }
}
