use chrono::TimeZone;

use super::*;

fn obs<'a>(text: Option<&'a str>, hash: &'a str, terms: &'a [String]) -> Observation<'a> {
    Observation {
        target: "t",
        url: "https://example.com/p",
        at: Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap(),
        duration: Duration::from_millis(5),
        etag: Some("\"e1\""),
        last_modified: None,
        snapshot: Some(Snapshot {
            url: "https://example.com/p",
            content_type: Some("text/html"),
            body: b"<p>raw</p>",
            hash: "raw1",
            status: Some(200),
            headers: Some("Content-Type: text/html\r\n"),
            request: None,
        }),
        version: text.map(|text| NewVersion {
            text,
            hash,
            added: 1,
            removed: 0,
            ai_relevant: false,
            severity: crate::classify::Severity::None,
            matched_terms: terms,
            new_items: &[],
            facts: None,
            language: None,
            source: None,
        }),
        seen: None,
        extract_key: None,
        alert: None,
        recovery: None,
        keep_snapshots: None,
    }
}

fn failure(at: DateTime<Utc>) -> Failure<'static> {
    Failure {
        target: "t",
        url: "u",
        at,
        duration: Duration::ZERO,
        error: "HTTP 500",
    }
}

fn fail(s: &mut Store, at: DateTime<Utc>) -> u32 {
    s.record_failure(&failure(at), None).unwrap()
}

#[test]
fn versions_are_written_only_when_the_text_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("db")).unwrap();
    let first = s.record(&obs(Some("one"), "h1", &[])).unwrap();
    let Recorded::Version(v1) = first else {
        panic!("{first:?}")
    };
    assert_eq!(
        s.record(&obs(Some("one"), "h1", &[])).unwrap(),
        Recorded::Unchanged(Some(v1))
    );
    let Recorded::Version(v2) = s.record(&obs(Some("two"), "h2", &[])).unwrap() else {
        panic!()
    };
    assert!(v2 > v1);
    let history = s.history("t").unwrap();
    assert_eq!(
        history.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![v1, v2]
    );
    assert_eq!(s.previous_version("t", v2).unwrap().unwrap().text, "one");
    let state = s.target_state("t").unwrap();
    assert_eq!(state.etag.as_deref(), Some("\"e1\""));
    assert_eq!((state.last_version.unwrap().id, state.known.len()), (v2, 2));
    assert_eq!(s.version("t", Some(v2)).unwrap().unwrap().text, "two");
    // identical raw bodies are stored once
    let snaps: i64 = s
        .conn
        .query_row("SELECT count(*) FROM snapshot", [], |r| r.get(0))
        .unwrap();
    assert_eq!(snaps, 1);
}

#[test]
fn a_failure_counts_but_never_touches_the_last_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("db")).unwrap();
    s.record(&obs(Some("good"), "h1", &[])).unwrap();
    let at = Utc::now();
    assert_eq!(fail(&mut s, at), 1);
    assert_eq!(fail(&mut s, at), 2);
    let state = s.target_state("t").unwrap();
    assert_eq!(
        (
            state.consecutive_failures,
            state.last_version.unwrap().hash.as_str()
        ),
        (2, "h1")
    );
    assert_eq!(s.version("t", None).unwrap().unwrap().text, "good");
    s.record(&obs(None, "", &[])).unwrap();
    assert_eq!(s.target_state("t").unwrap().consecutive_failures, 0);
}

#[test]
fn reopening_keeps_data_and_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let terms = vec!["training".to_string()];
    Store::open(&path)
        .unwrap()
        .record(&obs(Some("kept"), "h", &terms))
        .unwrap();
    let s = Store::open(&path).unwrap();
    let v = s.version("t", None).unwrap().unwrap();
    assert_eq!(
        (v.text.as_str(), v.meta.matched_terms.clone()),
        ("kept", terms)
    );
}

#[test]
fn freeing_the_page_cache_keeps_the_store_working() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("db")).unwrap();
    s.record(&obs(Some("one"), "h1", &[])).unwrap();
    s.release_memory().unwrap();
    s.record(&obs(Some("two"), "h2", &[])).unwrap();
    s.release_memory().unwrap();
    assert_eq!(s.version("t", None).unwrap().unwrap().text, "two");
    assert_eq!(s.history("t").unwrap().len(), 2);
}

