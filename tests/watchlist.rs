//! `validate` and broken watchlists, through the real binary.

use crate::common::TestEnv;

const GOOD: &str = "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n";

/// (case, file text, expected line, text the message must contain)
const BROKEN: &[(&str, &str, usize, &str)] = &[
    (
        "unknown key",
        "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\nselectors = [\"x\"]\n",
        5,
        "unknown field `selectors`",
    ),
    (
        "bad cron",
        "[defaults]\nschedule = \"0 25 * * *\"\n[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n",
        2,
        "defaults.schedule",
    ),
    (
        "bad url",
        "[[target]]\nid = \"a\"\nurl = \"https//example.com\"\nselect = [\"main\"]\n",
        3,
        "invalid URL",
    ),
    (
        "duplicate id",
        "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n[[target]]\nid = \"a\"\nurl = \"https://example.com/q\"\nselect = [\"main\"]\n",
        6,
        "duplicate id",
    ),
    (
        "invalid css",
        "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main >\"]\n",
        4,
        "invalid CSS selector",
    ),
    (
        "wrong type",
        "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\ntimeout = 30\n",
        5,
        "invalid type",
    ),
    (
        "syntax",
        "[[target]\nid = \"a\"\n",
        1,
        "unclosed array table",
    ),
    (
        "empty select",
        "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = []\n",
        4,
        "at least one CSS selector",
    ),
    (
        "bad duration",
        "[defaults]\ntimeout = \"soon\"\n[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n",
        2,
        "invalid duration",
    ),
    (
        "bad size",
        "[defaults]\nmax_body = \"lots\"\n[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n",
        2,
        "invalid size",
    ),
    (
        "bad email address",
        "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n[email]\nsmtp_host = \"smtp.example.com\"\nfrom = \"not an address\"\nto = [\"x@example.com\"]\n",
        7,
        "invalid address",
    ),
    (
        "clear-text smtp to a remote host",
        "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n[email]\nsmtp_host = \"smtp.example.com\"\nsecurity = \"none\"\nfrom = \"a@example.com\"\nto = [\"x@example.com\"]\n",
        7,
        "only allowed for a relay on localhost",
    ),
    (
        "bad rule regex",
        "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n[[rule]]\nid = \"r\"\nseverity = \"high\"\nregex = [\"(open\"]\n",
        8,
        "invalid regex",
    ),
    (
        "bad rule severity",
        "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n[[rule]]\nid = \"r\"\nseverity = \"urgent\"\nterms = [\"x\"]\n",
        7,
        "unknown severity",
    ),
    (
        "id that breaks paths",
        "[[target]]\nid = \"../../etc/passwd\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n",
        2,
        "invalid id",
    ),
    (
        "id that breaks mail headers",
        "[[target]]\nid = \"a\\r\\nBcc: x@evil.example\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n",
        2,
        "invalid id",
    ),
    (
        "unknown kind",
        "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nkind = \"pdf\"\nselect = [\"main\"]\n",
        4,
        "unknown kind",
    ),
    (
        "zero concurrency",
        "[defaults]\nconcurrency = 0\n[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n",
        2,
        "between 1 and 64",
    ),
    (
        "bad alert severity",
        "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n[alerts]\nmin_severity = \"loud\"\n",
        6,
        "unknown severity",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn each_broken_watchlist_gets_its_own_error_with_file_line_and_key() {
    let env = TestEnv::new().await;
    let file = env.watchlist_path();
    assert!(
        BROKEN.len() + 3 >= 15,
        "at least 15 kinds of broken watchlist, with the three in the next test"
    );
    let mut messages: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (case, text, line, needle) in BROKEN {
        std::fs::write(&file, text).unwrap();
        let out = env.run(&["validate"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{case}: {stderr}");
        let prefix = format!("{}:{line}:", file.display());
        assert!(
            stderr.contains(&prefix),
            "{case}: want {prefix} in {stderr}"
        );
        assert!(
            stderr.contains(needle),
            "{case}: want {needle:?} in {stderr}"
        );
        assert!(
            messages.insert(stderr.lines().next().unwrap_or_default().to_string()),
            "{case}: its own message"
        );
        // check-now refuses the same file with the same exit code
        assert_eq!(env.run(&["check-now"]).status.code(), Some(2), "{case}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn files_that_cannot_be_read_say_so_and_name_the_file() {
    let env = TestEnv::new().await;
    let file = env.watchlist_path();
    // not UTF-8: the line of the first bad byte
    std::fs::write(&file, b"[store]\npath = \"caf\xe9.db\"\n").unwrap();
    let out = env.run(&["validate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains(&format!("{}:2:", file.display())) && stderr.contains("not valid UTF-8"),
        "{stderr}"
    );
    // missing
    std::fs::remove_file(&file).unwrap();
    let out = env.run(&["validate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains(&file.display().to_string()) && stderr.contains("No such file"),
        "{stderr}"
    );
    // unreadable (a directory; root reads any file, so permissions cannot make one unreadable here)
    std::fs::create_dir(&file).unwrap();
    let out = env.run(&["validate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains(&file.display().to_string())
            && stderr.contains("cannot read the watchlist"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_reports_every_problem_not_just_the_first() {
    let env = TestEnv::new().await;
    let text = "[[target]]\nid = \"a\"\nurl = \"ftp://example.com/\"\nselect = [\"div[\"]\ncolour = \"red\"\nschedule = \"* *\"\n";
    std::fs::write(env.watchlist_path(), text).unwrap();
    let out = env.run(&["validate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (line, key) in [
        (3, "target[1].url"),
        (4, "target[1].select"),
        (5, "target[1].colour"),
        (6, "target[1].schedule"),
    ] {
        assert!(
            stderr.contains(&format!(":{line}:")) && stderr.contains(key),
            "{key} in {stderr}"
        );
    }
    assert!(stderr.contains("4 problem(s)"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_accepts_a_good_watchlist_and_the_shipped_one() {
    let env = TestEnv::new().await;
    std::fs::write(env.watchlist_path(), GOOD).unwrap();
    let out = env.run(&["validate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("watchlist.toml");
    let out = assert_cmd::Command::cargo_bin("policywatch")
        .unwrap()
        .args(["validate", "--watchlist"])
        .arg(&shipped)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 12 documents, the privacy policy and the EU notice in six more languages each
    assert!(String::from_utf8_lossy(&out.stdout).contains("24 targets"));
}
