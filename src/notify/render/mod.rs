//! Render: alerts, incidents, recoveries, digests and test messages as subject + text + HTML.
//!
//! Pure. All page text is escaped in the HTML part and never reaches a link or a header; a
//! subject is built only from the target's name and counts, with control characters removed,
//! so a page cannot inject header lines. The changed-sentence text of an alert is capped; past
//! the cap the mail says how to see the full diff.

use std::fmt::Write as _;

mod digest;

pub use digest::digest;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

use crate::classify::{Severity, Side, Verdict};
use crate::diff::Change;
use crate::facts::summary::Plain;
use crate::present::{self, Style};
use crate::store::VersionId;

/// A message, ready to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One line, no control characters.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy)]
pub struct AlertInput<'a> {
    /// Target id.
    pub target: &'a str,
    /// Target name.
    pub name: &'a str,
    /// Target URL.
    pub url: &'a str,
    /// The previous version: id and time.
    pub old: (VersionId, &'a str),
    /// The new version: id and time.
    pub new: (VersionId, &'a str),
    /// The sentence diff.
    pub change: &'a Change,
    /// The classifier's verdict.
    pub verdict: &'a Verdict,
    /// Cap on the changed-sentence text, in characters.
    pub max_body: usize,
    /// The change in plain words: moved facts and summary.
    pub plain: &'a Plain,
}

/// A subject line: control characters (CR, LF…) become spaces, runs of spaces one, at most 200
/// characters.
pub fn clean_subject(s: &str) -> String {
    let spaced: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().count() > 200 {
        out = out.chars().take(199).collect::<String>() + "…";
    }
    out
}

/// Matches quoted in one alert; the full list is one `policywatch diff` away.
const MAX_REASONS: usize = 20;

const STYLE: &str = "font-family:sans-serif;font-size:14px;line-height:1.4";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title></head><body style=\"{STYLE}\">{body}<p style=\"color:#666\">— policywatch</p></body></html>",
        esc(title)
    )
}

/// The immediate mail for an AI-relevant change or an upcoming-update notice.
pub fn alert(a: &AlertInput<'_>) -> Rendered {
    let v = a.verdict;
    let what = if v.ai_relevant && v.severity == Severity::High {
        "AI-training terms changed"
    } else if v.ai_relevant {
        "AI-related terms changed"
    } else {
        "update to the terms announced"
    };
    let subject = clean_subject(&match &a.plain.headline {
        // the most important fact change names the mail
        Some(headline) => format!("[{}] {}: {headline}", v.severity.as_str(), a.name),
        None => format!(
            "[{}] {}: {what} ({} added, {} removed)",
            v.severity.as_str(),
            a.name,
            a.change.added,
            a.change.removed
        ),
    });
    let command = format!(
        "policywatch diff {} --from {} --to {}",
        a.target, a.old.0, a.new.0
    );

    let lines = a.plain.fact_lines();
    let mut text = String::new();
    if !a.plain.summary.is_empty() {
        let _ = writeln!(text, "{}\n", a.plain.summary);
    }
    if !lines.is_empty() {
        text.push_str("What it now says (before → after):\n");
        for l in &lines {
            let _ = writeln!(text, "  - {l}");
        }
        text.push('\n');
    }
    let _ = write!(
        text,
        "{name} changed, and the change {kind} (severity: {sev}).\n\nURL: {url}\nOld version: {o} ({ot})\nNew version: {n} ({nt})\nFull diff: {command}\n\nWhy:\n",
        name = a.name,
        kind = if v.ai_relevant {
            "touches AI-training terms"
        } else {
            "announces an update to the terms"
        },
        sev = v.severity.as_str(),
        url = a.url,
        o = a.old.0,
        ot = a.old.1,
        n = a.new.0,
        nt = a.new.1,
    );
    let reasons = reasons(v);
    for (side, sentence, rules) in reasons.iter().take(MAX_REASONS) {
        let _ = writeln!(
            text,
            "  - ({side}) {sentence}\n      matched: {}",
            rules.join(", ")
        );
    }
    let more = reasons.len().saturating_sub(MAX_REASONS);
    if more > 0 {
        let _ = writeln!(text, "  … and {more} more sentences");
    }
    // the text part shows the sentences plainly (the "Why" above lists what matched)
    let shown = present::change(a.change, &Verdict::default(), Style::Text, a.max_body);
    let (shown, cut) = (shown.body, shown.cut);
    let _ = write!(
        text,
        "\nChanged sentences ([-removed-] {{+added+}}):\n{shown}"
    );
    if cut {
        let _ = write!(
            text,
            "\n… the change is longer than this mail; see it whole with: {command}\n"
        );
    }

    let mut html = format!("<h2>{}</h2>", esc(&subject));
    if !a.plain.summary.is_empty() {
        let _ = write!(html, "<p><b>{}</b></p>", esc(&a.plain.summary));
    }
    if !lines.is_empty() {
        html.push_str("<h3>What it now says (before → after)</h3><ul>");
        for l in &lines {
            let _ = write!(html, "<li>{}</li>", esc(l));
        }
        html.push_str("</ul>");
    }
    let _ = write!(
        html,
        "<p><a href=\"{}\">{}</a><br>Old version {} ({}), new version {} ({})<br>Full diff: <code>{}</code></p><h3>Why</h3><ul>",
        attr(a.url),
        esc(a.url),
        a.old.0,
        esc(a.old.1),
        a.new.0,
        esc(a.new.1),
        esc(&command)
    );
    for (side, sentence, rules) in reasons.iter().take(MAX_REASONS) {
        let _ = write!(
            html,
            "<li>({side}) {}<br><small>matched: {}</small></li>",
            esc(sentence),
            esc(&rules.join(", "))
        );
    }
    if more > 0 {
        let _ = write!(html, "<li>… and {more} more</li>");
    }
    html.push_str("</ul><h3>Changed sentences</h3>");
    let shown = present::change(a.change, v, Style::MailHtml, a.max_body);
    html.push_str(&shown.body);
    if shown.cut {
        let _ = write!(
            html,
            "<p>… the change is longer than this mail; see it whole with <code>{}</code></p>",
            esc(&command)
        );
    }
    Rendered {
        html: page(&subject, &html),
        subject,
        text,
    }
}

