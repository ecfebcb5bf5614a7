//! The overview, a target's timeline, a document's text and the outbox (pure).

use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

use super::{Doc, Route, badge, day, minute, page, page_close, page_open};
use crate::config::TargetId;
use crate::store::{ChangeRow, Mail, VersionMeta};
use crate::views::StatusLine;

/// A row of the overview: a target, its state, its latest version (and whether that one is a
/// change), and whether it is a page (pages have texts).
pub struct TargetRow {
    /// The document.
    pub doc: Doc,
    /// Its state.
    pub status: StatusLine,
    /// Its latest version, and whether it has one before.
    pub latest: Option<(VersionMeta, bool)>,
}

/// Counts of notifications by state.
#[derive(Debug, Default, Clone, Copy)]
pub struct Notifications {
    /// Waiting to go (or to be retried).
    pub pending: usize,
    /// Given up on.
    pub failed: usize,
}

fn target_link(id: &str) -> String {
    TargetId::parse(id).map_or_else(|_| String::new(), |t| Route::Target(t).path())
}

fn change_link(id: &str, v: crate::store::VersionId) -> String {
    TargetId::parse(id).map_or_else(|_| String::new(), |t| Route::Change(t, v).path())
}

/// The overview: every target, the notifications, the latest changes.
pub fn overview(rows: &[TargetRow], notes: Notifications, recent: &[ChangeRow]) -> String {
    let mut body = String::from("<h1>What the terms say about your data</h1>");
    let failing = rows
        .iter()
        .filter(|r| r.status.status.consecutive_failures > 0)
        .count();
    let _ = write!(
        body,
        "<p>{} target(s), {failing} failing. Notifications: <a href=\"outbox.html\">{} pending, {} failed</a>.</p>",
        rows.len(),
        notes.pending,
        notes.failed
    );
    body.push_str("<div class=\"wide\"><table><tr><th>Target</th><th>Region · language</th><th>Last check</th><th>Last change</th><th>Failures</th><th>Next run</th></tr>");
    for r in rows {
        let s = &r.status.status;
        let _ = write!(
            body,
            "<tr><td><a href=\"{}\">{}</a></td><td>{} · {}</td><td>{}</td><td>",
            attr(&target_link(&r.doc.id)),
            esc(&r.doc.name),
            esc(r.doc.region.as_deref().unwrap_or("—")),
            esc(&r.doc.language),
            match (&s.last_checked_at, &s.last_result) {
                (Some(at), Some(result)) =>
                    format!("{} <small>{}</small>", esc(&minute(at)), esc(result)),
                (Some(at), None) => esc(&minute(at)).into_owned(),
                _ => "not yet".into(),
            }
        );
        match &r.latest {
            Some((v, true)) => {
                let _ = write!(
                    body,
                    "<a href=\"{}\">{}</a> {}",
                    attr(&change_link(&r.doc.id, v.id)),
                    esc(day(&v.recorded_at)),
                    badge(v)
                );
            }
            Some((v, false)) => {
                let _ = write!(body, "first seen {}", esc(day(&v.recorded_at)));
            }
            None => body.push('—'),
        }
        let _ = write!(
            body,
            "</td><td>{}</td><td>{}</td></tr>",
            if s.consecutive_failures > 0 {
                format!(
                    "<span class=\"bad\">{}</span><br><small>{}</small>",
                    s.consecutive_failures,
                    esc(s.last_error.as_deref().unwrap_or(""))
                )
            } else {
                "0".into()
            },
            esc(&r
                .status
                .next_run
                .as_deref()
                .map_or_else(|| "—".into(), minute))
        );
    }
    body.push_str("</table></div><h2>Latest changes</h2>");
    if recent.is_empty() {
        body.push_str("<p class=\"muted\">No change recorded yet.</p>");
    } else {
        body.push_str("<ul>");
        for c in recent {
            let name = rows
                .iter()
                .find(|r| r.doc.id == c.target)
                .map_or(c.target.as_str(), |r| r.doc.name.as_str());
            let _ = write!(
                body,
                "<li>{} <a href=\"{}\">{}</a> {}{}</li>",
                esc(day(&c.version.recorded_at)),
                attr(&change_link(&c.target, c.version.id)),
                esc(name),
                badge(&c.version),
                told(&c.version)
            );
        }
        body.push_str("</ul>");
    }
    page("policywatch", "", &body)
}

/// The change told plainly, on its own line, when it was.
fn told(v: &VersionMeta) -> String {
    match (&v.headline, v.summary.is_empty()) {
        (Some(h), _) => format!("<br>{}", esc(h)),
        (None, false) => format!("<br>{}", esc(&v.summary)),
        (None, true) => String::new(),
    }
}

