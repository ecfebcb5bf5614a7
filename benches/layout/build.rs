//! Build script: lays out the release binary's code so that the functions policywatch runs sit
//! together.
//!
//! The kernel maps a binary's code into memory in 64 KB windows around each function first
//! called, so code used here and there across 9 MB of text made nearly all of it resident.
//! `symbols.txt` (beside this file, written by `generate.sh`) lists the functions a daemon's
//! life and a `check-now` run; LLD places them first, in one stretch. Names it does not find
//! (after a dependency update, say) are skipped, so a stale list costs memory, never a build.
//!
//! Applied to release builds for x86_64 Linux, where rustc links with LLD; set
//! `POLICYWATCH_NO_LAYOUT` to leave it out, as a build with its own linker settings does.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=benches/layout/symbols.txt");
    println!("cargo:rerun-if-env-changed=POLICYWATCH_NO_LAYOUT");
    let Some(manifest) = env::var_os("CARGO_MANIFEST_DIR") else {
        return;
    };
    let order = PathBuf::from(manifest).join("benches/layout/symbols.txt");
    let release = env::var("PROFILE").is_ok_and(|p| p == "release");
    let lld = env::var("TARGET").is_ok_and(|t| t == "x86_64-unknown-linux-gnu");
    let own_linker = env::var("CARGO_ENCODED_RUSTFLAGS").is_ok_and(|f| f.contains("link"));
    let opted_out = env::var_os("POLICYWATCH_NO_LAYOUT").is_some();
    if release && lld && !own_linker && !opted_out && order.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