/// A new or changed feed item worth an alert.
#[derive(Debug, Clone, Copy)]
pub struct ItemAlert<'a> {
    /// New (else changed).
    pub new: bool,
    /// Title.
    pub title: &'a str,
    /// Date, as the feed gave it.
    pub date: &'a str,
    /// Link.
    pub link: &'a str,
    /// Its verdict.
    pub verdict: &'a Verdict,
    /// Sentences quoted from the linked article (`follow_links`).
    pub quotes: &'a [String],
    /// Why the article could not be quoted.
    pub quote_error: Option<&'a str>,
}

/// The immediate mail for AI-relevant new or changed items of a feed.
pub fn feed_alert(
    target: &str,
    name: &str,
    url: &str,
    new_version: VersionId,
    items: &[ItemAlert<'_>],
) -> Rendered {
    let severity = items
        .iter()
        .map(|i| i.verdict.severity)
        .max()
        .unwrap_or_default();
    let subject = clean_subject(&match items {
        [one] => format!(
            "[{}] {name}: {} item on AI-training terms: {}",
            severity.as_str(),
            if one.new { "new" } else { "changed" },
            one.title
        ),
        many => format!(
            "[{}] {name}: {} items on AI-training terms",
            severity.as_str(),
            many.len()
        ),
    });
    let mut text = format!(
        "{name} ({url}) has items that touch AI-training terms (version {new_version}; full text: policywatch show {target} {new_version}).\n"
    );
    let mut html = format!(
        "<h2>{}</h2><p>Feed: <a href=\"{}\">{}</a></p>",
        esc(&subject),
        attr(url),
        esc(url)
    );
    for i in items {
        let kind = if i.new { "New" } else { "Changed" };
        let _ = write!(
            text,
            "\n{kind} item: {}\nDate: {}\nLink: {}\nWhy:\n",
            i.title, i.date, i.link
        );
        let _ = write!(
            html,
            "<h3>{kind} item: {}</h3><p>{}<br>",
            esc(i.title),
            esc(i.date)
        );
        if i.link.starts_with("http://") || i.link.starts_with("https://") {
            let _ = write!(html, "<a href=\"{}\">{}</a>", attr(i.link), esc(i.link));
        } else {
            html.push_str(&esc(i.link));
        }
        html.push_str("</p><ul>");
        for m in i.verdict.matches.iter().take(MAX_REASONS) {
            let _ = writeln!(text, "  - [{}] \"{}\": {}", m.rule, m.term, m.sentence);
            let _ = write!(
                html,
                "<li><b>{}</b> “{}”: {}</li>",
                esc(&m.rule),
                esc(&m.term),
                esc(&m.sentence)
            );
        }
        html.push_str("</ul>");
        if !i.quotes.is_empty() {
            text.push_str("From the article:\n");
            html.push_str("<p>From the article:</p><ul>");
            for q in i.quotes {
                let _ = writeln!(text, "  > {q}");
                let _ = write!(html, "<li><blockquote>{}</blockquote></li>", esc(q));
            }
            html.push_str("</ul>");
        }
        if let Some(e) = i.quote_error {
            let _ = writeln!(text, "(the article could not be read: {e})");
            let _ = write!(html, "<p>(the article could not be read: {})</p>", esc(e));
        }
    }
    Rendered {
        html: page(&subject, &html),
        subject,
        text,
    }
}

/// The matches grouped by sentence, in order: (added|removed, sentence, [`rule "term"`…]).
fn reasons(v: &Verdict) -> Vec<(&'static str, &str, Vec<String>)> {
    let mut out: Vec<(&'static str, &str, Vec<String>)> = Vec::new();
    for m in &v.matches {
        let side = if m.side == Side::Added {
            "added"
        } else {
            "removed"
        };
        let rule = format!("{} \"{}\"", m.rule, m.term);
        match out
            .iter_mut()
            .find(|(s, sentence, _)| *s == side && *sentence == m.sentence)
        {
            Some((_, _, rules)) if !rules.contains(&rule) => rules.push(rule),
            Some(_) => {}
            None => out.push((side, &m.sentence, vec![rule])),
        }
    }
    out
}
/// The mail sent when a target has failed `failures` times in a row.
pub fn incident(target: &str, name: &str, url: &str, failures: u32, error: &str) -> Rendered {
    let subject = clean_subject(&format!(
        "{name}: cannot be checked ({failures} failures in a row)"
    ));
    let text = format!(
        "{name} ({target}) has failed {failures} checks in a row, so changes to it would go unnoticed.\n\nURL: {url}\nLast error: {error}\n\nOne more mail will follow when it recovers. Status: policywatch status\n"
    );
    let html = format!(
        "<h2>{}</h2><p><a href=\"{}\">{}</a></p><p>Last error: <code>{}</code></p><p>One more mail will follow when it recovers.</p>",
        esc(&subject),
        attr(url),
        esc(url),
        esc(error)
    );
    Rendered {
        html: page(&subject, &html),
        subject,
        text,
    }
}

/// The mail sent when a failing target is checked again successfully.
pub fn recovery(target: &str, name: &str, url: &str) -> Rendered {
    let subject = clean_subject(&format!("{name}: checks work again"));
    let text = format!("{name} ({target}) was checked successfully again.\n\nURL: {url}\n");
    let html = format!(
        "<h2>{}</h2><p><a href=\"{}\">{}</a></p>",
        esc(&subject),
        attr(url),
        esc(url)
    );
    Rendered {
        html: page(&subject, &html),
        subject,
        text,
    }
}

/// The mail saying one language of a document has not followed another's AI-relevant change.
pub fn lag(l: &super::event::LagEvent) -> Rendered {
    let day = l.changed_at.get(..10).unwrap_or(&l.changed_at);
    let leading = crate::classify::lang::english_name(&l.leading_language);
    let subject = clean_subject(&format!(
        "{} ({}) has not followed the {leading} AI-training change of {day} after {}",
        l.lagging.name, l.lagging_language, l.after
    ));
    let text = format!(
        "{subject}.\n\n{} ({}) changed wording on AI training on {day} ({}), and {} ({}) has recorded no change since: members reading it in that language may still see the old terms.\n\nSee the change: policywatch diff {}\nThe lagging text: policywatch show {}\n\nWhen it catches up, the digest says so.\n",
        l.leading.name,
        l.leading_language,
        l.leading.url,
        l.lagging.name,
        l.lagging_language,
        l.leading.target,
        l.lagging.target
    );
    let html = format!(
        "<h2>{}</h2><p><a href=\"{}\">{}</a> ({}) changed wording on AI training on {}; <a href=\"{}\">{}</a> ({}) has recorded no change since.</p><p>See the change: <code>policywatch diff {}</code></p>",
        esc(&subject),
        attr(&l.leading.url),
        esc(&l.leading.name),
        esc(&l.leading_language),
        esc(day),
        attr(&l.lagging.url),
        esc(&l.lagging.name),
        esc(&l.lagging_language),
        esc(&l.leading.target)
    );
    Rendered {
        html: page(&subject, &html),
        subject,
        text,
    }
}

/// A test message.
pub fn test_message(now: &str) -> Rendered {
    let subject = "policywatch test message".to_string();
    let text = format!("This is a test message from policywatch, sent at {now}. Mail works.\n");
    let html = format!(
        "<p>This is a test message from policywatch, sent at {}. Mail works.</p>",
        esc(now)
    );
    Rendered {
        html: page(&subject, &html),
        subject,
        text,
    }
}

#[cfg(test)]
mod tests;
