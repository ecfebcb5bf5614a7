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

/// A loopback time-stamping authority (`openssl ts -reply` behind a few lines of Python) on
/// `port`, with its CA in `dir`.
struct Tsa {
    child: std::process::Child,
}

impl Drop for Tsa {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_tsa(dir: &std::path::Path, port: u16) -> Tsa {
    let mut child = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/tsa_server.py"
        ))
        .arg(dir)
        .arg(port.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), port.to_string());
    Tsa { child }
}

/// A test CA and time-stamping certificate (`make_tsa.sh`) in the env's folder, and a free port
/// for the authority.
fn tsa_setup(env: &TestEnv) -> (std::path::PathBuf, u16) {
    let tsa_dir = env.dir.path().join("tsa");
    std::fs::create_dir_all(&tsa_dir).unwrap();
    let made = Command::new("sh")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/make_tsa.sh"
        ))
        .arg(&tsa_dir)
        .status()
        .unwrap();
    assert!(made.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    (tsa_dir, port)
}

#[tokio::test(flavor = "multi_thread")]
async fn chain_heads_get_trusted_timestamps_that_openssl_verifies_from_the_evidence_pack() {
    let env = TestEnv::new().await;
    let (tsa_dir, port) = tsa_setup(&env);
    let page = env.page("/pp").await;
    let evidence = format!(
        "[evidence]\ntsa = [\"http://127.0.0.1:{port}/\"]\ntsa_ca_file = {:?}\n\n",
        tsa_dir.join("ca.pem").to_str().unwrap()
    );
    env.write_watchlist(&format!("{evidence}{}", env.target("pp", "/pp")));
    let versions = crate::common::versions("privacy-policy");
    // the TSA is down: the check is recorded, the stamp waits
    page.serve(crate::common::linkedin_version(&versions[5]));
    let out = env.run(&["check-now"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("0 granted, 1 pending"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // up, but refusing (503): still pending
    let tsa = start_tsa(&tsa_dir, port);
    std::fs::write(tsa_dir.join("refuse"), "").unwrap();
    let out = env.run_at("1h", &["check-now"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("HTTP 503"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // granting: the stamp completes, and the next change's head is stamped too
    std::fs::remove_file(tsa_dir.join("refuse")).unwrap();
    let out = env.run_at("3h", &["check-now"]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("pending"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    page.serve(crate::common::linkedin_version(&versions[6]));
    env.run_at("3h", &["check-now"]);
    let out = env.stdout(&["verify"]);
    let table = Command::new("sqlite3")
        .arg(env.db_path())
        .arg("SELECT id, chain_id, status, attempts, last_error, gen_time FROM stamp")
        .output()
        .unwrap();
    let tokens: usize = out
        .split("; ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        tokens >= 2 && out.contains("timestamp token(s) hold"),
        "{out}\n{}",
        String::from_utf8_lossy(&table.stdout)
    );
    drop(tsa);

    // the pack of the change: openssl, sha256sum and warcio check it without policywatch
    let pack = env.dir.path().join("pack");
    let out = env.stdout(&["evidence", "pp", "--out", pack.to_str().unwrap()]);
    assert!(out.contains("files"), "{out}");
    let readme = std::fs::read_to_string(pack.join("README.txt")).unwrap();
    assert!(
        readme.contains("openssl ts -verify")
            && readme.contains("does not show who served the page"),
        "{readme}"
    );
    let listed = std::fs::read_to_string(pack.join("SHA256SUMS")).unwrap();
    let mut paths: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split("  ").nth(1))
        .collect();
    let all = paths.len();
    paths.sort_unstable();
    paths.dedup();
    assert_eq!(paths.len(), all, "each file listed once: {listed}");
    let sums = Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(&pack)
        .output()
        .unwrap();
    assert!(
        sums.status.success(),
        "{}",
        String::from_utf8_lossy(&sums.stdout)
    );
    let tsrs: Vec<_> = std::fs::read_dir(pack.join("timestamps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsr"))
        .collect();
    assert!(!tsrs.is_empty(), "{tsrs:?}");
    for tsr in &tsrs {
        let seq = tsr
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .split('-')
            .next()
            .unwrap()
            .to_string();
        let data = pack.join(format!("chain/{seq}.txt"));
        let ok = Command::new("openssl")
            .args(["ts", "-verify", "-in"])
            .arg(tsr)
            .arg("-data")
            .arg(&data)
            .arg("-CAfile")
            .arg(pack.join("timestamps/tsa-ca.pem"))
            .output()
            .unwrap();
        let said =
            String::from_utf8_lossy(&ok.stdout).to_string() + &String::from_utf8_lossy(&ok.stderr);
        assert!(
            ok.status.success() && said.contains("Verification: OK"),
            "{said}"
        );
        // and the entry's text hashes to the entry's hash
        let hash = crate::common::sha256_file(&data);
        let chain = std::fs::read_to_string(pack.join("chain.jsonl")).unwrap();
        assert!(
            chain.contains(&format!("\"hash\":\"{hash}\"")),
            "{hash} not in {chain}"
        );
    }
    let body = std::fs::read(
        pack.join("responses").join(
            std::fs::read_dir(pack.join("responses"))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .find(|n| n.ends_with(".body"))
                .unwrap(),
        ),
    )
    .unwrap();
    assert!(String::from_utf8_lossy(&body).contains("component-container"));
    let warc = Command::new("python3")
        .args([
            "-c",
            "import sys; from warcio.cli import main; main(sys.argv[1:])",
            "check",
            "-v",
        ])
        .arg(pack.join("responses.warc.gz"))
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&warc.stdout).to_string() + &String::from_utf8_lossy(&warc.stderr);
    assert!(
        warc.status.success() && said.contains("digest pass"),
        "{said}"
    );
    assert!(pack.join("diff.html").is_file() && pack.join("facts.json").is_file());

    // a token edited in the database no longer holds
    sqlite3(
        &env,
        "UPDATE stamp SET token = CAST(substr(token, 1, length(token) - 1) || X'00' AS BLOB) WHERE id = 1",
    );
    let out = env.run(&["verify"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("timestamp 1 of chain entry"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_stamps_its_chain_heads_apart_from_the_checks() {
    let env = TestEnv::new().await;
    let (tsa_dir, port) = tsa_setup(&env);
    let _tsa = start_tsa(&tsa_dir, port);
    let page = env.page("/pp").await;
    page.serve(crate::common::linkedin_version(
        &crate::common::versions("privacy-policy")[5],
    ));
    env.write_watchlist(&format!(
        "[evidence]\ntsa = [\"http://127.0.0.1:{port}/\"]\ntsa_ca_file = {:?}\n\n{}schedule = \"* * * * * *\"\n",
        tsa_dir.join("ca.pem").to_str().unwrap(),
        env.target("pp", "/pp")
    ));
    let mut daemon = env.start_daemon(&[]);
    daemon
        .expect(60, "a chain head stamped by the daemon", || {
            let out = env.stdout(&["verify"]);
            out.contains("timestamp token(s) hold") && !out.contains("; 0 timestamp")
        })
        .await;
    daemon.signal("TERM");
    assert!(daemon.wait_exit(30).await.success(), "{}", daemon.log());
}
