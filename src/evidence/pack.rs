//! The evidence pack of a version or a change (`policywatch evidence`): everything a lawyer
//! hands over, each file checkable with standard tools, and a README saying how and what it
//! does not prove.
//!
//! ```text
//! README.txt            what each file proves, how to check it, what it does not prove
//! SHA256SUMS            sha256sum -c SHA256SUMS
//! responses/vN.http     the response as served: status line, headers, body
//! responses/vN.body     the body alone (its SHA-256 is the chain entry's body hash)
//! texts/vN.txt          the text policywatch read from it (its SHA-256: the text hash)
//! diff.html             the sentence diff of the change, its summary first
//! facts.json            what each version says (facts), and the change told plainly
//! chain.jsonl           the chain entries from the target's first to the last one here
//! chain/SEQ.txt         each entry's hashed text: sha256sum gives the entry's hash
//! timestamps/*.tsr      RFC 3161 responses for chain entries, and tsa-ca.pem
//! responses.warc.gz     the responses as WARC 1.1 (warcio check)
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::config::{Target, Watchlist};
use crate::store::{Store, VersionId, entry_text, sha256_hex};

/// What to pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// One version.
    Version(VersionId),
    /// The change between two versions.
    Change(VersionId, VersionId),
    /// The latest change (or the only version).
    Latest,
}

/// Why a pack could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The database.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A version that is not the target's.
    #[error("{0}")]
    NoSuchVersion(String),
    /// Writing the pack.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Files written, by path relative to the pack.
struct Pack {
    dir: PathBuf,
    files: Vec<(String, String)>,
}

impl Pack {
    fn put(&mut self, rel: &str, bytes: &[u8]) -> Result<(), PackError> {
        let path = self.dir.join(rel);
        let failed = |source| PackError::Write {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(failed)?;
        }
        // a link planted in the folder is replaced, never written through
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            std::fs::remove_file(&path).map_err(failed)?;
        }
        std::fs::write(&path, bytes).map_err(failed)?;
        self.files.push((rel.to_string(), sha256_hex(bytes)));
        Ok(())
    }
}

