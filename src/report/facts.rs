//! The report's facts page: the matrix of what each document says now (value and since when),
//! then each cell's history, version by version, with the sentences the values were read from.

use std::fmt::Write as _;

use html_escape::encode_text as esc;

use super::{Doc, day, page};
use crate::facts::Facts;
use crate::store::VersionId;

/// A document and every version's facts, oldest first: (version, when recorded, facts).
pub type DocFacts = (Doc, Vec<(VersionId, String, Facts)>);
use crate::facts::{Fact, NOT_STATED};

/// The facts page.
pub fn facts_page(docs: &[DocFacts]) -> String {
    let docs: Vec<&DocFacts> = docs.iter().filter(|d| !d.1.is_empty()).collect();
    let mut body = String::from(
        "<h1>What each document says about members' data and AI</h1>\
         <p class=\"muted\">Read from each stored version by the fact rules (<code>policywatch rules</code>); \
         “—” is not stated. Each value links to its history below.</p>",
    );
    if docs.is_empty() {
        body.push_str("<p class=\"muted\">No page versions stored yet.</p>");
        return page("policywatch: facts", "", &body);
    }
    body.push_str("<div class=\"wide\"><table><tr><th>Document</th>");
    for f in Fact::ALL {
        let _ = write!(body, "<th>{}</th>", esc(f.short()));
    }
    body.push_str("</tr>");
    for d in &docs {
        let _ = write!(body, "<tr><td>{}", esc(&d.0.name));
        if let Some(r) = &d.0.region {
            let _ = write!(body, "<br><small>{}</small>", esc(r));
        }
        body.push_str("</td>");
        for f in Fact::ALL {
            let runs = runs(d, f);
            match runs.last() {
                Some(r) if r.value != NOT_STATED => {
                    let _ = write!(
                        body,
                        "<td><a href=\"#{}-{}\">{}</a><br><small>since {}</small></td>",
                        esc(&d.0.id),
                        f.name(),
                        esc(&r.value.replace(',', ", ")),
                        esc(day(r.since))
                    );
                }
                _ => body.push_str("<td>—</td>"),
            }
        }
        body.push_str("</tr>");
    }
    body.push_str("</table></div>");
    for d in &docs {
        let _ = write!(body, "<h2>{}</h2>", esc(&d.0.name));
        for f in Fact::ALL {
            let runs = runs(d, f);
            if runs.iter().all(|r| r.value == NOT_STATED) {
                continue;
            }
            let _ = write!(
                body,
                "<h3 id=\"{}-{}\">{}</h3><ul>",
                esc(&d.0.id),
                f.name(),
                esc(f.name())
            );
            for r in &runs {
                let _ = write!(
                    body,
                    "<li>{} (version {}): <b>{}</b>",
                    esc(day(r.since)),
                    r.version,
                    esc(&r.value.replace(',', ", "))
                );
                if let Some(q) = r.quote {
                    let _ = write!(body, "<br>“{}”", esc(q));
                }
                if !r.note.is_empty() {
                    let _ = write!(body, " <small>({})</small>", esc(r.note));
                }
                body.push_str("</li>");
            }
            body.push_str("</ul>");
        }
    }
    page("policywatch: facts", "", &body)
}

/// A value a fact kept over consecutive versions.
struct Run<'a> {
    value: &'a str,
    since: &'a str,
    version: VersionId,
    quote: Option<&'a str>,
    note: &'a str,
}

fn runs(d: &DocFacts, fact: Fact) -> Vec<Run<'_>> {
    let mut out: Vec<Run<'_>> = Vec::new();
    for (id, at, facts) in &d.1 {
        let value = facts.value(fact);
        if out.last().is_some_and(|r| r.value == value) {
            continue;
        }
        let finding = facts.get(fact);
        out.push(Run {
            value,
            since: at,
            version: *id,
            quote: finding.and_then(|f| f.quotes.first()).map(String::as_str),
            note: finding.map_or("", |f| f.note.as_str()),
        });
    }
    out
}
