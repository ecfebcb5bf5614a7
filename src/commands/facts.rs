//! `facts`: what each document says about members' data and AI, as of a date or version, with
//! since when; a target's fact history; `--recompute` after a rules change.

use std::io::Write as _;

use serde::Serialize;

use super::{CommandError, Outcome, load, open_store};
use crate::classify::classify;
use crate::cli::Cli;
use crate::config::Target;
use crate::diff;
use crate::facts::{self, Fact, FactRules, Facts, NOT_STATED, summary::Plain};
use crate::output;
use crate::store::{Store, VersionId};
use crate::views;

/// What was asked.
pub(super) struct Ask<'a> {
    pub targets: &'a [String],
    pub at: Option<&'a str>,
    pub version: Option<VersionId>,
    pub history: Option<&'a str>,
    pub recompute: bool,
    pub json: bool,
}

/// One line of `facts --history --json`: a fact that moved in a version.
#[derive(Serialize)]
struct Moved<'a> {
    target: &'a str,
    version: VersionId,
    recorded_at: &'a str,
    fact: Fact,
    from: &'a str,
    to: &'a str,
    quote: Option<&'a str>,
    note: &'a str,
}

pub(super) async fn facts(cli: &Cli, ask: &Ask<'_>) -> Result<Outcome, CommandError> {
    let Some(wl) = load(cli) else {
        return Ok(Outcome::BadInput);
    };
    let Some(mut store) = open_store(cli).await? else {
        return Ok(Outcome::BadInput);
    };
    let source = views::FactSource::new(&wl);
    let pages: Vec<&Target> = wl
        .by_document()
        .into_iter()
        .filter(|t| t.kind.has_text())
        .collect();
    if ask.recompute {
        let (classes, rules) = (wl.rule_sets(), source.rules());
        for t in &pages {
            let n = recompute(&mut store, t, rules, &classes)?;
            say!("{}: facts of {n} version(s) read again", t.id);
        }
        return Ok(Outcome::Ok);
    }
    let at = match ask.at.map(|a| views::parse_time(a, true)) {
        Some(Err(e)) => {
            eprintln!("policywatch: --at {e}");
            return Ok(Outcome::BadInput);
        }
        Some(Ok(d)) => Some(d),
        None => None,
    };
    if let Some(target) = ask.history {
        let Some(t) = pages.iter().find(|t| t.id.as_str() == target) else {
            eprintln!("policywatch: unknown page target {target:?}");
            return Ok(Outcome::BadInput);
        };
        return history(&store, t, &source, ask.json);
    }
    let chosen: Vec<&Target> = if ask.targets.is_empty() {
        pages
    } else {
        let mut out = Vec::new();
        for id in ask.targets {
            match pages.iter().find(|t| t.id.as_str() == id) {
                Some(t) => out.push(*t),
                None => {
                    eprintln!("policywatch: unknown page target {id:?}");
                    return Ok(Outcome::BadInput);
                }
            }
        }
        out
    };
    if ask.version.is_some() && chosen.len() != 1 {
        eprintln!("policywatch: --version needs exactly one target");
        return Ok(Outcome::BadInput);
    }
    let mut rows = Vec::new();
    let mut out = std::io::stdout().lock();
    for t in chosen {
        let hist = views::fact_history(&store, t, &source)?;
        let idx = hist.iter().rposition(|(m, _)| match (ask.version, at) {
            (Some(v), _) => m.id == v,
            (None, Some(at)) => views::recorded(m).is_some_and(|r| r <= at),
            (None, None) => true,
        });
        let Some(idx) = idx else {
            if let Some(v) = ask.version {
                eprintln!("policywatch: {} has no version {v}", t.id);
                return Ok(Outcome::BadInput);
            }
            // a target named on the command line is shown even with nothing stored yet
            if !ask.json && !ask.targets.is_empty() {
                rows.push(row_of(t, None));
            }
            continue;
        };
        if ask.json {
            for line in views::fact_lines(t, &hist, idx) {
                writeln!(out, "{}", serde_json::to_string(&line).unwrap_or_default())?;
            }
        } else {
            let now = &hist[idx].1;
            let cells: Vec<(Fact, &str, &str)> = Fact::ALL
                .iter()
                .map(|f| (*f, now.value(*f), views::since(&hist[..=idx], *f)))
                .collect();
            rows.push(row_of(t, Some(&cells)));
        }
    }
    if !ask.json {
        let mut header = vec!["TARGET"];
        header.extend(Fact::ALL.iter().map(|f| f.short()));
        write!(out, "{}", output::table(&header, &rows))?;
    }
    Ok(Outcome::Ok)
}

