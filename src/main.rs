//! The `policywatch` binary: parse the command line, set up logging and the runtime, run the
//! command from the library, and map the outcome to an exit code (0 ok, 1 some target failed,
//! 2 bad watchlist or usage). Everything else lives in the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use policywatch::cli::{Cli, Command};
use policywatch::commands::{self, CommandError, Outcome};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    policywatch::memory::one_arena();
    let cli = Cli::parse();
    if let Err(e) = policywatch::clock::check() {
        eprintln!("policywatch: {e}");
        return ExitCode::from(2);
    }
    // The service reports what it does; one-off commands only warn.
    init_logging(if matches!(cli.command, Command::Run) {
        "info"
    } else {
        "warn"
    });
    // One async thread: the work is waiting on the network. Parsing and SQLite run on the
    // blocking pool, sized to the cores plus one (for SQLite or a DNS lookup while the cores
    // parse): more threads add no speed, only per-thread heaps and regex caches (with 16 the
    // 200-page run peaked 6 MB higher).
    let blocking = std::thread::available_parallelism().map_or(2, |n| n.get()) + 1;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(blocking)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("policywatch: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(commands::run(cli));
    // Blocking work still running (a long parse the daemon abandoned at shutdown) cannot be
    // cancelled; it must not hold the exit past the stop bound either. Every write is one
    // SQLite transaction, so leaving it unfinished loses nothing.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match outcome {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::from(1),
        Ok(Outcome::BadInput) => ExitCode::from(2),
        // The reader went away (`policywatch show … | head`): nothing is wrong, like ripgrep.
        Err(CommandError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("policywatch: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Plain lines without colour or timestamps when stderr is not a terminal (journald and CI
/// stamp lines themselves); `RUST_LOG` filters, `default` otherwise.
fn init_logging(default: &str) {
    let tty = std::io::stderr().is_terminal();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(tty);
    if tty {
        builder.init();
    } else {
        builder.without_time().init();
    }
}
