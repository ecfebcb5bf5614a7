//! Sources: `validate --online` fetches every target once, records nothing, and names each URL
//! that does not answer with what its kind expects.

use crate::common::{TestEnv, linkedin_version, versions};

#[tokio::test(flavor = "multi_thread")]
async fn validate_online_names_each_target_that_does_not_answer_as_its_kind_expects() {
    let env = TestEnv::new().await;
    let good = env.page("/good").await;
    good.serve(linkedin_version(&versions("privacy-policy")[3]));
    // a "feed" that is an HTML page, as the shipped engineering blog's feed URL became
    let not_feed = env.page("/blog/feed").await;
    not_feed.serve(linkedin_version(&versions("privacy-policy")[3]));
    // a page whose layout moved: the selector matches nothing
    let moved = env.page("/moved").await;
    moved.serve("<html><body><main><p>Terms live elsewhere now.</p></main></body></html>".into());
    // a login wall
    let wall = env.page("/walled").await;
    wall.set(|s| {
        s.status = 302;
        s.headers = vec![("Location".into(), "/authwall?trk=x".into())];
    });
    env.page("/authwall")
        .await
        .serve("<html>sign in</html>".into());
    let gone = env.page("/gone").await;
    gone.set(|s| s.status = 404);
    env.write_watchlist(&format!(
        "{}[[target]]\nid = \"blog\"\nkind = \"feed\"\nurl = \"{}\"\n{}{}{}",
        env.target("good", "/good"),
        env.url("/blog/feed"),
        env.target("moved", "/moved"),
        env.target("walled", "/walled"),
        env.target("gone", "/gone"),
    ));
    let out = env.run(&["validate", "--online"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |id: &str| {
        said.lines()
            .find(|l| l.contains(&format!(" {id}: ")))
            .unwrap_or_else(|| panic!("{id} missing: {said}"))
            .to_string()
    };
    assert!(
        line("good").starts_with("ok ") && line("good").contains("characters of text"),
        "{said}"
    );
    for (id, why) in [
        ("blog", "feed"),
        ("moved", "#component-container"),
        ("walled", "authwall"),
        ("gone", "404"),
    ] {
        let l = line(id);
        assert!(
            l.starts_with("FAIL") && l.contains(&env.url("/")) && l.contains(why),
            "{id}: {l}"
        );
    }
    assert!(said.contains("1 of 5 targets answer as expected"), "{said}");
    // nothing was recorded: no database was even made
    assert!(!env.db_path().exists());
}
