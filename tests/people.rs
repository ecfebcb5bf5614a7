//! The people-facing outputs: the Atom feed of changes, completions and the man page.

use crate::common::TestEnv;

#[tokio::test(flavor = "multi_thread")]
async fn the_atom_feed_lists_each_change_once_with_a_stable_id() {
    let env = TestEnv::new().await;
    let steps = env.replay("user-agreement").await;
    let changed = steps
        .iter()
        .filter(|s| s.report["status"] == "changed")
        .count();
    let ai = steps
        .iter()
        .filter(|s| s.report["status"] == "changed" && s.report["ai_relevant"] == true)
        .count();
    let out = env.dir.path().join("changes.atom");
    let read = |args: &[&str]| {
        let mut all = vec!["feed", "--out", out.to_str().unwrap()];
        all.extend_from_slice(args);
        env.stdout(&all);
        feed_rs::parser::parse(std::fs::read(&out).unwrap().as_slice()).expect("a valid Atom feed")
    };
    let feed = read(&[]);
    assert_eq!(feed.entries.len(), changed);
    let ids: Vec<String> = feed.entries.iter().map(|e| e.id.clone()).collect();
    assert!(
        ids.iter()
            .all(|id| id.starts_with("urn:policywatch:change:user-agreement:")),
        "{ids:?}"
    );
    // rewriting the file gives the same ids
    let again: Vec<String> = read(&[]).entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids, again);
    let first = &feed.entries[0];
    assert!(
        first
            .title
            .as_ref()
            .unwrap()
            .content
            .contains("user-agreement"),
        "{:?}",
        first.title
    );
    assert!(first.links[0].href.contains("/replay/user-agreement"));
    // --ai-only keeps the AI-relevant ones, with the same ids
    let only = read(&["--ai-only"]);
    assert_eq!(only.entries.len(), ai);
    assert!(only.entries.iter().all(|e| ids.contains(&e.id)));
    assert!(
        ai >= 2 && ai < changed,
        "the user agreement history has both kinds ({ai} of {changed})"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_and_the_man_page_come_from_the_cli_definitions() {
    let env = TestEnv::new().await;
    for shell in ["bash", "zsh", "fish"] {
        let script = env.stdout(&["completions", shell]);
        assert!(
            script.contains("check-now") && script.contains("digest"),
            "{shell}"
        );
    }
    let man = env.stdout(&["man"]);
    assert!(
        man.contains(".TH policywatch 1") && man.contains("check\\-now"),
        "{man}"
    );
    let help = env.stdout(&["check-now", "--help"]);
    assert!(help.contains("Examples:"), "{help}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_has_examples_and_colour_is_for_terminals_only() {
    let env = TestEnv::new().await;
    for cmd in [
        "check-now",
        "validate",
        "history",
        "diff",
        "show",
        "rules",
        "run",
        "status",
        "test-email",
        "outbox",
        "digest",
        "report",
        "feed",
        "import",
        "completions",
        "man",
    ] {
        assert!(
            env.stdout(&[cmd, "--help"]).contains("Examples:"),
            "{cmd} --help has no examples"
        );
    }
    let page = env.page("/p").await;
    page.serve(crate::common::linkedin_version(
        "privacy-policy/2025-09-23.md",
    ));
    env.write_watchlist(&env.target("pp", "/p"));
    // piped: plain
    let piped = env.run(&["check-now", "--no-mail"]);
    assert!(
        !String::from_utf8_lossy(&piped.stdout).contains('\u{1b}'),
        "no escapes when piped"
    );
    // on a terminal (script(1) gives it a pty): colour, unless NO_COLOR is set
    let bin = assert_cmd::cargo::cargo_bin("policywatch");
    let on_tty = |no_color: bool| {
        let cmd = format!(
            "{} --watchlist {} check-now --no-mail",
            bin.display(),
            env.watchlist_path().display()
        );
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"]).env_remove("NO_COLOR");
        if no_color {
            c.env("NO_COLOR", "1");
        }
        String::from_utf8_lossy(&c.output().unwrap().stdout).to_string()
    };
    let coloured = on_tty(false);
    assert!(
        coloured.contains("\u{1b}[1m") && coloured.contains("TARGET"),
        "{coloured:?}"
    );
    let plain = on_tty(true);
    assert!(
        plain.contains("TARGET") && !plain.contains("\u{1b}[1m"),
        "{plain:?}"
    );
}
