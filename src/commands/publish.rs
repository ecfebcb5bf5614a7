//! `report` and `feed`: the stored history published as a static site and an Atom feed.

use super::{CommandError, Outcome, load, no_symlink, open_store, write_file};
use crate::cli::Cli;
use crate::report::{Route, Site};

/// Writes the site of every target in the watchlist: a crawl of every page `serve` shows,
/// each rendered, written and dropped in turn (a long history is never held at once).
pub(super) async fn report(cli: &Cli, out: &std::path::Path) -> Result<Outcome, CommandError> {
    let Some(wl) = load(cli) else {
        return Ok(Outcome::BadInput);
    };
    let Some(store) = open_store(cli).await? else {
        return Ok(Outcome::BadInput);
    };
    let rules = crate::report::RuleCache::default();
    let site = Site::new(&wl, &store, crate::clock::now(), &rules);
    let mut written = 0;
    for route in site.routes()? {
        let Some(page) = site.render(&route)? else {
            continue;
        };
        let file = out.join(route.path());
        if let Some(parent) = file.parent().filter(|p| *p != out) {
            no_symlink(parent)?;
        }
        write_file(&file, page.body.as_bytes())?;
        written += 1;
    }
    say!(
        "{}: {written} pages for {} targets",
        out.join("index.html").display(),
        wl.targets.len()
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
    let route = if ai_only { Route::AiFeed } else { Route::Feed };
    let rules = crate::report::RuleCache::default();
    let site = Site::new(&wl, &store, crate::clock::now(), &rules);
    let xml = site.render(&route)?.map(|p| p.body).unwrap_or_default();
    write_file(out, xml.as_bytes())?;
    say!(
        "{}: {} changes",
        out.display(),
        xml.matches("<entry>").count()
    );
    Ok(Outcome::Ok)
}
