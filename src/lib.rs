//! policywatch watches what a platform's terms say about your data — starting with LinkedIn's
//! use of members' data to train generative AI — and reports the day they move.
//!
//! The pipeline flows one way, and only [`pipeline`] knows the whole route:
//!
//! ```text
//! config ──> fetch ──> extract ──> store ──> diff ──> classify ──> (notify)
//! ```
//!
//! - [`config`]: `watchlist.toml` -> a validated [`config::Watchlist`].
//! - [`fetch`]: polite HTTP with conditional GET, size cap and retries.
//! - [`extract`]: page bytes -> stable structured policy text (pure).
//! - [`store`]: SQLite snapshots, versions, target state and check log (the only SQL).
//! - [`diff`]: sentence-level diff with word emphasis (pure).
//! - [`classify`]: the AI-relevance verdict on a change.
//! - [`output`]: tables, diffs and JSON lines for the CLI (pure).
//! - [`commands`]: what each CLI command does; `main.rs` only parses and maps exit codes.
//! - [`memory`]: two calls into glibc's allocator that keep the heap small (the only unsafe).

pub mod atom;
pub mod classify;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod daemon;
pub mod diff;
pub mod extract;
pub mod fetch;
pub mod import;
pub mod memory;
pub mod notify;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod schedule;
pub mod store;
