//! `import --format ota DIR --target ID`: backfill history, classified, without mail.

use std::path::Path;

use super::{CommandError, Outcome, load, open_store};
use crate::classify::classify;
use crate::cli::Cli;
use crate::diff;
use crate::facts::{self, summary::Plain};
use crate::import::{IMPORTED_KEY, dated_files, markdown_text};
use crate::output;
use crate::store::{NewVersion, Observation, Recorded};

pub(super) async fn import(cli: &Cli, dir: &Path, target: &str) -> Result<Outcome, CommandError> {
    let Some(wl) = load(cli) else {
        return Ok(Outcome::BadInput);
    };
    let Some(t) = wl.targets.iter().find(|t| t.id.as_str() == target) else {
        eprintln!("policywatch: unknown target id {target:?}: add it to the watchlist first");
        return Ok(Outcome::BadInput);
    };
    let (files, skipped) = match dated_files(dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("policywatch: cannot read the archive: {e}");
            return Ok(Outcome::BadInput);
        }
    };
    if files.is_empty() {
        eprintln!(
            "policywatch: {}: no dated versions (files named like 2024-09-19.md)",
            dir.display()
        );
        return Ok(Outcome::BadInput);
    }
    let Some(mut store) = open_store(cli).await? else {
        return Ok(Outcome::BadInput);
    };
    // A re-run continues where the last one stopped: versions already stored are kept, and
    // only files dated after the newest of them are imported (history stays in date order).
    let history = store.history(target)?;
    let newest = history
        .last()
        .and_then(|v| chrono::DateTime::parse_from_rfc3339(&v.recorded_at).ok())
        .map(|d| d.with_timezone(&chrono::Utc));
    let pending: Vec<_> = files
        .iter()
        .filter(|f| newest.is_none_or(|n| f.at > n))
        .collect();
    if pending.is_empty() {
        say!(
            "nothing to import for {target}: its {} stored versions already reach {}",
            history.len(),
            newest.map_or_else(String::new, |n| n.to_rfc3339())
        );
        return Ok(Outcome::Ok);
    }
    // Every file is read and converted before anything is written: one bad file (not UTF-8,
    // unreadable, hostile) stops the import with its name and leaves the store as it was.
    let mut texts = Vec::new();
    let mut problems = Vec::new();
    for f in &pending {
        let text = std::fs::read(&f.path)
            .map_err(|e| e.to_string())
            .and_then(|b| String::from_utf8(b).map_err(|e| format!("not UTF-8 text ({e})")))
            .and_then(|md| markdown_text(&md));
        match text {
            Ok(t) => texts.push(t),
            Err(e) => problems.push(format!("{}: {e}", f.path.display())),
        }
    }
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("error: {p}");
        }
        eprintln!(
            "policywatch: {} file(s) cannot be imported; nothing was written",
            problems.len()
        );
        return Ok(Outcome::BadInput);
    }
    let rules = wl.rule_set_for(&t.language);
    let fact_rules = wl.fact_rules();
    let mut previous: Option<String> = match history.last() {
        Some(v) => store.version(target, Some(v.id))?.map(|v| v.text),
        None => None,
    };
    let mut previous_facts = previous.as_deref().map(|p| facts::read(p, &fact_rules));
    let mut rows = Vec::new();
    let mut shrank = Vec::new();
    for (f, text) in pending.iter().zip(texts) {
        let source = format!(
            "import:{}",
            f.path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        );
        if let Some(p) = &previous
            && text.chars().count() * 2 < p.chars().count()
        {
            shrank.push(format!(
                "{}: the text shrank from {} to {} characters: check the file",
                f.path.display(),
                p.chars().count(),
                text.chars().count()
            ));
        }
        let change = previous.as_deref().map(|p| diff::diff(p, &text));
        let verdict = change
            .as_ref()
            .map(|c| classify(c, &rules))
            .unwrap_or_default();
        let now = facts::read(&text, &fact_rules);
        let plain = previous_facts
            .as_ref()
            .map(|old| Plain::tell(&t.name, t.region.as_deref(), old, &now, &verdict))
            .unwrap_or_default();
        let hash = crate::store::sha256_hex(text.as_bytes());
        let recorded = store.record(&Observation {
            target,
            url: t.url.as_str(),
            at: f.at,
            duration: std::time::Duration::ZERO,
            etag: None,
            last_modified: None,
            snapshot: None,
            version: Some(NewVersion {
                text: &text,
                hash: &hash,
                added: change.as_ref().map_or(0, |c| c.added),
                removed: change.as_ref().map_or(0, |c| c.removed),
                ai_relevant: verdict.ai_relevant,
                severity: verdict.severity,
                matched_terms: &verdict.matched_terms,
                new_items: &[],
                facts: Some((fact_rules.fingerprint.as_str(), &now, &plain)),
                language: Some(&t.language),
                source: Some(&source),
            }),
            seen: None,
            extract_key: Some(IMPORTED_KEY),
            alert: None,
            recovery: None,
            keep_snapshots: t.keep_snapshots,
        })?;
        if let Recorded::Version(id) = recorded {
            rows.push(vec![
                f.at.format("%Y-%m-%d").to_string(),
                id.to_string(),
                change.as_ref().map_or_else(
                    || "first".into(),
                    |c| format!("+{} -{}", c.added, c.removed),
                ),
                output::verdict_note(&verdict).unwrap_or_default(),
                plain
                    .facts_changed
                    .iter()
                    .map(|c| c.short())
                    .collect::<Vec<_>>()
                    .join("; "),
            ]);
        }
        previous = Some(text);
        previous_facts = Some(now);
    }
    say_raw!(
        "{}",
        output::table(
            &["DATE", "VERSION", "SENTENCES", "CLASSIFIED", "FACTS MOVED"],
            &rows
        )
    );
    for s in &shrank {
        say!("warning: {s}");
    }
    say!(
        "{} versions imported for {target} from {} files{}",
        rows.len(),
        pending.len(),
        if skipped.is_empty() {
            String::new()
        } else {
            format!(" (ignored: {})", skipped.join(", "))
        }
    );
    Ok(Outcome::Ok)
}