/// `quick` runs in place when the store is free; when a blocking-pool call holds the store it
/// waits on the pool too, so the async thread goes on running other tasks (here: the one that
/// lets the holder finish; blocking the thread instead would leave the holder to time out).
#[test]
fn a_quick_call_runs_in_place_and_never_blocks_the_async_thread_on_a_busy_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SharedStore::new(Store::open(&dir.path().join("db")).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let here = std::thread::current().id();
        let ran_on = store
            .quick(|s| {
                s.record(&obs(Some("one"), "h1", &[]))?;
                Ok(std::thread::current().id())
            })
            .await
            .unwrap();
        assert_eq!(ran_on, here, "a free store is used in place");

        let (release, released) = std::sync::mpsc::channel::<()>();
        let (held, is_held) = tokio::sync::oneshot::channel::<()>();
        let holder = store.call(move |_| {
            let _ = held.send(());
            Ok(released.recv_timeout(Duration::from_secs(5)).is_ok())
        });
        let other = async {
            is_held.await.unwrap();
            let quick = store.quick(|s| {
                s.record(&obs(Some("two"), "h2", &[]))?;
                Ok(std::thread::current().id())
            });
            let releaser = async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let _ = release.send(());
            };
            tokio::join!(quick, releaser).0
        };
        let (released_in_time, ran_on) = tokio::join!(holder, other);
        assert!(released_in_time.unwrap(), "the async thread was blocked");
        assert_ne!(
            ran_on.unwrap(),
            here,
            "a busy store is waited for on the pool"
        );
    });
    let s = Store::open(&dir.path().join("db")).unwrap();
    assert_eq!(s.version("t", None).unwrap().unwrap().text, "two");
}

/// Another process (a `check-now` beside the daemon) holding SQLite's write lock must not
/// freeze the async thread either: in place, SQLite is told not to wait, and the busy call goes
/// to the pool, where it waits for the lock while the async thread keeps running.
#[test]
fn a_quick_call_never_waits_on_the_thread_for_another_connections_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store = SharedStore::new(Store::open(&path).unwrap());
    // a second connection takes the write lock and keeps it until told
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        released.recv_timeout(Duration::from_secs(5)).unwrap();
        other.execute_batch("COMMIT").unwrap();
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let here = std::thread::current().id();
        let quick = store.quick(|s| {
            s.record(&obs(Some("one"), "h1", &[]))?;
            Ok(std::thread::current().id())
        });
        // only a turning async thread gets to release the lock
        let releaser = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            release.send(()).unwrap();
        };
        let (ran_on, ()) = tokio::join!(quick, releaser);
        assert_ne!(ran_on.unwrap(), here, "the busy write went to the pool");
    });
    holder.join().unwrap();
    let s = Store::open(&path).unwrap();
    assert_eq!(s.version("t", None).unwrap().unwrap().text, "one");
}

#[test]
fn a_foreign_database_is_refused_not_reused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    drop(c);
    let err = Store::open(&path).err().unwrap();
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![b'x'; 8192]).unwrap();
    assert!(Store::open(&garbage).is_err());
    assert_eq!(
        std::fs::read(&garbage).unwrap(),
        vec![b'x'; 8192],
        "never rewritten"
    );
}

fn mail(key: &str) -> NewMail {
    NewMail {
        kind: "alert",
        key: key.into(),
        message_id: format!("{key}@policywatch"),
        recipient: "a@example.com".into(),
        channel: None,
        subject: "s".into(),
        event: format!("{{\"event\":\"test\",\"at\":\"{key}\"}}"),
    }
}

#[test]
fn alerts_are_queued_with_their_version_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("db")).unwrap();
    s.record(&obs(Some("one"), "h1", &[])).unwrap();
    let alert = |id: VersionId| vec![mail(&format!("alert:t:v{id}"))];
    let mut o = obs(Some("two"), "h2", &[]);
    o.alert = Some(&alert);
    let Recorded::Version(v2) = s.record(&o).unwrap() else {
        panic!()
    };
    // the same observation again writes nothing new
    s.record(&o).unwrap();
    let due = s.due_mail(Utc::now()).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].message_id, format!("alert:t:v{v2}@policywatch"));
    s.mail_failed(
        due[0].id,
        "451 try later",
        Some(Utc::now() + chrono::Duration::hours(1)),
    )
    .unwrap();
    assert!(s.due_mail(Utc::now()).unwrap().is_empty(), "backed off");
    assert_eq!(s.pending_mail().unwrap(), 1);
    s.mail_sent(due[0].id, Utc::now()).unwrap();
    assert_eq!(s.pending_mail().unwrap(), 0);
    assert_eq!(s.mail_log(10).unwrap()[0].attempts, 2);
}