/// Reads again the facts of a target's versions the rules in force did not read, and tells
/// their changes again; one version's text at a time. Returns how many were read.
fn recompute(
    store: &mut Store,
    t: &Target,
    rules: &FactRules,
    classes: &crate::classify::RuleSets,
) -> Result<usize, CommandError> {
    let id = t.id.as_str();
    let stale = store.stale_facts(id, &rules.fingerprint)?;
    let mut previous: Option<(String, Facts)> = None;
    for (meta, stored) in store.fact_history(id)? {
        let is_stale = stale.contains(&meta.id);
        let next_is_stale = stale.iter().any(|s| *s > meta.id);
        if !is_stale && !next_is_stale {
            break;
        }
        let text = store
            .version(id, Some(meta.id))?
            .map(|v| v.text)
            .unwrap_or_default();
        let now = match stored {
            Some((fingerprint, f)) if !is_stale && fingerprint == rules.fingerprint => f,
            _ => facts::read(&text, rules),
        };
        if is_stale {
            let plain = match &previous {
                Some((old_text, old)) => {
                    let verdict = classify(&diff::diff(old_text, &text), classes.get(&t.language));
                    Plain::tell(&t.name, t.region.as_deref(), old, &now, &verdict)
                }
                None => Plain::default(),
            };
            store.save_facts(meta.id, &rules.fingerprint, &now, &plain)?;
        }
        previous = Some((text, now));
    }
    Ok(stale.len())
}

/// A matrix row: the target with its region, then each fact's value and since when.
fn row_of(t: &Target, cells: Option<&[(Fact, &str, &str)]>) -> Vec<String> {
    let about: Vec<&str> = t
        .region
        .as_deref()
        .into_iter()
        .chain((t.language_set || t.language != "en").then_some(t.language.as_str()))
        .collect();
    let name = if about.is_empty() {
        t.id.to_string()
    } else {
        format!("{} ({})", t.id, about.join(", "))
    };
    let mut row = vec![name];
    match cells {
        Some(cells) => row.extend(cells.iter().map(|(fact, v, since)| {
            if *v == NOT_STATED {
                return "-".to_string();
            }
            // a long set is shortened in the matrix (`--json` and `--history` give it whole)
            let shown = match v.split(',').collect::<Vec<_>>() {
                set if *fact == Fact::DataCategories && set.len() > 3 => {
                    format!("{} +{}", set[..2].join(","), set.len() - 2)
                }
                _ => v.to_string(),
            };
            format!("{shown} ({})", day(since))
        })),
        None => row.extend(Fact::ALL.iter().map(|_| "no version".to_string())),
    }
    row
}

/// `facts --history`: each version in which facts moved, with the moves and their quotes.
fn history(
    store: &Store,
    t: &Target,
    rules: &views::FactSource<'_>,
    json: bool,
) -> Result<Outcome, CommandError> {
    let hist = views::fact_history(store, t, rules)?;
    if hist.is_empty() {
        eprintln!(
            "policywatch: no versions stored for target {:?}",
            t.id.as_str()
        );
        return Ok(Outcome::BadInput);
    }
    let none = Facts::default();
    let mut out = std::io::stdout().lock();
    for (i, (meta, now)) in hist.iter().enumerate() {
        let before = if i == 0 { &none } else { &hist[i - 1].1 };
        let moved = facts::changes(before, now);
        if moved.is_empty() {
            continue;
        }
        if json {
            for c in &moved {
                let line = Moved {
                    target: t.id.as_str(),
                    version: meta.id,
                    recorded_at: &meta.recorded_at,
                    fact: c.fact,
                    from: &c.from,
                    to: &c.to,
                    quote: c.quote.as_deref(),
                    note: &c.note,
                };
                writeln!(out, "{}", serde_json::to_string(&line).unwrap_or_default())?;
            }
        } else {
            writeln!(out, "version {} ({}):", meta.id, day(&meta.recorded_at))?;
            for c in &moved {
                writeln!(out, "  {}: {} → {}", c.fact, c.from, c.to)?;
                if let Some(q) = &c.quote {
                    writeln!(out, "      “{}”", crate::extract::visible(q))?;
                }
                if !c.note.is_empty() {
                    writeln!(out, "      ({})", c.note)?;
                }
            }
        }
    }
    Ok(Outcome::Ok)
}

fn day(ts: &str) -> &str {
    ts.get(..10).unwrap_or(ts)
}
