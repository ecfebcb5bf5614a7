//! Commands: what each CLI command does, in terms of the library's stages.
//!
//! Each command loads what it needs (watchlist, store), calls the library and prints through
//! [`crate::output`]. Problems a user must fix (a bad watchlist, an unknown target id) are
//! printed here and reported as [`Outcome::BadInput`]; failures of the machinery come back as
//! [`CommandError`] for `main` to print.

/// `println!` that returns the error instead of panicking: a closed pipe (`policywatch show
/// … | head`) ends the command quietly (see `main`).
macro_rules! say {
    ($($arg:tt)*) => {
        std::io::Write::write_fmt(&mut std::io::stdout().lock(), format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `print!` that returns the error instead of panicking.
macro_rules! say_raw {
    ($($arg:tt)*) => {
        std::io::Write::write_fmt(&mut std::io::stdout().lock(), format_args!($($arg)*))?
    };
}

mod facts;
mod import;
mod mail;
mod publish;
mod service;

use std::io::Write;
use std::path::PathBuf;

use crate::classify::{RuleSet, classify};
use crate::cli::{Cli, Command};
use crate::config::{self, Watchlist};
use crate::diff;
use crate::fetch::{FetchError, Fetcher};
use crate::output::{self, JsonReport};
use crate::pipeline::{Pipeline, Settings, Status};
use crate::store::VersionId;
use crate::store::{SharedStore, Store, StoreError};

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: some target could not be checked.
    SomeFailed,
    /// Exit 2: the watchlist or the command line is wrong.
    BadInput,
}

/// A failure of the machinery rather than of the input.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// Writing output or creating the database folder.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Writing an output file.
    #[error("cannot write {}: {source}", path.display())]
    File {
        /// The file (or folder) being written.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A store call from async code failed.
    #[error(transparent)]
    StoreCall(#[from] crate::store::StoreFailure),
    /// A background task died.
    #[error("{0}")]
    Task(String),
}

/// Writes `bytes` to `path` through a fresh temporary file in the same folder (created
/// exclusively, so a planted file or symlink there is never written through), then renamed
/// over `path` (which replaces a symlink at `path` rather than writing to its target). A
/// folder on the way that is a symlink is refused. Every error names the path.
fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CommandError> {
    use std::io::Write as _;
    let err = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| CommandError::File { path, source }
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(err(dir))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err(dir))?;
    {
        use std::os::unix::fs::PermissionsExt as _;
        // readable like any file written with the usual umask (a temporary file is 0600)
        let readable = std::fs::Permissions::from_mode(0o644);
        tmp.as_file()
            .set_permissions(readable)
            .map_err(err(tmp.path()))?;
    }
    tmp.write_all(bytes).map_err(err(tmp.path()))?;
    tmp.persist(path).map_err(|e| err(path)(e.error))?;
    Ok(())
}

/// Refuses a folder inside the output that is a symlink: the site must not be written
/// elsewhere through a planted link.
fn no_symlink(dir: &std::path::Path) -> Result<(), CommandError> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(CommandError::File {
            path: dir.to_path_buf(),
            source: std::io::Error::other("is a symlink: refusing to write through it"),
        }),
        _ => Ok(()),
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<Outcome, CommandError> {
    match &cli.command {
        Command::Validate { online } => match load(&cli) {
            Some(wl) => {
                say!("{}: ok, {} targets", wl.path.display(), wl.targets.len());
                if *online {
                    online_check(&wl).await
                } else {
                    Ok(Outcome::Ok)
                }
            }
            None => Ok(Outcome::BadInput),
        },
        Command::CheckNow {
            targets,
            json,
            no_mail,
        } => check_now(&cli, targets, *json, *no_mail).await,
        Command::TestEmail => mail::test_email(&cli).await,
        Command::TestNotify { channel } => mail::test_notify(&cli, channel.as_deref()).await,
        Command::Run => service::run(&cli).await,
        Command::Feed { out, ai_only } => publish::feed(&cli, out, *ai_only).await,
        Command::Report { out } => publish::report(&cli, out).await,
        Command::Import { dir, target, .. } => import::import(&cli, dir, target).await,
        Command::Facts {
            targets,
            at,
            version_id,
            history,
            recompute,
            json,
        } => {
            let ask = facts::Ask {
                targets,
                at: at.as_deref(),
                version: version_id.map(VersionId),
                history: history.as_deref(),
                recompute: *recompute,
                json: *json,
            };
            facts::facts(&cli, &ask).await
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "policywatch", &mut std::io::stdout());
            Ok(Outcome::Ok)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
            Ok(Outcome::Ok)
        }
        Command::Status { json } => service::status(&cli, *json).await,
        Command::Outbox {
            retry_now: true, ..
        } => mail::retry_now(&cli).await,
        Command::Outbox { json, limit, .. } => mail::outbox(&cli, *json, *limit).await,
        Command::Digest { .. } => mail::digest_now(&cli).await,
        Command::History { target, json } => {
            let Some(store) = open_store(&cli).await? else {
                return Ok(Outcome::BadInput);
            };
            let versions = store.history(target)?;
            if versions.is_empty() {
                eprintln!("policywatch: no versions stored for target {target:?}");
                return Ok(Outcome::BadInput);
            }
            let mut out = std::io::stdout().lock();
            if *json {
                for v in &versions {
                    writeln!(out, "{}", serde_json::to_string(v).unwrap_or_default())?;
                }
            } else {
                write!(out, "{}", output::history_table(&versions))?;
            }
            Ok(Outcome::Ok)
        }
        Command::Diff { target, from, to } => {
            let Some(store) = open_store(&cli).await? else {
                return Ok(Outcome::BadInput);
            };
            let Some(new) = store.version(target, to.map(VersionId))? else {
                eprintln!("policywatch: no such version of target {target:?}");
                return Ok(Outcome::BadInput);
            };
            let old = match from {
                Some(f) => store.version(target, Some(VersionId(*f)))?,
                None => store.previous_version(target, new.meta.id)?,
            };
            let Some(old) = old else {
                say!(
                    "{target}: version {} is the first one; nothing to compare",
                    new.meta.id
                );
                return Ok(Outcome::Ok);
            };
            let change = diff::diff(&old.text, &new.text);
            let wl = config::load(&cli.watchlist).ok();
            let language = wl
                .as_ref()
                .and_then(|w| w.targets.iter().find(|t| t.id.as_str() == target))
                .map_or("en", |t| t.language.as_str());
            let rules = wl
                .as_ref()
                .map_or_else(RuleSet::builtin, |w| w.rule_set_for(language));
            let verdict = classify(&change, &rules);
            let fact_rules = wl
                .as_ref()
                .map_or_else(crate::facts::FactRules::builtin, Watchlist::fact_rules);
            let facts_of =
                |v: &crate::store::Version| -> Result<crate::facts::Facts, CommandError> {
                    Ok(match store.facts_of(v.meta.id)? {
                        Some((fingerprint, f)) if fingerprint == fact_rules.fingerprint => f,
                        _ => crate::facts::read(&v.text, &fact_rules),
                    })
                };
            let target_of = wl
                .as_ref()
                .and_then(|w| w.targets.iter().find(|t| t.id.as_str() == target));
            let is_feed = target_of.is_some_and(|t| t.kind.has_items());
            let plain = if is_feed {
                Default::default()
            } else {
                crate::facts::summary::Plain::tell(
                    &target_of.map_or_else(|| target.clone(), |t| t.name.clone()),
                    target_of.and_then(|t| t.region.as_deref()),
                    &facts_of(&old)?,
                    &facts_of(&new)?,
                    &verdict,
                )
            };
            say!(
                "{target}: version {} ({}) -> {} ({}), {} added, {} removed",
                old.meta.id,
                old.meta.recorded_at,
                new.meta.id,
                new.meta.recorded_at,
                change.added,
                change.removed
            );
            print_human(&format!(
                "{}{}",
                output::plain_text(&plain),
                output::change_text(&change, &verdict)
            ))?;
            Ok(Outcome::Ok)
        }
        Command::Rules { language } => {
            let lang = language.as_deref().unwrap_or("en");
            if language.is_some() && crate::extract::language_tag(lang).is_none() {
                eprintln!("policywatch: invalid language {lang:?}: a tag such as \"de\"");
                return Ok(Outcome::BadInput);
            }
            let rules = match config::load(&cli.watchlist) {
                Ok(wl) => crate::classify::rules::merge_for(lang, &wl.user_rules),
                Err(_) if !cli.watchlist.exists() => crate::classify::rules::merge_for(lang, &[]),
                Err(_) => {
                    load(&cli);
                    return Ok(Outcome::BadInput);
                }
            };
            let fact_rules = match config::load(&cli.watchlist) {
                Ok(wl) => wl.fact_rules,
                Err(_) => crate::facts::rules::merge(&[]),
            };
            say_raw!(
                "# The rules in force for {lang} text: built-ins with the watchlist's [[rule]] overrides{}.\n\n{}\n# The fact rules in force: built-ins with the watchlist's [[fact_rule]] overrides\n# (`policywatch facts --recompute` after changing them).\n\n{}",
                if crate::classify::rules::builtin_specs_for(lang).is_some() {
                    ""
                } else {
                    " (no built-in rules of its own: the English ones)"
                },
                crate::classify::specs_toml(&rules),
                crate::facts::rules::specs_toml(&fact_rules)
            );
            Ok(Outcome::Ok)
        }
        Command::Changes {
            target,
            ai_only,
            since,
            limit,
            json,
        } => {
            let Some(store) = open_store(&cli).await? else {
                return Ok(Outcome::BadInput);
            };
            let Ok(since) = since_arg(since.as_deref()) else {
                return Ok(Outcome::BadInput);
            };
            let rows = store.changes(&crate::store::ChangeQuery {
                target: target.as_deref(),
                ai_only: *ai_only,
                since: since.as_deref(),
                limit: *limit,
            })?;
            let mut out = std::io::stdout().lock();
            if *json {
                for r in &rows {
                    writeln!(out, "{}", serde_json::to_string(r).unwrap_or_default())?;
                }
            } else {
                write!(out, "{}", output::changes_table(&rows))?;
            }
            Ok(Outcome::Ok)
        }
        Command::Export {
            out,
            targets,
            since,
            ..
        } => {
            let Some(store) = open_store(&cli).await? else {
                return Ok(Outcome::BadInput);
            };
            let Ok(since) = since_arg(since.as_deref()) else {
                return Ok(Outcome::BadInput);
            };
            let ids = store.raw_ids(targets, since.as_deref())?;
            let about = format!(
                "raw responses stored by policywatch{}{}",
                if targets.is_empty() {
                    String::new()
                } else {
                    format!(" for {}", targets.join(", "))
                },
                since.map(|s| format!(" since {s}")).unwrap_or_default()
            );
            match crate::evidence::write_warc(&store, &ids, out, &about) {
                Ok(n) => {
                    say!(
                        "{}: {n} responses (a request and a response record each)",
                        out.display()
                    );
                    Ok(Outcome::Ok)
                }
                Err(crate::evidence::ExportError::Store(e)) => Err(e.into()),
                Err(e) => {
                    eprintln!("policywatch: {e}");
                    Ok(Outcome::SomeFailed)
                }
            }
        }
        Command::Evidence {
            target,
            version_id,
            change,
            out,
        } => {
            use crate::evidence::pack::{self, Pick};
            let Some(wl) = load(&cli) else {
                return Ok(Outcome::BadInput);
            };
            let Some(t) = wl.targets.iter().find(|t| t.id.as_str() == target) else {
                eprintln!("policywatch: unknown target {target:?}");
                return Ok(Outcome::BadInput);
            };
            let pick = match (version_id, change.as_deref()) {
                (Some(v), _) => Pick::Version(VersionId(*v)),
                (None, Some(c)) => match c.split_once("..").map(|(a, b)| (a.parse(), b.parse())) {
                    Some((Ok(a), Ok(b))) => Pick::Change(VersionId(a), VersionId(b)),
                    _ => {
                        eprintln!(
                            "policywatch: --change {c:?}: use FROM..TO, two version ids such as 8..9"
                        );
                        return Ok(Outcome::BadInput);
                    }
                },
                (None, None) => Pick::Latest,
            };
            let Some(store) = open_store(&cli).await? else {
                return Ok(Outcome::BadInput);
            };
            no_symlink(out)?;
            match pack::write(&store, &wl, t, pick, out) {
                Ok(files) => {
                    say!(
                        "{}: {} files; read README.txt there",
                        out.display(),
                        files.len()
                    );
                    Ok(Outcome::Ok)
                }
                Err(pack::PackError::Store(e)) => Err(e.into()),
                Err(e @ pack::PackError::NoSuchVersion(_)) => {
                    eprintln!("policywatch: {e}");
                    Ok(Outcome::BadInput)
                }
                Err(e) => {
                    eprintln!("policywatch: {e}");
                    Ok(Outcome::SomeFailed)
                }
            }
        }
        Command::Verify { targets } => {
            let Some(store) = open_store(&cli).await? else {
                return Ok(Outcome::BadInput);
            };
            let v = store.verify(targets)?;
            let mut problems = v.problems.clone();
            // the timestamps, against the CA of the watchlist's [evidence] (when it loads)
            let evidence = config::load(&cli.watchlist)
                .map(|w| w.evidence)
                .unwrap_or_default();
            let (stamps, why_not) = match crate::evidence::stamp::cas(&evidence) {
                Ok(cas) => {
                    let (ok, bad) = crate::evidence::verify_stamps(&store, targets, &cas)?;
                    problems.extend(bad);
                    (ok, None)
                }
                Err(e) => (0, Some(e)),
            };
            for (target, at, what) in &problems {
                say!("{target}: {at} {what}");
            }
            if problems.is_empty() {
                say!(
                    "verified: {} chain entries hold ({} raw bodies hashed again); {}",
                    v.entries,
                    v.bodies,
                    match why_not {
                        None => format!("{stamps} timestamp token(s) hold"),
                        Some(e) => format!("timestamp tokens not checked ({e})"),
                    }
                );
                Ok(Outcome::Ok)
            } else {
                say!("{} problem(s): the evidence does not hold", problems.len());
                Ok(Outcome::SomeFailed)
            }
        }
        Command::Serve { listen } => service::serve(&cli, listen.as_deref()).await,
        Command::Show {
            target,
            version_id,
            json,
        } => {
            let Some(store) = open_store(&cli).await? else {
                return Ok(Outcome::BadInput);
            };
            match store.version(target, version_id.map(VersionId))? {
                Some(v) if *json => {
                    say!("{}", serde_json::to_string(&v).unwrap_or_default());
                    Ok(Outcome::Ok)
                }
                Some(v) => {
                    // page text, shown and never obeyed by the terminal
                    say!("{}", crate::extract::visible(&v.text));
                    Ok(Outcome::Ok)
                }
                None => {
                    eprintln!("policywatch: no such version of target {target:?}");
                    Ok(Outcome::BadInput)
                }
            }
        }
    }
}

/// `--since`: a day (its start) or an RFC 3339 time, as the store writes times; a bad one is
/// printed and refused.
fn since_arg(since: Option<&str>) -> Result<Option<String>, ()> {
    match since.map(|s| crate::views::parse_time(s, false)) {
        Some(Err(e)) => {
            eprintln!("policywatch: --since {e}");
            Err(())
        }
        Some(Ok(t)) => Ok(Some(crate::store::timestamp(t))),
        None => Ok(None),
    }
}

/// `validate --online`: every enabled target fetched once (politely: one request at a time per
/// host, `host_delay` apart), read as its kind expects, nothing recorded.
async fn online_check(wl: &Watchlist) -> Result<Outcome, CommandError> {
    let fetcher = Fetcher::new(wl.host_delay)?;
    let retry = crate::fetch::RetryPolicy {
        retries: 0,
        ..wl.retry
    };
    let targets: Vec<&config::Target> = wl.targets.iter().filter(|t| t.enabled).collect();
    let results = futures_util::future::join_all(
        targets
            .iter()
            .map(|t| crate::pipeline::probe(&fetcher, t, &retry)),
    )
    .await;
    let mut failed = 0;
    for (t, r) in targets.iter().zip(results) {
        match r {
            Ok(what) => say!("ok    {}: {what}", t.id),
            Err(why) => {
                failed += 1;
                say!(
                    "FAIL  {}: {} {}",
                    t.id,
                    t.url,
                    crate::extract::visible(&why)
                );
            }
        }
    }
    say!(
        "{} of {} targets answer as expected",
        targets.len() - failed,
        targets.len()
    );
    Ok(if failed > 0 {
        Outcome::SomeFailed
    } else {
        Outcome::Ok
    })
}

/// Prints human output, in colour on a terminal: never when piped or when NO_COLOR is set
/// (anstream strips the styles then).
pub(crate) fn print_human(text: &str) -> std::io::Result<()> {
    use anstyle::{AnsiColor, Style};
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let cyan = Style::new().fg_color(Some(AnsiColor::Cyan.into()));
    let bold = Style::new().bold();
    let mut out = anstream::stdout().lock();
    for line in text.lines() {
        let style = if line.starts_with('-') {
            red
        } else if line.starts_with('+') {
            green
        } else if line.starts_with("@@") {
            cyan
        } else if line.starts_with("==")
            || line.starts_with("TARGET")
            || line.starts_with("AI-relevant")
        {
            bold
        } else {
            Style::new()
        };
        let line = crate::extract::visible(line);
        writeln!(out, "{style}{line}{style:#}")?;
    }
    Ok(())
}

/// Loads the watchlist, printing every problem when it is invalid.
pub(crate) fn load(cli: &Cli) -> Option<Watchlist> {
    match config::load(&cli.watchlist) {
        Ok(wl) => Some(wl),
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            eprintln!(
                "policywatch: {} problem(s) in the watchlist",
                errors.0.len()
            );
            None
        }
    }
}

