//! Build script: lays out the release binary so that less of it is loaded.
//!
//! - The kernel maps a binary's code into memory in 64 KB windows around each function first
//!   called, so code used here and there across 9 MB of text made nearly all of it resident.
//!   `symbols.txt` (beside this file, written by `generate.sh`) lists the functions a daemon's
//!   life and a `check-now` run; LLD places them first, in one stretch. Names it does not find
//!   (after a dependency update, say) are skipped: a stale list costs memory, never a build.
//! - Relative relocations packed (DT_RELR) instead of 24-byte RELA entries: the table the
//!   loader reads at every start shrinks from about 770 KB to 15 KB. glibc 2.36 or later reads
//!   them, so this is only done when building for this machine's glibc and it is that new.
//!
//! Applied to release builds for x86_64 Linux, where rustc links with LLD; a build with its own
//! linker flags, or with `POLICYWATCH_NO_LAYOUT` set, is left as it is.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=benches/layout/symbols.txt");
    println!("cargo:rerun-if-env-changed=POLICYWATCH_NO_LAYOUT");
    let Some(manifest) = env::var_os("CARGO_MANIFEST_DIR") else {
        return;
    };
    let order = PathBuf::from(manifest).join("benches/layout/symbols.txt");
    let target = env::var("TARGET").unwrap_or_default();
    let release = env::var("PROFILE").is_ok_and(|p| p == "release");
    let lld = target == "x86_64-unknown-linux-gnu";
    let own_linker = env::var("CARGO_ENCODED_RUSTFLAGS").is_ok_and(|f| f.contains("link"));
    let opted_out = env::var_os("POLICYWATCH_NO_LAYOUT").is_some();
    if !release || !lld || own_linker || opted_out {
        return;
    }
    if order.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
    let native = env::var("HOST").is_ok_and(|h| h == target);
    if native && glibc_at_least(2, 36) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether this machine's glibc (`getconf GNU_LIBC_VERSION`: "glibc 2.36") is this new.
fn glibc_at_least(major: u32, minor: u32) -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else {
        return false;
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (major, minor)
}
