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

/// A stand-in for GitHub on the fixture server: the commit feed of one file and its content at
/// each commit, with the real LinkedIn privacy policy history as content.
struct Repo {
    feed: crate::common::Page,
    versions: Vec<(String, String, String)>,
    raw: Vec<crate::common::Page>,
}

const REPO: &str = "OpenTermsArchive/pga-versions";

impl Repo {
    /// Serves `files` (fixture versions) as commits of `LinkedIn/Privacy Policy.md`.
    async fn new(env: &TestEnv, files: &[&str]) -> Self {
        let feed = env
            .page(&format!(
                "/gh/{REPO}/commits/main/LinkedIn/Privacy%20Policy.md.atom"
            ))
            .await;
        let (mut versions, mut pages) = (Vec::new(), Vec::new());
        for (i, f) in files.iter().enumerate() {
            let sha = format!("{:040x}", 0xabc0 + i);
            let raw = env
                .page(&format!("/raw/{REPO}/{sha}/LinkedIn/Privacy%20Policy.md"))
                .await;
            raw.set(|s| {
                s.status = 200;
                s.body = crate::common::fixture(&format!("privacy-policy/{f}.md"));
                s.content_type = "text/plain; charset=utf-8".into();
                s.fresh_noise = false;
            });
            versions.push((sha, format!("{f}T12:00:00Z"), f.to_string()));
            pages.push(raw);
        }
        Self {
            feed,
            versions,
            raw: pages,
        }
    }

    /// The commit feed lists the first `n` commits (newest first, as GitHub does).
    fn publish(&self, n: usize) {
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:media=\"http://search.yahoo.com/mrss/\" xml:lang=\"en-US\">\n  <id>tag:github.com,2008:/{REPO}/commits/main/LinkedIn/Privacy Policy.md</id>\n  <link type=\"text/html\" rel=\"alternate\" href=\"https://github.com/{REPO}/commits/main/LinkedIn/Privacy%20Policy.md\"/>\n  <title>Recent Commits to pga-versions:main</title>\n  <updated>2026-01-01T00:00:00Z</updated>\n"
        );
        for (sha, at, f) in self.versions[..n].iter().rev() {
            xml.push_str(&format!(
                "  <entry>\n    <id>tag:github.com,2008:Grit::Commit/{sha}</id>\n    <link type=\"text/html\" rel=\"alternate\" href=\"https://github.com/{REPO}/commit/{sha}\"/>\n    <title>Record new changes of LinkedIn Privacy Policy ({f})</title>\n    <updated>{at}</updated>\n    <author><name>OTA-Bot</name></author>\n  </entry>\n"
            ));
        }
        xml.push_str("</feed>\n");
        self.feed.set(|s| {
            s.status = 200;
            s.body = xml;
            s.content_type = "application/atom+xml; charset=utf-8".into();
            s.fresh_noise = false;
        });
    }
}