#[test]
fn a_claimed_row_is_held_until_marked_or_until_its_lease_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let mut a = Store::open(&path).unwrap();
    let mut b = Store::open(&path).unwrap();
    a.enqueue(&[mail("test:1"), mail("test:2")], Utc::now())
        .unwrap();
    let now = Utc::now();
    let lease = now + chrono::Duration::minutes(2);
    let first = a.claim_mail(now, lease, "a", None).unwrap().unwrap();
    let second = b.claim_mail(now, lease, "b", None).unwrap().unwrap();
    assert_ne!(first.id, second.id, "a claimed row is not claimed again");
    assert!(a.claim_mail(now, lease, "a", None).unwrap().is_none());
    assert!(
        b.due_mail(now).unwrap().is_empty(),
        "claimed rows are not due"
    );
    // the claimer of `first` died: once its lease ends the row is due again
    let later = lease + chrono::Duration::seconds(1);
    let again = b
        .claim_mail(later, later + chrono::Duration::minutes(2), "b", None)
        .unwrap()
        .unwrap();
    assert_eq!(again.id, first.id);
    b.mail_sent(again.id, later).unwrap();
    // a failed attempt ends the claim too: due again at its retry time
    a.mail_failed(second.id, "451", Some(later)).unwrap();
    let third = a
        .claim_mail(later, later + chrono::Duration::minutes(2), "a", None)
        .unwrap();
    assert_eq!(third.map(|m| m.id), Some(second.id));
    // a sender that stops releases its claims: due again at once
    assert_eq!(a.release_claims("a").unwrap(), 1);
    assert_eq!(b.due_mail(later).unwrap().len(), 1);
}

#[test]
fn one_incident_mail_per_incident_and_one_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("db")).unwrap();
    s.record(&obs(Some("one"), "h1", &[])).unwrap();
    let f = failure(Utc::now());
    for i in 0..5 {
        s.record_failure(&f, Some((3, vec![mail(&format!("incident:{i}"))])))
            .unwrap();
    }
    let kinds = |s: &Store| {
        s.mail_log(50)
            .unwrap()
            .iter()
            .map(|m| m.message_id.trim_end_matches("@policywatch").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&s), vec!["incident:2"]);
    let mut o = obs(None, "", &[]);
    o.recovery = Some((3, vec![mail("recovery:1")]));
    s.record(&o).unwrap();
    o.recovery = Some((3, vec![mail("recovery:2")]));
    s.record(&o).unwrap();
    assert_eq!(kinds(&s), vec!["recovery:1", "incident:2"]);
}

#[test]
fn digests_cover_what_came_since_the_last_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("db")).unwrap();
    s.record(&obs(Some("one"), "h1", &[])).unwrap();
    s.record(&obs(Some("two"), "h2", &[])).unwrap();
    let m = s.digest_material().unwrap();
    assert_eq!((m.new_targets.len(), m.changes.len()), (1, 1));
    s.record_digest(&m, &[mail("digest:1")], Utc::now())
        .unwrap();
    assert!(s.digest_material().unwrap().is_empty());
    let f = failure(Utc::now());
    s.record_failure(&f, None).unwrap();
    assert_eq!(s.digest_material().unwrap().failing.len(), 1);
    s.record(&obs(None, "", &[])).unwrap();
    let m = s.digest_material().unwrap();
    assert_eq!(
        (m.failing.len(), m.recovered.clone()),
        (0, vec!["t".to_string()])
    );
}

#[test]
fn retention_keeps_the_newest_snapshots_and_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("db")).unwrap();
    let bodies: Vec<Vec<u8>> = (0..5)
        .map(|i| format!("<p>raw {i}</p>").into_bytes())
        .collect();
    let hashes: Vec<String> = (0..5).map(|i| format!("raw{i}")).collect();
    let texts: Vec<String> = (0..5).map(|i| format!("text {i}")).collect();
    for i in 0..5 {
        let mut o = obs(Some(&texts[i]), &hashes[i], &[]);
        o.keep_snapshots = Some(2);
        o.snapshot = Some(Snapshot {
            url: "u",
            content_type: None,
            body: &bodies[i],
            hash: &hashes[i],
            status: None,
            headers: None,
            request: None,
        });
        s.record(&o).unwrap();
    }
    let kept: Vec<String> = s
        .conn
        .prepare("SELECT hash FROM snapshot ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(kept, vec!["raw3", "raw4"]);
    assert_eq!(s.history("t").unwrap().len(), 5, "every version is kept");
    let linked: i64 = s
        .conn
        .query_row(
            "SELECT count(*) FROM version WHERE snapshot_id IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(linked, 2);
    assert_eq!(s.version("t", None).unwrap().unwrap().text, "text 4");
}

#[test]
fn processes_creating_one_new_database_at_once_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let p = path.clone();
            std::thread::spawn(move || Store::open(&p).map(|_| ()).map_err(|e| e.to_string()))
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    assert!(Store::open(&path).unwrap().history("t").unwrap().is_empty());
}