/// Writes the pack of `pick` for target `t` into `out` (created; files in it replaced).
/// Returns the files written.
pub fn write(
    store: &Store,
    wl: &Watchlist,
    t: &Target,
    pick: Pick,
    out: &Path,
) -> Result<Vec<String>, PackError> {
    let id = t.id.as_str();
    let history = store.history(id)?;
    let find = |v: VersionId| {
        history
            .iter()
            .position(|m| m.id == v)
            .ok_or_else(|| PackError::NoSuchVersion(format!("{id} has no version {v}")))
    };
    let chosen: Vec<usize> = match pick {
        Pick::Version(v) => vec![find(v)?],
        Pick::Change(a, b) => {
            let (a, b) = (find(a)?, find(b)?);
            if a >= b {
                return Err(PackError::NoSuchVersion(format!(
                    "--change FROM..TO: version {} is not older than {}",
                    history[a].id, history[b].id
                )));
            }
            vec![a, b]
        }
        Pick::Latest => match history.len() {
            0 => {
                return Err(PackError::NoSuchVersion(format!(
                    "{id} has no version stored"
                )));
            }
            1 => vec![0],
            n => vec![n - 2, n - 1],
        },
    };
    let mut pack = Pack {
        dir: out.to_path_buf(),
        files: Vec::new(),
    };
    let chain = store.chain(id)?;
    let mut last_seq = 0;
    let mut raw_ids = Vec::new();
    let mut lines = Vec::new();
    let rules = crate::report::RuleCache::default();
    let site = crate::report::Site::new(wl, store, crate::clock::now(), &rules);
    let source = crate::views::FactSource::new(wl);
    let mut facts = serde_json::Map::new();
    for &i in &chosen {
        let meta = &history[i];
        let v = meta.id;
        let entry = chain.iter().find(|e| e.observed.version_id == Some(v));
        last_seq = last_seq.max(entry.map_or(0, |e| e.seq));
        let text = store
            .version(id, Some(v))?
            .map(|v| v.text)
            .unwrap_or_default();
        pack.put(&format!("texts/v{v}.txt"), text.as_bytes())?;
        let stored = store.facts_of(v)?;
        let read = source.facts(stored, || text.clone());
        facts.insert(
            format!("v{v}"),
            serde_json::from_str(&read.to_json()).unwrap_or_default(),
        );
        let raw = match entry.and_then(|e| e.observed.snapshot_id) {
            Some(s) => store.raw(s)?,
            None => None,
        };
        match raw {
            Some(r) => {
                let head = crate::evidence::warc::response_head(&r);
                let mut served = head.into_bytes();
                served.extend_from_slice(&r.body);
                pack.put(&format!("responses/v{v}.http"), &served)?;
                pack.put(&format!("responses/v{v}.body"), &r.body)?;
                raw_ids.push(r.id);
                lines.push(format!(
                    "responses/v{v}.http, .body: the page as served on {} from {} (HTTP {}); the body's SHA-256 is the chain entry's body hash.",
                    r.fetched_at,
                    r.url,
                    r.status.map_or_else(|| "status not kept".into(), |s| s.to_string())
                ));
            }
            None => lines.push(format!(
                "version {v}: its raw response is not kept (imported from an archive, or pruned by keep_snapshots); the chain entry keeps its hash."
            )),
        }
        if let Some(source) = &meta.source {
            let served = meta
                .language
                .as_deref()
                .map(|l| format!(", served in {l}"))
                .unwrap_or_default();
            lines.push(format!("version {v} came from {source}{served}."));
        }
    }
    if let [a, b] = chosen[..] {
        let (from, to) = (history[a].id, history[b].id);
        if let Some(html) = site.change_page_between(t, from, to)? {
            pack.put("diff.html", html.as_bytes())?;
        }
        if let Some((_, plain)) = store.plain_of(to)? {
            facts.insert(
                "change".into(),
                serde_json::to_value(plain).unwrap_or_default(),
            );
        }
    }
    pack.put(
        "facts.json",
        serde_json::to_string_pretty(&facts)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    // the timestamps of the entries shown, and the first one after them (it covers them all)
    let stamps = store.stamps(id)?;
    let after = stamps
        .iter()
        .filter(|s| s.token.is_some() && s.seq >= last_seq)
        .map(|s| s.seq)
        .min();
    let mut stamped = Vec::new();
    for s in stamps.iter().filter(|s| s.token.is_some()) {
        if (s.seq <= last_seq || Some(s.seq) == after)
            && let Some(resp) = &s.response
        {
            pack.put(&format!("timestamps/{:06}-{}.tsr", s.seq, s.id), resp)?;
            stamped.push((
                s.seq,
                s.id,
                s.tsa.clone(),
                s.gen_time.clone().unwrap_or_default(),
            ));
        }
    }
    // the chain from its first entry to the last one shown (or stamped), each with the text
    // its hash is taken over
    let upto = after.unwrap_or(last_seq).max(last_seq);
    let mut jsonl = String::new();
    for e in chain.iter().filter(|e| e.seq <= upto) {
        let _ = writeln!(jsonl, "{}", serde_json::to_string(e).unwrap_or_default());
        pack.put(
            &format!("chain/{:06}.txt", e.seq),
            entry_text(id, &e.prev, &e.observed).as_bytes(),
        )?;
    }
    pack.put("chain.jsonl", jsonl.as_bytes())?;
    if let Some(ca) = &wl.evidence.tsa_ca_file
        && !stamped.is_empty()
        && let Ok(pem) = std::fs::read(ca)
    {
        pack.put("timestamps/tsa-ca.pem", &pem)?;
    }
    if !raw_ids.is_empty() {
        let warc = out.join("responses.warc.gz");
        crate::evidence::write_warc(store, &raw_ids, &warc, &format!("evidence pack of {id}"))
            .map_err(|e| PackError::Write {
                path: warc.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
        let bytes = std::fs::read(&warc).map_err(|source| PackError::Write {
            path: warc.clone(),
            source,
        })?;
        pack.files
            .push(("responses.warc.gz".into(), sha256_hex(&bytes)));
    }
    let readme = readme(
        t,
        &chosen.iter().map(|&i| history[i].id).collect::<Vec<_>>(),
        &lines,
        &stamped,
    );
    pack.put("README.txt", readme.as_bytes())?;
    let mut sums = String::new();
    for (rel, hash) in &pack.files {
        let _ = writeln!(sums, "{hash}  {rel}");
    }
    pack.put("SHA256SUMS", sums.as_bytes())?;
    Ok(pack.files.iter().map(|(r, _)| r.clone()).collect())
}

/// The README of a pack (pure): what each file proves, how to check it, what it does not prove.
fn readme(
    t: &Target,
    versions: &[VersionId],
    lines: &[String],
    stamped: &[(i64, i64, String, String)],
) -> String {
    let mut r = format!(
        "Evidence pack: {} ({})\n{}\nVersions: {}\nMade by policywatch {} on {}.\n\n",
        t.name,
        t.id,
        t.url,
        versions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        env!("CARGO_PKG_VERSION"),
        crate::store::timestamp(crate::clock::now())
    );
    r.push_str("WHAT EACH FILE IS\n\n");
    for l in lines {
        let _ = writeln!(r, "- {l}");
    }
    r.push_str(
        "- texts/vN.txt: the text policywatch extracted from the page; its SHA-256 is the chain entry's text hash.\n\
         - diff.html: the sentence-by-sentence difference between the two versions, the change told in plain words first.\n\
         - facts.json: what each version says about members' data and AI training (read by policywatch's rules), and the change told plainly.\n\
         - chain.jsonl: the hash chain of this document from its first recorded observation to the last one in this pack. Each entry holds the hash of the entry before it (prev) and its own hash over: the document id, prev, the raw body's SHA-256, the text's SHA-256, the fetch time, the URL, the HTTP status and the SHA-256 of the response headers.\n\
         - chain/SEQ.txt: the exact text each entry's hash is taken over.\n\
         - responses.warc.gz: the same responses as WARC 1.1 records (request and response), readable by pywb, ReplayWeb.page and warcio.\n\
         - timestamps/*.tsr: RFC 3161 time-stamp responses from a trusted time-stamping authority over chain entry hashes; tsa-ca.pem is the certificate they are checked against.\n\n",
    );
    r.push_str("HOW TO CHECK IT (standard tools, no policywatch needed)\n\n");
    r.push_str("1. Every file is the one packed:            sha256sum -c SHA256SUMS\n");
    r.push_str("2. A body and a text match their entry:     sha256sum responses/vN.body texts/vN.txt   (compare with body_hash and text_hash in chain.jsonl)\n");
    r.push_str("3. Each entry's hash is over its text:      sha256sum chain/*.txt   (compare with hash in chain.jsonl; each line of chain/SEQ.txt after the first two is a field, the third is the previous entry's hash)\n");
    r.push_str("4. The WARC's digests hold:                 warcio check responses.warc.gz\n");
    if stamped.is_empty() {
        r.push_str("5. No trusted timestamp covers these entries yet ([evidence] tsa in the watchlist asks for them).\n\n");
    } else {
        r.push_str("5. The timestamps hold (for each file):     openssl ts -verify -in timestamps/SEQ-ID.tsr -data chain/SEQ.txt -CAfile timestamps/tsa-ca.pem\n");
        for (seq, id, tsa, at) in stamped {
            let _ = writeln!(
                r,
                "   timestamps/{seq:06}-{id}.tsr: entry {seq} existed at {at}, says {tsa}"
            );
        }
        r.push_str("   A timestamp of an entry vouches for every entry before it too: each holds the hash of the one before.\n\n");
    }
    r.push_str(
        "WHAT IT PROVES, AND WHAT IT DOES NOT\n\n\
         The chain shows that the recorded observations were not edited, removed, reordered or added to after they were chained: any such change breaks a hash. A timestamp shows that the chain entry (and so every observation before it) existed no later than the time the authority signed.\n\
         It does not show who served the page: the bytes are what policywatch received from the URL at that time, over TLS, but this pack cannot prove the server's identity to a third party. For that, point to an independent capture of the same page: Open Terms Archive (https://opentermsarchive.org) or the Wayback Machine (https://web.archive.org).\n\
         It does not show that no other version was served elsewhere or at another moment: policywatch looks at its schedule, not continuously.\n",
    );
    r
}
