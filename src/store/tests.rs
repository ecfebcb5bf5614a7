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
        }),
        version: text.map(|text| NewVersion {
            text,
            hash,
            added: 1,
            removed: 0,
            ai_relevant: false,
            severity: "none",
            matched_terms: terms,
        }),
    }
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
    assert_eq!(state.last_version.unwrap().text, "two");
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
    assert_eq!(
        s.record_failure("t", "u", at, Duration::ZERO, "HTTP 500")
            .unwrap(),
        1
    );
    assert_eq!(
        s.record_failure("t", "u", at, Duration::ZERO, "HTTP 500")
            .unwrap(),
        2
    );
    let state = s.target_state("t").unwrap();
    assert_eq!(
        (
            state.consecutive_failures,
            state.last_version.unwrap().text.as_str()
        ),
        (2, "good")
    );
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
