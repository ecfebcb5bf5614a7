//! Hostile input: pages, feeds, archives and local mistakes crafted to crash, stall or silence
//! policywatch. Each test reproduces one finding against the real binary on 127.0.0.1 and
//! asserts what must hold instead (docs/reliability.md, "Hostile input").

use serde_json::Value;

use crate::common::{TestEnv, linkedin_page, linkedin_version};

const PP: &str = "/legal/privacy-policy";
const GOOD: &str = "privacy-policy/2024-08-01.md";
const EVERY_SECOND: &str = "schedule = \"* * * * * *\"\n";

/// `levels` nested `tag`s (closed or not) holding an AI-training sentence.
fn nested(tag: &str, levels: usize, closed: bool) -> String {
    let inner = "We use your posts to train generative AI models. ".repeat(10);
    let close = if closed {
        format!("</{tag}>").repeat(levels)
    } else {
        String::new()
    };
    format!("{}{inner}{close}", format!("<{tag}>").repeat(levels))
}

#[tokio::test(flavor = "multi_thread")]
async fn deep_nesting_fails_the_check_and_never_kills_the_process() {
    let env = TestEnv::new().await;
    let page = env.page(PP).await;
    page.serve(linkedin_version(GOOD));
    env.write_watchlist(&env.target("pp", PP));
    let (code, first) = env.check(&[]);
    assert_eq!((code, first[0]["status"].as_str()), (0, Some("new")));
    let good = env.stdout(&["show", "pp"]);

    let cases = [
        (
            "2,400 nested elements inside the selection",
            linkedin_page(&nested("div", 2_400, true)),
        ),
        (
            "unclosed tags",
            linkedin_page(&nested("span", 2_400, false)),
        ),
        (
            "30,000 levels above the selection",
            format!(
                "<html><body>{}<div id=\"component-container\"><p>{}</p></div></body></html>",
                "<div>".repeat(30_000),
                "We use your posts to train generative AI models. ".repeat(10)
            ),
        ),
    ];
    for (what, body) in cases {
        page.serve(body);
        let (code, lines) = env.check(&[]);
        let r = &lines[0];
        assert_eq!(
            (code, r["status"].as_str()),
            (1, Some("failed")),
            "{what}: {r}"
        );
        assert!(
            r["error"].as_str().unwrap().contains("levels deep"),
            "{what}: {r}"
        );
        assert_eq!(env.history("pp").len(), 1, "{what}: no version written");
        assert_eq!(
            env.stdout(&["show", "pp"]),
            good,
            "{what}: last good text intact"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deep_page_under_the_daemon_is_a_recorded_failure_and_the_others_go_on() {
    let env = TestEnv::new().await;
    let bad = env.page(PP).await;
    let good = env.page("/legal/user-agreement").await;
    bad.serve(linkedin_page(&nested("div", 5_000, true)));
    good.serve(linkedin_version("user-agreement/2025-11-04.md"));
    env.write_watchlist(&format!(
        "{}{EVERY_SECOND}{}{EVERY_SECOND}",
        env.target("bad", PP),
        env.target("ua", "/legal/user-agreement")
    ));
    let mut d = env.start_daemon(&[]);
    let status = |env: &TestEnv| -> Vec<Value> {
        env.stdout(&["status", "--json"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    d.expect(60, "two failures of the deep page, recorded", || {
        status(&env)
            .iter()
            .any(|s| s["target"] == "bad" && s["consecutive_failures"].as_u64() >= Some(2))
    })
    .await;
    let before = good.requests().len();
    d.expect(60, "the other target still checked", || {
        good.requests().len() >= before + 2
    })
    .await;
    d.signal("TERM");
    assert!(d.wait_exit(30).await.success(), "{}", d.log());
}
