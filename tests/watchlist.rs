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
    ("syntax", "[[target]\nid = \"a\"\n", 1, ""),
];

#[tokio::test(flavor = "multi_thread")]
async fn each_broken_watchlist_gets_its_own_error_with_file_line_and_key() {
    let env = TestEnv::new().await;
    let file = env.watchlist_path();
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
        // check-now refuses the same file with the same exit code
        assert_eq!(env.run(&["check-now"]).status.code(), Some(2), "{case}");
    }
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
    assert!(String::from_utf8_lossy(&out.stdout).contains("13 targets"));
}
