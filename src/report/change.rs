//! The page of one change: what it says in plain words, the facts that moved, why it matters,
//! then the sentence diff with matched terms marked (pure).

use std::collections::HashSet;
use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

use super::{Doc, Route, badge, day, page_close, page_open};
use crate::classify::{Side, Verdict};
use crate::config::TargetId;
use crate::diff::Change;
use crate::facts::summary::Plain;
use crate::present;
use crate::store::VersionMeta;

/// One recorded change of a document.
pub struct ChangeData {
    /// The version before.
    pub old: VersionMeta,
    /// The version recorded.
    pub new: VersionMeta,
    /// The sentence diff.
    pub change: Change,
    /// The classifier's verdict.
    pub verdict: Verdict,
    /// The change in plain words.
    pub plain: Plain,
}

/// The page of one change.
pub fn change_page(d: &Doc, c: &ChangeData) -> String {
    let mut body = page_open(&format!("{}: version {}", d.name, c.new.id), "../", 0);
    let versions = TargetId::parse(&d.id)
        .map(|id| {
            format!(
                " · <a href=\"../{}\">all versions</a>",
                attr(&Route::Target(id).path())
            )
        })
        .unwrap_or_default();
    let _ = write!(
        body,
        "<h1>{} {}</h1><p>Version {} ({}) → {} ({}): {} sentences added, {} removed.<br><a href=\"{}\">{}</a>{versions}</p>",
        esc(&d.name),
        badge(&c.new),
        c.old.id,
        esc(day(&c.old.recorded_at)),
        c.new.id,
        esc(day(&c.new.recorded_at)),
        c.change.added,
        c.change.removed,
        attr(&d.url),
        esc(&d.url)
    );
    // the change told plainly leads; the quoted sentences follow
    if !c.plain.summary.is_empty() {
        let _ = write!(body, "<p><b>{}</b></p>", esc(&c.plain.summary));
    }
    let lines = c.plain.fact_lines();
    if !lines.is_empty() {
        body.push_str("<h2>What it now says (before → after)</h2><ul>");
        for l in &lines {
            let _ = write!(body, "<li>{}</li>", esc(l));
        }
        body.push_str("</ul>");
    }
    if !c.verdict.matches.is_empty() {
        body.push_str("<h2>Why it matters</h2><ul>");
        let mut seen: HashSet<(&str, &str, Side)> = HashSet::new();
        for m in &c.verdict.matches {
            if !seen.insert((m.rule.as_str(), m.term.as_str(), m.side)) {
                continue;
            }
            let side = if m.side == Side::Added {
                "added"
            } else {
                "removed"
            };
            let _ = write!(
                body,
                "<li><b>{}</b> “{}” ({side})</li>",
                esc(&m.rule),
                esc(&m.term)
            );
        }
        body.push_str("</ul>");
    }
    body.push_str("<h2>What changed</h2>");
    present::change_into(
        &mut body,
        &c.change,
        &c.verdict,
        present::Style::ReportHtml,
        usize::MAX,
    );
    page_close(body)
}