fn ota_watchlist(env: &TestEnv, extra: &str) {
    env.write_watchlist(&format!(
        "[ota]\nfeed_base = \"{}\"\nraw_base = \"{}\"\n\n[[target]]\nid = \"pp\"\nname = \"LinkedIn Privacy Policy\"\nkind = \"ota\"\nrepository = \"{REPO}\"\npath = \"LinkedIn/Privacy Policy.md\"\n{extra}",
        env.url("/gh"),
        env.url("/raw")
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ota_target_records_each_new_commit_as_a_version_classified_like_a_direct_check() {
    let env = TestEnv::new().await;
    let repo = Repo::new(
        &env,
        &["2025-09-23", "2025-11-03", "2025-11-20", "2025-12-06"],
    )
    .await;
    ota_watchlist(&env, "");
    // first check: the newest commit listed, as a baseline
    repo.publish(1);
    let (code, lines) = env.check(&[]);
    assert_eq!(
        (code, lines[0]["status"].as_str()),
        (0, Some("new")),
        "{lines:?}"
    );
    let history = env.history("pp");
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0]["source"],
        format!("ota:{REPO}@{}", repo.versions[0].0)
    );
    assert!(
        history[0]["recorded_at"]
            .as_str()
            .unwrap()
            .starts_with("2025-09-23T12:00")
    );
    // a new commit: exactly one version, classified and alerted as the direct check of the
    // same two versions is
    repo.publish(2);
    let (_, lines) = env.check(&[]);
    let ota = &lines[0];
    assert_eq!(ota["status"], "changed", "{ota}");
    assert_eq!(env.history("pp").len(), 2);
    let direct = TestEnv::new().await;
    let page = direct.page("/pp").await;
    direct.write_watchlist(&direct.target("pp", "/pp"));
    page.serve(linkedin_version("privacy-policy/2025-09-23.md"));
    direct.check(&[]);
    page.serve(linkedin_version("privacy-policy/2025-11-03.md"));
    let (_, d) = direct.check(&[]);
    for key in [
        "ai_relevant",
        "severity",
        "matched_terms",
        "facts_changed",
        "added",
        "removed",
    ] {
        assert_eq!(ota[key], d[0][key], "{key}: ota {ota} / direct {}", d[0]);
    }
    // a direct fetch records where it came from, and the language it was served in
    let fetched = &direct.history("pp")[1];
    assert_eq!(fetched["source"], direct.url("/pp"), "{fetched}");
    assert!(
        direct
            .stdout(&["history", "pp"])
            .contains(&direct.url("/pp")),
        "history shows the source"
    );
    let outbox = env.stdout(&["outbox", "--json"]);
    assert!(
        outbox.contains("\"kind\":\"alert\"") && outbox.contains("[high]"),
        "{outbox}"
    );
    // nothing new: nothing recorded
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["status"], "unchanged", "{lines:?}");
    assert_eq!(env.history("pp").len(), 2);
    // two new commits: both read, in order (a commit whose text equals the version before
    // leaves no version), each read once however often the feed is checked
    repo.publish(4);
    env.check(&[]);
    env.check(&[]);
    let history = env.history("pp");
    let sources: Vec<&str> = history
        .iter()
        .map(|v| v["source"].as_str().unwrap())
        .collect();
    let want: Vec<String> = repo
        .versions
        .iter()
        .map(|(sha, _, _)| format!("ota:{REPO}@{sha}"))
        .collect();
    assert_eq!(sources[..3], want[..3]);
    assert!(sources.len() == 3 || sources[3] == want[3], "{sources:?}");
    let dates: Vec<&str> = history
        .iter()
        .map(|v| v["recorded_at"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] < w[1]), "{dates:?}");
    for (raw, (sha, _, _)) in repo.raw.iter().zip(&repo.versions) {
        assert_eq!(raw.requests().len(), 1, "commit {sha} read once");
    }
    // the feed down: a failed check naming it, the versions untouched
    repo.feed.set(|s| s.status = 503);
    let (code, lines) = env.check(&[]);
    assert_eq!(code, 1);
    let error = lines[0]["error"].as_str().unwrap();
    assert!(
        error.contains("503")
            && lines[0]["url"]
                .as_str()
                .unwrap()
                .contains("Privacy%20Policy.md.atom"),
        "{lines:?}"
    );
    assert_eq!(env.history("pp").len(), history.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_records_every_commit_without_mail() {
    let env = TestEnv::new().await;
    let repo = Repo::new(&env, &["2024-08-01", "2024-09-19", "2025-11-03"]).await;
    ota_watchlist(&env, "backfill = true\n");
    repo.publish(3);
    let (code, _) = env.check(&[]);
    assert_eq!(code, 0);
    let history = env.history("pp");
    assert_eq!(history.len(), 3);
    assert_eq!(
        history[1]["ai_relevant"], true,
        "September 2024 classified: {:?}",
        history[1]
    );
    assert!(
        env.stdout(&["outbox", "--json"]).trim().is_empty(),
        "a backfill sends no mail"
    );
    // a bad repository is an error with its line
    ota_watchlist(&env, "");
    let text = std::fs::read_to_string(env.watchlist_path())
        .unwrap()
        .replace(REPO, "../etc");
    std::fs::write(env.watchlist_path(), text).unwrap();
    let out = env.run(&["validate"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() == Some(2) && err.contains("target[1].repository"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_links_target_follows_a_blog_without_a_feed() {
    let env = TestEnv::new().await;
    let page = env.page("/blog").await;
    let list = |posts: &[(&str, &str)]| {
        let items: String = posts
            .iter()
            .map(|(href, title)| {
                format!("<li class=\"post\"><a href=\"{href}\">{title}</a><p>teaser</p></li>")
            })
            .collect();
        format!(
            "<html><body><nav><a href=\"/about\">About</a></nav><ul class=\"posts\">{items}</ul></body></html>"
        )
    };
    env.write_watchlist(&format!(
        "[[target]]\nid = \"blog\"\nkind = \"links\"\nurl = \"{}\"\nselect = [\"ul.posts li.post\"]\n",
        env.url("/blog")
    ));
    page.serve(list(&[
        ("/blog/ai-features", "New AI features for members"),
        ("/blog/hiring", "Hiring trends"),
    ]));
    let (code, lines) = env.check(&[]);
    assert_eq!(
        (code, lines[0]["status"].as_str()),
        (0, Some("new")),
        "{lines:?}"
    );
    // a new link is a new item, and classified (this one is about training AI on member data)
    page.serve(list(&[
        (
            "/blog/training-data",
            "We will use member data to train generative AI models",
        ),
        ("/blog/ai-features", "New AI features for members"),
        ("/blog/hiring", "Hiring trends"),
    ]));
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["status"], "changed", "{lines:?}");
    assert_eq!(lines[0]["new_items"], 1, "{lines:?}");
    assert_eq!(lines[0]["ai_relevant"], true, "{lines:?}");
    // the same links in another order: no change
    page.serve(list(&[
        ("/blog/hiring", "Hiring trends"),
        ("/blog/ai-features", "New AI features for members"),
        (
            "/blog/training-data",
            "We will use member data to train generative AI models",
        ),
    ]));
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["status"], "unchanged", "{lines:?}");
    assert_eq!(env.history("blog").len(), 2);
}