/// Raw snapshots inflate back whole, incompressible and empty ones included (the first grows its
/// output beyond the first guess of a quarter of the body), and the same body deflates alike.
#[test]
fn raw_snapshots_deflate_alike_each_time_and_inflate_back() {
    use std::io::Read;
    let page = "<p>We use your data to train models.</p>".repeat(3000);
    let mut noise = Vec::with_capacity(200_000);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.push(x as u8);
    }
    for body in [page.as_bytes(), &noise[..], b"", page.as_bytes()] {
        let packed = super::write::compress(body).unwrap();
        assert_eq!(packed, super::write::compress(body).unwrap());
        let mut back = Vec::new();
        flate2::read::DeflateDecoder::new(&packed[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, body);
    }
}

#[test]
fn rows_of_a_channel_no_longer_in_the_watchlist_are_failed_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("db")).unwrap();
    let row = |channel: &str| NewMail {
        recipient: format!("channel:{channel}"),
        channel: Some(channel.into()),
        ..mail(&format!("k-{channel}"))
    };
    s.enqueue(&[row("kept"), row("gone")], Utc::now()).unwrap();
    assert_eq!(s.fail_orphan_rows(&["kept".into()]).unwrap(), 1);
    assert_eq!(
        s.fail_orphan_rows(&["kept".into()]).unwrap(),
        0,
        "nothing left to fail"
    );
    let log = s.mail_log(10).unwrap();
    let gone = log
        .iter()
        .find(|m| m.channel.as_deref() == Some("gone"))
        .unwrap();
    assert_eq!(gone.status, "failed");
    assert_eq!(
        gone.last_error.as_deref(),
        Some("channel gone is no longer in the watchlist")
    );
    let kept = log
        .iter()
        .find(|m| m.channel.as_deref() == Some("kept"))
        .unwrap();
    assert_eq!(kept.status, "pending");
}

#[test]
fn a_reader_reads_beside_a_writer_and_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let mut s = Store::open(&path).unwrap();
    s.record(&obs(Some("one"), "h1", &[])).unwrap();
    let r = Store::reader(&path).unwrap();
    // a write transaction held open elsewhere does not hold a read up (WAL)
    s.conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert_eq!(r.history("t").unwrap().len(), 1);
    s.conn.execute_batch("ROLLBACK").unwrap();
    let refused = r.conn.execute("DELETE FROM version", []);
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(r.history("t").unwrap().len(), 1);
    // a file of another program is refused
    let other = dir.path().join("other");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE x (y)")
        .unwrap();
    assert!(matches!(
        Store::reader(&other),
        Err(StoreError::Foreign { .. })
    ));
}

#[test]
fn the_claims_of_a_stopped_sender_are_released_and_a_live_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("db")).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap();
    let mail = |key: &str| NewMail {
        kind: "test",
        key: key.into(),
        message_id: format!("{key}@x"),
        recipient: "a@example.com".into(),
        channel: None,
        subject: "s".into(),
        event: "{}".into(),
    };
    s.enqueue(&[mail("one"), mail("two")], now).unwrap();
    let until = now + chrono::Duration::hours(1);
    assert!(
        s.claim_mail(now, until, "4242-aaaa", None)
            .unwrap()
            .is_some()
    );
    assert!(
        s.claim_mail(now, until, "777-bbbb", None)
            .unwrap()
            .is_some()
    );
    assert!(s.claim_mail(now, until, "x", None).unwrap().is_none());
    // 4242 is gone, 777 runs
    assert_eq!(s.release_dead_claims(&|pid| pid == 777).unwrap(), 1);
    let freed = s.claim_mail(now, until, "x", None).unwrap();
    assert_eq!(freed.map(|m| m.message_id), Some("one@x".to_string()));
    assert!(s.claim_mail(now, until, "y", None).unwrap().is_none());
}
