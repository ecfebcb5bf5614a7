//! Process faults: kill -9 at random points, a full disk, a corrupted or foreign database.

use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::common::{TestEnv, linkedin_page, linkedin_version, poll_until};

const PP: &str = "/legal/privacy-policy";

fn integrity(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// Page states, each with one more sentence about AI training than the last.
fn state(n: usize) -> String {
    let base = "<h1>Privacy Policy</h1><p>We collect the data you give us to run the service and keep it safe for as long as you keep your account with us.</p><p>You can download or delete your data at any time from the settings of your account, and ask us questions by mail. We answer every question within thirty days of receiving it.</p>";
    let extra: String = (1..=n)
        .map(|i| {
            format!(
                "<p>Revision {i}: we may use your posts to train AI models for feature {i}.</p>"
            )
        })
        .collect();
    linkedin_page(&format!("{base}{extra}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_random_points_fifty_times_loses_nothing_and_alerts_each_change() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    env.write_watchlist(&format!(
        "{}schedule = \"* * * * * *\"\n",
        env.target("pp", PP)
    ));
    // a fixed pseudo-random sequence, so a failure can be replayed
    let mut seed: u64 = 0x5eed_1234;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % 1500
    };
    let mut states = 0;
    for i in 0..50 {
        if i % 8 == 0 {
            page.serve(state(states));
            states += 1;
        }
        let mut d = env.start_daemon(&[]);
        tokio::time::sleep(Duration::from_millis(100 + next())).await;
        d.signal("KILL");
        d.wait_exit(10).await;
        assert_eq!(integrity(&env.db_path()), "ok", "after kill {i}");
    }
    // a clean run settles everything: the last state recorded, the outbox drained
    let d = env.start_daemon(&[]);
    let last_hash_recorded = || {
        env.history("pp").len() >= 2
            && env
                .stdout(&["show", "pp"])
                .contains(&format!("Revision {}:", states - 1))
    };
    d.expect(30, "the last state", last_hash_recorded).await;
    d.expect(30, "the outbox to drain", || {
        !env.stdout(&["outbox", "--json"]).contains("\"pending\"")
    })
    .await;
    d.signal("TERM");

    let db = rusqlite::Connection::open(env.db_path()).unwrap();
    // no version is half-written: every text matches the hash written with it
    let mut stmt = db
        .prepare("SELECT id, text, hash FROM version ORDER BY id")
        .unwrap();
    let versions: Vec<(i64, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (id, text, hash) in &versions {
        assert_eq!(
            &format!("{:x}", Sha256::digest(text.as_bytes())),
            hash,
            "version {id}"
        );
    }
    for w in versions.windows(2) {
        assert_ne!(w[0].2, w[1].2, "the same text twice in a row");
    }
    // every change has exactly one alert row, sent, and every delivery carries its Message-ID
    let changes: Vec<i64> = versions.iter().skip(1).map(|v| v.0).collect();
    let rows: Vec<(String, String)> = db
        .prepare("SELECT message_id, status FROM outbox WHERE kind = 'alert' ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let expected: Vec<String> = changes
        .iter()
        .map(|v| format!("alert.pp.v{v}@policywatch"))
        .collect();
    assert_eq!(
        rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        expected
    );
    assert!(rows.iter().all(|r| r.1 == "sent"), "{rows:?}");
    let mut delivered: Vec<String> = Vec::new();
    for f in std::fs::read_dir(env.dir.path().join("outbox")).unwrap() {
        let raw = std::fs::read_to_string(f.unwrap().path()).unwrap();
        let id = raw
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap()
            .trim_matches(['<', '>'])
            .to_string();
        delivered.push(id);
    }
    for id in &expected {
        assert!(delivered.contains(id), "{id} never delivered");
    }
    let failures: Vec<String> = db
        .prepare("SELECT error FROM check_log WHERE status = 'failed'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        failures.is_empty(),
        "a kill is never recorded as a failed check: {failures:?}"
    );
    delivered.retain(|d| d.starts_with("alert."));
    assert!(
        delivered.iter().all(|d| expected.contains(d)),
        "a delivery with an unknown id: {delivered:?}"
    );
    let duplicates = delivered.len() - expected.len();
    println!(
        "kill -9 x50: {} versions, {} alerts, {duplicates} duplicate deliveries (same Message-ID)",
        versions.len(),
        expected.len()
    );
    assert!(expected.len() >= 2, "the loop saw several changes");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_is_a_clear_error_and_recovers_when_space_returns() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version("privacy-policy/2025-09-23.md"));
    env.write_watchlist(&env.target("pp", PP));
    let root = env.dir.path();
    let (disk, out) = (root.join("disk"), root.join("out"));
    std::fs::create_dir_all(&disk).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("policywatch");
    // Runs in its own mount namespace: the 3 MB tmpfs vanishes with it.
    let script = format!(
        r#"set -e
mount -t tmpfs -o size=3m tmpfs {disk}
run() {{ if "{bin}" --watchlist {wl} --db {disk}/pw.db check-now --json --no-mail > {out}/$1.json 2> {out}/$1.err; then echo 0 > {out}/$1.code; else echo $? > {out}/$1.code; fi; touch {out}/step$1; }}
wait_for() {{ n=0; while [ ! -f {out}/go$1 ]; do sleep 0.05; n=$((n+1)); [ $n -lt 1200 ] || exit 3; done; }}
run 1
wait_for 2
dd if=/dev/zero of={disk}/filler bs=16k 2>/dev/null || true
run 2
wait_for 3
rm {disk}/filler
run 3
/usr/bin/python3 -c "import sqlite3; print(sqlite3.connect('{disk}/pw.db').execute('PRAGMA integrity_check').fetchone()[0])" > {out}/integrity
touch {out}/done
"#,
        disk = disk.display(),
        out = out.display(),
        wl = env.watchlist_path().display(),
        bin = bin.display()
    );
    let mut child = std::process::Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .spawn()
        .expect("unshare (util-linux) is needed, and root, to mount a small tmpfs");
    let step = |n: u32| out.join(format!("step{n}")).exists();
    let json = |n: u32| -> serde_json::Value {
        let s = std::fs::read_to_string(out.join(format!("{n}.json"))).unwrap();
        serde_json::from_str(s.lines().next().unwrap_or("null")).unwrap()
    };
    assert!(
        poll_until(60, || step(1)).await,
        "the baseline run (is this root, with mount namespaces?)"
    );
    assert_eq!(json(1)["status"], "new");
    page.serve(linkedin_version("privacy-policy/2025-11-03.md"));
    std::fs::write(out.join("go2"), "").unwrap();
    assert!(poll_until(60, || step(2)).await);
    // Either the check fails (the write is refused) or the database cannot even be opened: a
    // clear error naming the database, exit status 1, nothing half-written.
    let full = json(2);
    let err = std::fs::read_to_string(out.join("2.err")).unwrap();
    let code = std::fs::read_to_string(out.join("2.code")).unwrap();
    assert_eq!(code.trim(), "1", "{full} {err}");
    let said = format!("{} {err}", full["error"].as_str().unwrap_or_default());
    assert!(said.contains("pw.db") && said.contains("disk"), "{said}");
    assert!(full.is_null() || full["status"] == "failed", "{full}");
    std::fs::write(out.join("go3"), "").unwrap();
    assert!(
        poll_until(60, || out.join("done").exists()).await,
        "{}",
        std::fs::read_to_string(out.join("3.err")).unwrap_or_default()
    );
    assert_eq!(
        json(3)["status"],
        "changed",
        "the change is recorded once space returns"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("integrity"))
            .unwrap()
            .trim(),
        "ok"
    );
    assert!(child.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupted_or_foreign_database_is_reported_and_left_alone() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version("privacy-policy/2025-09-23.md"));
    env.write_watchlist(&env.target("pp", PP));
    for (what, bytes) in [
        ("garbage", vec![0x42u8; 16384]),
        ("foreign", {
            let p = env.dir.path().join("foreign.db");
            let c = rusqlite::Connection::open(&p).unwrap();
            c.execute_batch("CREATE TABLE accounts (id INTEGER, balance INTEGER); INSERT INTO accounts VALUES (1, 100);").unwrap();
            drop(c);
            std::fs::read(&p).unwrap()
        }),
    ] {
        std::fs::write(env.db_path(), &bytes).unwrap();
        let out = env.run(&["check-now"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(
            stderr.contains(&env.db_path().display().to_string()),
            "{what}: names the file: {stderr}"
        );
        assert!(
            stderr.contains("not a database") || stderr.contains("not a policywatch database"),
            "{what}: {stderr}"
        );
        assert_eq!(
            std::fs::read(env.db_path()).unwrap(),
            bytes,
            "{what}: never recreated or touched"
        );
    }
}