/// A target's timeline: every version, newest first, each change linked.
pub fn timeline(doc: &Doc, versions: &[VersionMeta], has_text: bool) -> String {
    let Ok(id) = TargetId::parse(&doc.id) else {
        return page(&doc.name, "../", "");
    };
    let mut body = format!(
        "<h1>{}</h1><p class=\"muted\"><a href=\"{}\">{}</a><br>{} · {} · {} version(s)",
        esc(&doc.name),
        attr(&doc.url),
        esc(&doc.url),
        esc(doc.region.as_deref().unwrap_or("no region")),
        esc(&doc.language),
        versions.len()
    );
    if has_text && !versions.is_empty() {
        let _ = write!(
            body,
            " · <a href=\"../{}\">current text</a>",
            attr(&Route::Document(id.clone()).path())
        );
    }
    let _ = write!(
        body,
        " · <a href=\"../{}\">feed</a></p>",
        attr(&Route::TargetFeed(id.clone()).path())
    );
    if versions.is_empty() {
        body.push_str("<p class=\"muted\">No version stored yet.</p>");
        return page(&doc.name, "../", &body);
    }
    body.push_str("<div class=\"wide\"><table><tr><th>Recorded</th><th>Version</th><th>Sentences</th><th>Matched</th></tr>");
    for (i, v) in versions.iter().enumerate().rev() {
        let what = if i == 0 {
            format!("{} (first)", v.id)
        } else {
            format!(
                "<a href=\"../{}\">{} → {}</a> {}{}",
                attr(&Route::Change(id.clone(), v.id).path()),
                versions[i - 1].id,
                v.id,
                badge(v),
                told(v)
            )
        };
        let source = match (&v.source, &v.language) {
            (Some(s), Some(l)) => format!("<br><small>from {} ({})</small>", esc(s), esc(l)),
            (Some(s), None) => format!("<br><small>from {}</small>", esc(s)),
            (None, Some(l)) => format!("<br><small>({})</small>", esc(l)),
            (None, None) => String::new(),
        };
        let _ = write!(
            body,
            "<tr><td>{}{source}</td><td>{what}</td><td>+{} −{}</td><td>{}</td></tr>",
            esc(&minute(&v.recorded_at)),
            v.added,
            v.removed,
            esc(&v.matched_terms.join(", "))
        );
    }
    body.push_str("</table></div>");
    page(&doc.name, "../", &body)
}

/// A document's text, headings as headings.
pub fn document(doc: &Doc, text: &str) -> String {
    let mut body = page_open(&doc.name, "../", text.len() + text.len() / 8);
    let _ = write!(
        body,
        "<h1>{}</h1><p class=\"muted\"><a href=\"{}\">{}</a> · <a href=\"../{}\">versions</a></p>",
        esc(&doc.name),
        attr(&doc.url),
        esc(&doc.url),
        attr(&target_link(&doc.id))
    );
    for line in text.lines() {
        match line
            .strip_prefix("# ")
            .or_else(|| line.strip_prefix("## "))
            .or_else(|| line.strip_prefix("### "))
        {
            Some(h) => {
                let _ = write!(body, "<h2>{}</h2>", esc(h));
            }
            None => {
                let _ = write!(body, "<p>{}</p>", esc(line));
            }
        }
    }
    page_close(body)
}

/// The outbox: the newest notifications with their state and last error.
pub fn outbox(mails: &[Mail], notes: Notifications) -> String {
    let mut body = format!(
        "<h1>Notifications</h1><p>{} pending, {} failed for good. The newest {} are listed; <code>policywatch outbox</code> lists them too.</p>",
        notes.pending,
        notes.failed,
        mails.len()
    );
    if mails.is_empty() {
        body.push_str("<p class=\"muted\">Nothing queued yet.</p>");
        return page("policywatch: notifications", "", &body);
    }
    body.push_str("<div class=\"wide\"><table><tr><th>Queued</th><th>Kind</th><th>State</th><th>Through</th><th>Subject</th></tr>");
    for m in mails {
        let through = m
            .channel
            .as_deref()
            .map_or_else(|| format!("email {}", m.recipient), str::to_string);
        let state = match m.status.as_str() {
            "failed" => format!(
                "<span class=\"bad\">failed</span> after {} tries",
                m.attempts
            ),
            "sent" => format!(
                "sent {}",
                esc(&m.sent_at.as_deref().map_or_else(String::new, minute))
            ),
            other => format!("{} ({} tries)", esc(other), m.attempts),
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{state}{}</td><td>{}</td><td>{}</td></tr>",
            esc(&minute(&m.created_at)),
            esc(&m.kind),
            m.last_error
                .as_deref()
                .filter(|_| m.status != "sent")
                .map(|e| format!("<br><small>{}</small>", esc(e)))
                .unwrap_or_default(),
            esc(&through),
            esc(&m.subject)
        );
    }
    body.push_str("</table></div>");
    page("policywatch: notifications", "", &body)
}
