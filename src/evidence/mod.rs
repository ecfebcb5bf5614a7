//! Evidence: what the store holds, exported so that others can check it without policywatch.
//!
//! - [`warc`]: stored responses as WARC 1.1 (`policywatch export --format warc`).
//! - the evidence pack of a version or a change (`policywatch evidence`), in [`pack`].
//!
//! The hash chain itself lives with the rows it covers (`store::chain`).

pub mod pack;
pub mod stamp;
pub mod tsa;
pub mod warc;

use std::io::Write as _;
use std::path::Path;

use crate::store::{Store, StoreError};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the file.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Writes the WARC of the responses `ids` (from [`Store::raw_ids`]) to `out`, through a
/// temporary file renamed over it, one response in memory at a time. Returns how many.
pub fn write_warc(
    store: &Store,
    ids: &[i64],
    out: &Path,
    description: &str,
) -> Result<usize, ExportError> {
    let failed = |source| ExportError::Write {
        path: out.display().to_string(),
        source,
    };
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    let mut file = std::io::BufWriter::new(tmp);
    let name = out.file_name().map_or_else(
        || "policywatch.warc.gz".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let now = crate::store::timestamp(crate::clock::now());
    file.write_all(&warc::warcinfo(&name, &now, description).map_err(failed)?)
        .map_err(failed)?;
    let mut written = 0;
    for id in ids {
        let Some(raw) = store.raw(*id)? else { continue };
        file.write_all(&warc::exchange(&raw).map_err(failed)?)
            .map_err(failed)?;
        written += 1;
    }
    let tmp = file.into_inner().map_err(|e| failed(e.into_error()))?;
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(failed)?;
    }
    tmp.persist(out).map_err(|e| failed(e.error))?;
    Ok(written)
}

/// Checks every granted timestamp of `targets`' chains (every target when empty) against the
/// entry it stamps, its nonce and `cas`: (tokens that hold, and the problems: target, where,
/// what).
pub fn verify_stamps(
    store: &Store,
    targets: &[String],
    cas: &[x509_certificate::CapturedX509Certificate],
) -> Result<(usize, Vec<crate::store::Problem>), StoreError> {
    let keys = if targets.is_empty() {
        store.target_keys()?
    } else {
        targets.to_vec()
    };
    let (mut ok, mut problems) = (0, Vec::new());
    for target in &keys {
        for s in store.stamps(target)? {
            let Some(token) = &s.token else { continue };
            let at = format!(
                "timestamp {} of chain entry {} (seq {}) by {}",
                s.id, s.chain_id, s.seq, s.tsa
            );
            let imprint = stamp::hash_bytes(&s.imprint).unwrap_or_default();
            match tsa::check_token(token, &imprint, Some(s.nonce), cas) {
                Ok(when) if Some(&when) == s.gen_time.as_ref() => ok += 1,
                Ok(when) => problems.push((
                    target.clone(),
                    at,
                    format!("says {when}, stored as {:?}", s.gen_time),
                )),
                Err(e) => problems.push((target.clone(), at, e.to_string())),
            }
        }
    }
    Ok((ok, problems))
}
