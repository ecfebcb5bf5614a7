//! The digest: everything recorded since the previous one, AI-relevant changes first.

use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

use super::{Rendered, clean_subject, page};
use crate::store::DigestMaterial;

/// The digest of everything since the previous one: AI-relevant changes first (by severity),
/// then other changes, newly tracked documents, failing targets and recoveries.
pub fn digest(m: &DigestMaterial, name_of: &dyn Fn(&str) -> String, now: &str) -> Rendered {
    let mut changes: Vec<_> = m.changes.iter().collect();
    changes.sort_by(|a, b| {
        (b.2.ai_relevant, b.2.severity)
            .cmp(&(a.2.ai_relevant, a.2.severity))
            .then(a.2.id.cmp(&b.2.id))
    });
    let ai = changes.iter().filter(|c| c.2.ai_relevant).count();
    let subject = clean_subject(&format!(
        "policywatch digest: {} changes ({ai} AI-relevant), {} failing",
        changes.len(),
        m.failing.len()
    ));
    let mut text = format!("policywatch digest, {now}\n");
    let mut html = format!("<h2>{}</h2>", esc(&subject));
    // A line that is only a target: its name and key, its name in HTML.
    let named = |k: &String| {
        (
            format!("{} ({k})", name_of(k)),
            esc(&name_of(k)).into_owned(),
        )
    };
    section(&mut text, &mut html, "Changes", changes.iter().map(|(key, url, v)| {
        let mark = if v.ai_relevant { format!("[AI, {}] ", v.severity) } else { String::new() };
        // the change told plainly leads its entry
        let (said, said_html) = if v.summary.is_empty() {
            (String::new(), String::new())
        } else {
            (format!("\n      {}", v.summary), format!("<br>{}", esc(&v.summary)))
        };
        (
            format!("{mark}{} ({key}):{said}\n      version {}, {} added, {} removed, {} — {url}\n      policywatch diff {key} --to {}", name_of(key), v.id, v.added, v.removed, v.recorded_at, v.id),
            format!("<b>{}</b>{}{said_html}<br>version {}, {} added, {} removed, {} — <a href=\"{}\">{}</a>", esc(&mark), esc(&name_of(key)), v.id, v.added, v.removed, esc(&v.recorded_at), attr(url), esc(url)),
        )
    }));
    let items: Vec<_> = m
        .changes
        .iter()
        .flat_map(|(key, _, v)| v.new_items.iter().map(move |i| (key, i)))
        .collect();
    section(
        &mut text,
        &mut html,
        "New feed items",
        items.iter().map(|(key, i)| {
            let mark = if i.ai_relevant {
                format!("[AI, {}] ", i.severity)
            } else {
                String::new()
            };
            (
                format!(
                    "{mark}{} — {} ({}) {}",
                    name_of(key),
                    i.title,
                    i.date,
                    i.link
                ),
                format!(
                    "<b>{}</b>{} — {} ({}) {}",
                    esc(&mark),
                    esc(&name_of(key)),
                    esc(&i.title),
                    esc(&i.date),
                    esc(&i.link)
                ),
            )
        }),
    );
    section(
        &mut text,
        &mut html,
        "Newly tracked",
        m.new_targets.iter().map(&named),
    );
    section(
        &mut text,
        &mut html,
        "Failing",
        m.failing.iter().map(|(k, url, n, e)| {
            (
                format!("{} ({k}): {n} failures in a row: {e} — {url}", name_of(k)),
                format!(
                    "{}: {n} failures in a row: <code>{}</code>",
                    esc(&name_of(k)),
                    esc(e)
                ),
            )
        }),
    );
    section(
        &mut text,
        &mut html,
        "Translations caught up",
        m.caught_up.iter().map(|c| (c.clone(), esc(c).into_owned())),
    );
    section(
        &mut text,
        &mut html,
        "Recovered",
        m.recovered.iter().map(named),
    );
    if m.is_empty() {
        text.push_str("\nNothing changed and nothing failed since the last digest.\n");
        html.push_str("<p>Nothing changed and nothing failed since the last digest.</p>");
    }
    Rendered {
        html: page(&subject, &html),
        subject,
        text,
    }
}
fn section(
    text: &mut String,
    html: &mut String,
    title: &str,
    items: impl Iterator<Item = (String, String)>,
) {
    let items: Vec<_> = items.collect();
    if items.is_empty() {
        return;
    }
    let _ = writeln!(text, "\n{title}:");
    let _ = write!(html, "<h3>{title}</h3><ul>");
    for (t, h) in items {
        let _ = writeln!(text, "  - {t}");
        let _ = write!(html, "<li>{h}</li>");
    }
    html.push_str("</ul>");
}
