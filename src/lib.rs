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
//! - [`present`]: one renderer of a change for the CLI, mail and the report (pure).
//! - [`output`]: tables, diffs and JSON lines for the CLI (pure).
//! - [`views`]: the objects `--json` commands print and the HTTP API serves (one serialisation).
//! - [`report`]: the HTML pages and feeds of the history, written by `report` and served by [`serve`].
//! - [`serve`]: the read-only web view and JSON API (`serve`, `[http]` in `run`).
//! - [`commands`]: what each CLI command does; `main.rs` only parses and maps exit codes.
//! - [`memory`]: two calls into glibc's allocator that keep the heap small (the only unsafe).

// The crate's API is what the binary, the benches and the tests use (cli, commands, clock,
// memory and the pure stages classify, diff and extract); the other stages are crate-private,
// so the compiler reports dead code in them. Their docs are internal documentation, rendered
// with `cargo doc --document-private-items` (as CI does), where these links resolve.
#![allow(rustdoc::private_intra_doc_links)]

pub(crate) mod atom;
pub mod classify;
pub mod cli;
pub mod clock;
pub mod commands;
pub(crate) mod config;
pub(crate) mod daemon;
pub mod diff;
pub(crate) mod evidence;
pub mod extract;
pub mod facts;
pub(crate) mod fetch;
pub(crate) mod import;
pub mod memory;
pub(crate) mod notify;
pub(crate) mod output;
pub(crate) mod pipeline;
pub(crate) mod present;
pub(crate) mod report;
pub(crate) mod schedule;
pub(crate) mod serve;
pub(crate) mod store;
pub(crate) mod views;
