//! `import --format ota DIR --target ID`: backfill history, classified, without mail.

use std::path::Path;

use super::{CommandError, Outcome, load, open_store};
use crate::classify::classify;
use crate::cli::Cli;
use crate::diff;
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
    let existing = store.history(target)?.len();
    if existing > 0 {
        eprintln!(
            "policywatch: target {target:?} already has {existing} versions; import into a new database (--db) so that history stays in date order"
        );
        return Ok(Outcome::BadInput);
    }
    let mut previous: Option<String> = None;
    let mut rows = Vec::new();
    for f in &files {
        let markdown = std::fs::read_to_string(&f.path)?;
        let text = match markdown_text(&markdown) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("policywatch: {}: {e}; skipped", f.path.display());
                continue;
            }
        };
        let change = previous.as_deref().map(|p| diff::diff(p, &text));
        let verdict = change
            .as_ref()
            .map(|c| classify(c, &wl.rules))
            .unwrap_or_default();
        let hash = format!(
            "{:x}",
            <sha2::Sha256 as sha2::Digest>::digest(text.as_bytes())
        );
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
                severity: verdict.severity.as_str(),
                matched_terms: &verdict.matched_terms,
                new_items: &[],
            }),
            seen: None,
            extract_key: Some(IMPORTED_KEY),
            alert: None,
            recovery: None,
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
            ]);
        }
        previous = Some(text);
    }
    print!(
        "{}",
        output::table(&["DATE", "VERSION", "SENTENCES", "CLASSIFIED"], &rows)
    );
    println!(
        "{} versions imported for {target} from {} files{}",
        rows.len(),
        files.len(),
        if skipped.is_empty() {
            String::new()
        } else {
            format!(" ({} other files ignored)", skipped.len())
        }
    );
    Ok(Outcome::Ok)
}
