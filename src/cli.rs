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
    Run,
    /// Show each target's last check, last change, failures and next run, and pending mail.
    Status {
        /// One JSON object per target per line, then one with the mail queue.
        #[arg(long)]
        json: bool,
    },
    /// Send a test message through the configured mail settings.
    TestEmail,
    /// List pending, sent and failed mail with their last error.
    Outbox {
        /// One JSON object per mail per line.
        #[arg(long)]
        json: bool,
        /// How many of the newest to list.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Build the digest of everything since the last one.
    Digest {
        /// Queue and deliver it now (the daemon sends it on `[digest] schedule`).
        #[arg(long, required = true)]
        send_now: bool,
    },
    /// Load the watchlist and report every problem in it.
    Validate,
    /// List a target's stored versions.
    History {
        /// Target id.
        target: String,
        /// One JSON object per version per line.
        #[arg(long)]
        json: bool,
    },
    /// Show what changed between two versions of a target (default: the latest change).
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
    /// Print the classification rules in force (built-ins with the watchlist's `[[rule]]`s).
    Rules,
    /// Write an Atom feed of the recorded changes (each change has a stable id).
    #[command(
        after_help = "Example:\n  policywatch feed --out /var/www/policywatch.atom --ai-only"
    )]
    Feed {
        /// The file to write (replaced atomically).
        #[arg(long)]
        out: PathBuf,
        /// Only AI-relevant changes.
        #[arg(long)]
        ai_only: bool,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  policywatch completions bash > /etc/bash_completion.d/policywatch"
    )]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from these definitions.
    #[command(after_help = "Example:\n  policywatch man > /usr/local/share/man/man1/policywatch.1")]
    Man,
    /// Print the stored text of a target's version (default: the latest).
    Show {
        /// Target id.
        target: String,
        /// Version id.
        #[arg(value_name = "VERSION")]
        version_id: Option<i64>,
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
