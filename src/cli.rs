//! The command line: clap definitions only. [`crate::commands`] carries them out.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Watches what LinkedIn's terms say about training AI on your data, and tells you the day they
/// move.
#[derive(Debug, Parser)]
#[command(name = "policywatch", version, about, propagate_version = true)]
pub struct Cli {
    /// The watchlist file.
    #[arg(
        long,
        global = true,
        env = "POLICYWATCH_WATCHLIST",
        default_value = "watchlist.toml"
    )]
    pub watchlist: PathBuf,
    /// The SQLite database (overrides `[store] path`).
    #[arg(long, global = true, env = "POLICYWATCH_DB")]
    pub db: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every target (or the named ones) once, now.
    ///
    /// Exit status: 0 when every target was checked, 1 when any failed, 2 for a bad watchlist.
    #[command(
        after_help = "Examples:\n  policywatch check-now\n  policywatch check-now linkedin-privacy-policy --json"
    )]
    CheckNow {
        /// Target ids (default: every enabled target).
        targets: Vec<String>,
        /// One JSON object per target per line instead of a table.
        #[arg(long)]
        json: bool,
        /// Record and queue mail, but do not deliver it now (it stays in the outbox).
        #[arg(long)]
        no_mail: bool,
    },
    /// Run as a service: check each target on its schedule, send digests and mail, until
    /// SIGTERM or SIGINT; SIGHUP reloads the watchlist.
    #[command(
        after_help = "Examples:\n  policywatch --watchlist /etc/policywatch/watchlist.toml --db /var/lib/policywatch/policywatch.db run\n  systemctl reload policywatch   # SIGHUP: re-read the watchlist"
    )]
    Run,
    /// Show each target's last check, last change, failures and next run, and pending mail.
    #[command(after_help = "Examples:\n  policywatch status\n  policywatch status --json")]
    Status {
        /// One JSON object per target per line, then one with the mail queue.
        #[arg(long)]
        json: bool,
    },
    /// Send a test message through the configured mail settings.
    #[command(after_help = "Examples:\n  POLICYWATCH_SMTP_PASSWORD=... policywatch test-email")]
    TestEmail,
    /// Send a test event through one channel (`[[channel]]` id, or `email` for `[email]`) or
    /// through every channel, and report each result.
    #[command(
        after_help = "Examples:\n  policywatch test-notify\n  policywatch test-notify team-slack"
    )]
    TestNotify {
        /// The channel (default: every channel, `[email]` included).
        channel: Option<String>,
    },
    /// List pending, sent and failed mail with their last error.
    #[command(
        after_help = "Examples:\n  policywatch outbox\n  policywatch outbox --json --limit 10\n  policywatch outbox --retry-now"
    )]
    Outbox {
        /// One JSON object per mail per line.
        #[arg(long)]
        json: bool,
        /// Make every pending mail due now, whatever its backoff, and deliver it (after a
        /// relay is fixed, nobody should wait hours for the next try).
        #[arg(long)]
        retry_now: bool,
        /// How many of the newest to list.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Build the digest of everything since the last one.
    #[command(after_help = "Examples:\n  policywatch digest --send-now")]
    Digest {
        /// Queue and deliver it now (the daemon sends it on `[digest] schedule`).
        #[arg(long, required = true)]
        send_now: bool,
    },
    /// Load the watchlist and report every problem in it.
    #[command(
        after_help = "Examples:\n  policywatch validate\n  policywatch validate --online\n  policywatch --watchlist /etc/policywatch/watchlist.toml validate"
    )]
    Validate {
        /// Also fetch every enabled target once (nothing recorded) and say which URLs do not
        /// answer with what their kind expects: a feed that is not a feed, a page whose
        /// selectors match nothing, a login wall. Exit 1 when one does not.
        #[arg(long)]
        online: bool,
    },
    /// List a target's stored versions.
    #[command(
        after_help = "Examples:\n  policywatch history linkedin-privacy-policy\n  policywatch history linkedin-privacy-policy --json | jq .severity"
    )]
    History {
        /// Target id.
        target: String,
        /// One JSON object per version per line.
        #[arg(long)]
        json: bool,
    },
    /// Show what changed between two versions of a target (default: the latest change).
    #[command(
        after_help = "Examples:\n  policywatch diff linkedin-privacy-policy\n  policywatch diff linkedin-privacy-policy --from 11 --to 12"
    )]
    Diff {
        /// Target id.
        target: String,
        /// Older version id (default: the one before --to).
        #[arg(long)]
        from: Option<i64>,
        /// Newer version id (default: the latest).
        #[arg(long)]
        to: Option<i64>,
    },
    /// Print the rules in force: classification (`[[rule]]`) and facts (`[[fact_rule]]`),
    /// built-ins with the watchlist's overrides.
    #[command(
        after_help = "Examples:\n  policywatch rules > rules.toml\n  policywatch rules --language de"
    )]
    Rules {
        /// The language whose rules to print (`de`, `fr`, `es`, `it`, `nl`, `pt` have their
        /// own; default `en`).
        #[arg(long)]
        language: Option<String>,
    },
    /// What each document says about members' data and AI: a matrix of facts per target (value
    /// and since when), a fact's history, or JSON lines with quotes.
    #[command(
        disable_version_flag = true,
        after_help = "Examples:\n  policywatch facts\n  policywatch facts linkedin-privacy-eu --at 2025-10-01 --json\n  policywatch facts --history linkedin-privacy-policy\n  policywatch facts --recompute   # after changing [[fact_rule]]s"
    )]
    Facts {
        /// Target ids (default: every page target).
        targets: Vec<String>,
        /// As of the latest version recorded on or before this date (YYYY-MM-DD or RFC 3339).
        #[arg(long, conflicts_with_all = ["version_id", "history", "recompute"])]
        at: Option<String>,
        /// As of this version id (one target).
        #[arg(long = "version", id = "version_id", value_name = "V", conflicts_with_all = ["history", "recompute"])]
        version_id: Option<i64>,
        /// How each fact of TARGET moved, version by version, with quotes.
        #[arg(long, value_name = "TARGET", conflicts_with = "recompute")]
        history: Option<String>,
        /// Read the facts of every stored version again with the rules in force (no mail).
        #[arg(long)]
        recompute: bool,
        /// One JSON object per target and fact (per moved fact with --history) per line.
        #[arg(long)]
        json: bool,
    },
    /// Write a static HTML report: a timeline per document, a page per change, the current texts.
    #[command(
        after_help = "Examples:\n  policywatch report --out report/ && xdg-open report/index.html"
    )]
    Report {
        /// The folder to write (created; existing report files are replaced).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write an Atom feed of the recorded changes (each change has a stable id).
    #[command(
        after_help = "Examples:\n  policywatch feed --out /var/www/policywatch.atom --ai-only"
    )]
    Feed {
        /// The file to write (replaced atomically).
        #[arg(long)]
        out: PathBuf,
        /// Only AI-relevant changes.
        #[arg(long)]
        ai_only: bool,
    },
    /// Backfill a target's history from an archive of dated versions, classified, without mail.
    #[command(
        after_help = "Examples:\n  policywatch --db history.db import --format ota ../shared/fixtures/linkedin/privacy-policy --target linkedin-privacy-policy"
    )]
    Import {
        /// The archive's layout: `ota` (Open Terms Archive: one Markdown file per date).
        #[arg(long, value_parser = ["ota"])]
        format: String,
        /// The folder of versions.
        dir: PathBuf,
        /// The target (from the watchlist) the history belongs to.
        #[arg(long)]
        target: String,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  policywatch completions bash > /etc/bash_completion.d/policywatch"
    )]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from these definitions.
    #[command(
        after_help = "Examples:\n  policywatch man > /usr/local/share/man/man1/policywatch.1"
    )]
    Man,
    /// Print the stored text of a target's version (default: the latest).
    #[command(
        after_help = "Examples:\n  policywatch show linkedin-privacy-policy\n  policywatch show linkedin-privacy-policy 12 > policy-v12.txt"
    )]
    Show {
        /// Target id.
        target: String,
        /// Version id.
        #[arg(value_name = "VERSION")]
        version_id: Option<i64>,
        /// One JSON object: the version's metadata (as `history --json`) and its `text`.
        #[arg(long)]
        json: bool,
    },
    /// List recorded changes, newest first, across targets or for one.
    #[command(
        after_help = "Examples:\n  policywatch changes --ai-only --since 2025-01-01\n  policywatch changes --target linkedin-privacy-policy --json"
    )]
    Changes {
        /// Only this target's changes.
        #[arg(long)]
        target: Option<String>,
        /// Only AI-relevant changes.
        #[arg(long)]
        ai_only: bool,
        /// Only changes recorded on or after this day (YYYY-MM-DD) or time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// How many of the newest to list.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// One JSON object per change per line.
        #[arg(long)]
        json: bool,
    },
    /// Export stored raw responses as WARC 1.1 (gzip per record), for playback tools (pywb,
    /// ReplayWeb.page) and archives; `warcio check FILE` verifies every digest.
    #[command(
        after_help = "Examples:\n  policywatch export --format warc --out linkedin.warc.gz\n  policywatch export --format warc --out eu.warc.gz linkedin-privacy-eu --since 2025-11-01"
    )]
    Export {
        /// The format (`warc`).
        #[arg(long, value_parser = ["warc"])]
        format: String,
        /// The file to write (replaced atomically).
        #[arg(long)]
        out: PathBuf,
        /// Target ids (default: every target).
        targets: Vec<String>,
        /// Only responses fetched on or after this day (YYYY-MM-DD) or time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
    },
    /// Write the evidence pack of a version or a change: the responses as served, the texts, the
    /// diff, the facts, the hash chain up to them, the trusted timestamps, a WARC, and a README
    /// saying how to check each with standard tools (sha256sum, openssl ts, warcio).
    #[command(
        disable_version_flag = true,
        after_help = "Examples:\n  policywatch evidence linkedin-privacy-eu --out pack/\n  policywatch evidence linkedin-privacy-policy --change 8..9 --out sept-2024/"
    )]
    Evidence {
        /// Target id.
        target: String,
        /// One version.
        #[arg(
            long = "version",
            id = "evidence_version",
            value_name = "V",
            conflicts_with = "change"
        )]
        version_id: Option<i64>,
        /// The change between two versions, `FROM..TO` (default: the latest change).
        #[arg(long, value_name = "FROM..TO")]
        change: Option<String>,
        /// The folder to write (created).
        #[arg(long)]
        out: PathBuf,
    },
    /// Walk every target's hash chain (or the named ones') and report the first entry that does
    /// not match what is stored: a text edited, a version deleted, rows swapped or inserted.
    ///
    /// Exit status: 0 when every chain holds, 1 when one does not.
    #[command(
        after_help = "Examples:\n  policywatch verify\n  policywatch verify linkedin-privacy-policy"
    )]
    Verify {
        /// Target ids (default: every target in the database).
        targets: Vec<String>,
    },
    /// Serve a read-only web view of the history, a JSON API and Atom feeds, until SIGTERM.
    ///
    /// Bound to loopback by default; another address needs `[http] token_file` (a bearer token).
    #[command(
        after_help = "Examples:\n  policywatch serve\n  policywatch serve --listen 127.0.0.1:9000\n  curl -s localhost:8080/api/v1/changes?ai=1 | jq ."
    )]
    Serve {
        /// The address to listen on (default: `[http] listen`, else 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
