//! `report` and `feed`: the stored history published as a static site and an Atom feed.

use super::{CommandError, Outcome, load, no_symlink, open_store, write_file};
use crate::classify::classify;
use crate::cli::Cli;
use crate::config;
use crate::diff;

/// Writes the HTML report of every document in the watchlist that has versions.
pub(super) async fn report(cli: &Cli, out: &std::path::Path) -> Result<Outcome, CommandError> {
    use crate::report::{ChangeData, ChangeSummary, DocData};
    let Some(wl) = load(cli) else {
        return Ok(Outcome::BadInput);
    };
    let Some(store) = open_store(cli).await? else {
        return Ok(Outcome::BadInput);
    };
    let rules = wl.rule_sets();
    let fact_rules = wl.fact_rules();
    let put = |path: &str, html: &str| -> Result<(), CommandError> {
        let file = out.join(path);
        if let Some(parent) = file.parent().filter(|p| *p != out) {
            no_symlink(parent)?;
        }
        write_file(&file, html.as_bytes())
    };
    let mut docs = Vec::new();
    let mut pages = 0;
    // the languages of one document side by side
    for t in wl.by_document() {
        let versions = store.history(t.id.as_str())?;
        if versions.is_empty() {
            continue;
        }
        let mut doc = DocData {
            id: t.id.to_string(),
            name: if t.language_set || t.language != "en" {
                format!("{} ({})", t.name, t.language)
            } else {
                t.name.clone()
            },
            url: t.url.to_string(),
            current: String::new(),
            versions: versions.clone(),
            changes: Vec::new(),
            region: t.region.clone(),
            facts: Vec::new(),
        };
        let page = t.kind == config::Kind::Page;
        // One version's text and one change at a time: each change page is written as soon
        // as it is rendered, and only its summary is kept for the timeline.
        let mut previous: Option<(&crate::store::VersionMeta, String)> = None;
        for v in &versions {
            let text = store
                .version(t.id.as_str(), Some(v.id))?
                .map(|v| v.text)
                .unwrap_or_default();
            // a page's facts: as stored when the rules in force read them, else read now
            let facts = match store.facts_of(v.id)? {
                _ if !page => crate::facts::Facts::default(),
                Some((fingerprint, f)) if fingerprint == fact_rules.fingerprint => f,
                _ => crate::facts::read(&text, &fact_rules),
            };
            if let Some((old, old_text)) = previous.take() {
                let change = diff::diff(&old_text, &text);
                let verdict = classify(&change, rules.get(&t.language));
                let plain = match doc.facts.last() {
                    Some((_, _, old_facts)) => crate::facts::summary::Plain::tell(
                        &t.name,
                        t.region.as_deref(),
                        old_facts,
                        &facts,
                        &verdict,
                    ),
                    None => Default::default(),
                };
                let data = ChangeData {
                    old: old.clone(),
                    new: v.clone(),
                    change,
                    verdict,
                    plain,
                };
                put(
                    &crate::report::change_path(&doc.id, v.id),
                    &crate::report::change_page(&doc, &data),
                )?;
                pages += 1;
                doc.changes.push(ChangeSummary::from(&data));
            }
            if page {
                doc.facts.push((v.id, v.recorded_at.clone(), facts));
            }
            previous = Some((v, text));
        }
        doc.current = previous.map(|(_, text)| text).unwrap_or_default();
        docs.push(doc);
    }
    let files = crate::report::site(&docs);
    for (path, html) in &files {
        put(path, html)?;
    }
    say!(
        "{}: {} pages for {} documents",
        out.join("index.html").display(),
        files.len() + pages,
        docs.len()
    );
    Ok(Outcome::Ok)
}

/// Writes the Atom feed of changes, replacing `out` atomically.
pub(super) async fn feed(
    cli: &Cli,
    out: &std::path::Path,
    ai_only: bool,
) -> Result<Outcome, CommandError> {
    let Some(wl) = load(cli) else {
        return Ok(Outcome::BadInput);
    };
    let Some(store) = open_store(cli).await? else {
        return Ok(Outcome::BadInput);
    };
    let changes = store.changes(ai_only, 500)?;
    let xml = crate::atom::changes_feed(&changes, &|id| wl.name_of(id), ai_only);
    write_file(out, xml.as_bytes())?;
    say!("{}: {} changes", out.display(), changes.len());
    Ok(Outcome::Ok)
}
