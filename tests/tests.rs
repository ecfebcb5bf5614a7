//! policywatch's integration tests: one binary, shared helpers in `common/`, one file per area.
//! Everything runs against servers on 127.0.0.1 and real SQLite files in temporary folders.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod channels;
mod check_now;
mod classification;
mod daemon;
mod email;
mod evidence;
mod facts;
mod faults_http;
mod faults_process;
mod feeds;
mod hostile;
mod languages;
mod people;
mod report;
mod serve;
mod sources;
mod watchlist;
