//! Evidence: the hash chain over a replayed LinkedIn history, and each kind of tampering done
//! with `sqlite3` on the database file, caught and named by `policywatch verify`.

use std::process::Command;

use crate::common::TestEnv;

/// Runs `sqlite3` on the env's database.
fn sqlite3(env: &TestEnv, sql: &str) {
    let out = Command::new("sqlite3")
        .arg(env.db_path())
        .arg(sql)
        .output()
        .expect("the sqlite3 command line (Debian package sqlite3)");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `verify`: its exit code and what it printed.
fn verify(env: &TestEnv) -> (i32, String) {
    let out = env.run(&["verify"]);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A copy of the database to tamper with, and the way back.
fn tampered(env: &TestEnv, sql: &str) -> (i32, String) {
    let db = env.db_path();
    let saved = env.dir.path().join("saved.db");
    std::fs::copy(&db, &saved).unwrap();
    sqlite3(env, sql);
    let got = verify(env);
    std::fs::copy(&saved, &db).unwrap();
    got
}

#[tokio::test(flavor = "multi_thread")]
async fn the_chain_of_a_replayed_history_verifies_and_each_tampering_is_named() {
    let env = TestEnv::new().await;
    let steps = env.replay("privacy-policy-eu").await;
    assert!(steps.len() >= 4, "{} steps", steps.len());
    let id = "privacy-policy-eu";
    let (code, out) = verify(&env);
    assert_eq!(code, 0, "{out}");
    let entries: usize = out
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(entries > steps.len(), "{out}");
    assert!(out.contains("raw bodies hashed again"), "{out}");
    let versions: Vec<i64> = env
        .history(id)
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    let (v2, v3) = (versions[1], versions[2]);

    // a text edited
    let (code, out) = tampered(
        &env,
        &format!(
            "UPDATE version SET text = replace(text, 'LinkedIn', 'LinkedOut') WHERE id = {v2}"
        ),
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("{id}: version {v2} ")) && out.contains("was edited"),
        "{out}"
    );
    // a version deleted
    let (code, out) = tampered(&env, &format!("DELETE FROM version WHERE id = {v3}"));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("version {v3} ")) && out.contains("was deleted"),
        "{out}"
    );
    // a version and its chain entry deleted: the next entry no longer follows
    let (code, out) = tampered(
        &env,
        &format!("DELETE FROM version WHERE id = {v3}; DELETE FROM chain WHERE version_id = {v3};"),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not follow the entry before it"), "{out}");
    // two rows swapped: the texts of two versions, then the order of two entries
    let (code, out) = tampered(
        &env,
        &format!(
            "UPDATE version SET text = CASE id WHEN {v2} THEN (SELECT text FROM version WHERE id = {v3}) ELSE (SELECT text FROM version WHERE id = {v2}) END,
                                hash = CASE id WHEN {v2} THEN (SELECT hash FROM version WHERE id = {v3}) ELSE (SELECT hash FROM version WHERE id = {v2}) END
             WHERE id IN ({v2}, {v3})"
        ),
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("version {v2} ")) && out.contains("was edited"),
        "{out}"
    );
    let (code, out) = tampered(
        &env,
        "UPDATE chain SET seq = -seq WHERE seq IN (2, 3); UPDATE chain SET seq = CASE seq WHEN -2 THEN 3 ELSE 2 END WHERE seq < 0;",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("(seq 2) does not follow"), "{out}");
    // a version inserted
    let (code, out) = tampered(
        &env,
        &format!(
            "INSERT INTO version (target_id, recorded_at, hash, size, text, added, removed)
             SELECT target_id, '2030-01-01T00:00:00.000Z', hash, size, text, 0, 0 FROM version WHERE id = {v3}"
        ),
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("is in no chain entry: it was inserted"),
        "{out}"
    );
    // a raw body edited
    let (code, out) = tampered(
        &env,
        "UPDATE snapshot SET body = X'00' WHERE id = (SELECT max(id) FROM snapshot)",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("snapshot ") && out.contains("body"), "{out}");
    // an entry's own field edited
    let (code, out) = tampered(
        &env,
        "UPDATE chain SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 1",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("(seq 1) was edited"), "{out}");
    // untouched, it still holds
    assert_eq!(verify(&env).0, 0);

    // a database from before the chain: what it holds is chained once, and it says so
    sqlite3(&env, "DELETE FROM chain");
    let out = env.run(&["verify"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("stored observations chained (once"), "{err}");
    let again = env.run(&["verify"]);
    assert!(!String::from_utf8_lossy(&again.stderr).contains("chained"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_warc_export_is_read_back_by_warcio_with_every_digest_valid() {
    let env = TestEnv::new().await;
    env.replay("privacy-policy").await;
    let warc = env.dir.path().join("out/pp.warc.gz");
    let out = env.stdout(&[
        "export",
        "--format",
        "warc",
        "--out",
        warc.to_str().unwrap(),
    ]);
    assert!(out.contains("responses"), "{out}");
    let check = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/warc_check.py"
        ))
        .arg(&warc)
        .arg(env.db_path())
        .output()
        .expect("python3 with warcio (pip install warcio; .ci/run installs it)");
    let said = String::from_utf8_lossy(&check.stdout).to_string()
        + &String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{said}");
    let n: usize = said.trim().strip_prefix("ok ").unwrap().parse().unwrap();
    assert!(n >= 10, "{said}");
    // the same store exports the same records again; --since and a target narrow it
    let later = env.dir.path().join("later.warc.gz");
    let out = env.stdout(&[
        "export",
        "--format",
        "warc",
        "--out",
        later.to_str().unwrap(),
        "privacy-policy",
        "--since",
        "2099-01-01",
    ]);
    assert!(out.contains(": 0 responses"), "{out}");
    let bad = env.run(&[
        "export",
        "--format",
        "warc",
        "--out",
        later.to_str().unwrap(),
        "--since",
        "soon",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}