pub(crate) fn db_path(cli: &Cli, wl: Option<&Watchlist>) -> Option<PathBuf> {
    cli.db.clone().or_else(|| wl.map(|w| w.store_path.clone()))
}

/// Opens the store named by `--db`, or by the watchlist when there is no `--db`.
pub(crate) async fn open_store(cli: &Cli) -> Result<Option<Store>, CommandError> {
    let wl = if cli.db.is_some() { None } else { load(cli) };
    let Some(path) = db_path(cli, wl.as_ref()) else {
        return Ok(None);
    };
    Ok(Some(open_at(path).await?))
}

pub(crate) async fn open_at(path: PathBuf) -> Result<Store, CommandError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| CommandError::File {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    tokio::task::spawn_blocking(move || Store::open(&path))
        .await
        .map_err(|e| CommandError::Task(e.to_string()))?
        .map_err(CommandError::from)
}

async fn check_now(
    cli: &Cli,
    ids: &[String],
    json: bool,
    no_mail: bool,
) -> Result<Outcome, CommandError> {
    let Some(wl) = load(cli) else {
        return Ok(Outcome::BadInput);
    };
    let targets = match wl.select(ids) {
        Ok(t) => t,
        Err(unknown) => {
            let known: Vec<&str> = wl.targets.iter().map(|t| t.id.as_str()).collect();
            eprintln!(
                "policywatch: unknown target id(s) {}; known: {}",
                unknown.join(", "),
                known.join(", ")
            );
            return Ok(Outcome::BadInput);
        }
    };
    let Some(path) = db_path(cli, Some(&wl)) else {
        return Ok(Outcome::BadInput);
    };
    let store = SharedStore::new(open_at(path).await?);
    let pipeline = Pipeline::new(
        store.clone(),
        Fetcher::new(wl.host_delay)?,
        Settings::from(&wl),
    );
    // A progress bar on a terminal only: hidden under systemd, cron, CI and pipes.
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        indicatif::ProgressBar::new(targets.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} checked {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let reports = pipeline
        .check_all(&targets, wl.concurrency, &|r| {
            bar.set_message(r.target.to_string());
            bar.inc(1);
        })
        .await;
    bar.finish_and_clear();
    if json {
        let mut out = std::io::stdout().lock();
        for r in &reports {
            writeln!(
                out,
                "{}",
                serde_json::to_string(&JsonReport::from(r)).unwrap_or_default()
            )?;
        }
    } else {
        print_human(&output::check_summary(&reports))?;
    }
    // a language of a document that has not followed another's AI change in time
    match crate::notify::lag::evaluate(&store, &wl, crate::clock::now()).await {
        Ok((raised, resolved)) if raised + resolved > 0 => {
            tracing::info!(raised, resolved, "translation lags");
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "translation lags not evaluated"),
    }
    // trusted timestamps of the new chain heads (a TSA that is down leaves them pending)
    match crate::evidence::stamp::stamp_due(&store, &wl.evidence, crate::clock::now()).await {
        Ok(s) if s.pending > 0 => eprintln!(
            "timestamps: {} granted, {} pending ({})",
            s.granted,
            s.pending,
            s.error.unwrap_or_default()
        ),
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "timestamps not asked for"),
    }
    if !no_mail {
        mail::deliver_now(&wl, &store).await;
    }
    Ok(if reports.iter().any(|r| r.status() == Status::Failed) {
        Outcome::SomeFailed
    } else {
        Outcome::Ok
    })
}
