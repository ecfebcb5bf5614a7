//! Feed targets end to end, with RSS and Atom feeds written here and served on 127.0.0.1.

use crate::common::TestEnv;
use crate::common::smtp::{Mode, PASSWORD, SmtpServer, parse};

const FEED: &str = "/feed";

/// (guid, title, link, description)
type Item<'a> = (Option<&'a str>, &'a str, &'a str, &'a str);

fn rss(items: &[Item<'_>]) -> String {
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Pressroom</title><link>/</link>"#,
    );
    for (guid, title, link, desc) in items {
        out.push_str("<item>");
        if let Some(g) = guid {
            out.push_str(&format!("<guid isPermaLink=\"false\">{g}</guid>"));
        }
        out.push_str(&format!("<title>{title}</title><link>{link}</link><description><![CDATA[{desc}]]></description><pubDate>Mon, 03 Nov 2025 09:00:00 GMT</pubDate></item>"));
    }
    out.push_str("</channel></rss>");
    out
}

fn atom(entries: &[(&str, &str, &str, &str)]) -> String {
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><id>urn:blog</id><updated>2025-11-03T00:00:00Z</updated>"#,
    );
    for (id, title, href, html) in entries {
        out.push_str(&format!(
            "<entry><id>{id}</id><title>{title}</title><link href=\"{href}\"/><updated>2025-11-03T00:00:00Z</updated><content type=\"html\">{}</content></entry>",
            html.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
        ));
    }
    out.push_str("</feed>");
    out
}

const ORDINARY: [Item<'static>; 3] = [
    (
        Some("pr-1"),
        "LinkedIn reports Q3 results &amp; member growth",
        "/2025/q3-results",
        "<p>Revenue grew 9%. Members &gt; 1 billion.</p>",
    ),
    (
        None,
        "New features for recruiters",
        "/2025/recruiters",
        "<p>Recruiters get a new search.</p>",
    ),
    (
        Some("pr-3"),
        "Celebrating 20 years",
        "https://news.example.com/2025/twenty",
        "Plain text, no markup.",
    ),
];

fn feed_target(env: &TestEnv, extra: &str) -> String {
    format!(
        "[[target]]\nid = \"press\"\nname = \"LinkedIn Pressroom\"\nurl = \"{}\"\nkind = \"feed\"\n{extra}",
        env.url(FEED)
    )
}

async fn serve_feed(env: &TestEnv, body: String) -> crate::common::Page {
    let page = env.page(FEED).await;
    page.set(|s| {
        s.fresh_noise = false;
        s.content_type = "application/rss+xml; charset=utf-8".into();
    });
    page.serve(body);
    page
}

#[tokio::test(flavor = "multi_thread")]
async fn rss_baseline_reorder_edit_new_ai_item_and_the_digest() {
    let server = SmtpServer::start(Mode::StartTls, &[]);
    let env = TestEnv::new().await;
    let page = serve_feed(&env, rss(&ORDINARY)).await;
    env.write_watchlist(&format!(
        "{}{}",
        feed_target(&env, ""),
        server.email_toml(&["dpo@example.com"])
    ));
    env.set_env("POLICYWATCH_SMTP_PASSWORD", PASSWORD);

    let (code, lines) = env.check(&[]);
    assert_eq!(
        (
            code,
            lines[0]["status"].as_str(),
            lines[0]["new_items"].as_u64()
        ),
        (0, Some("new"), Some(0)),
        "{lines:?}"
    );
    assert!(
        server.messages().is_empty(),
        "a baseline alerts for none of its old items"
    );
    let text = env.stdout(&["show", "press"]);
    assert!(
        text.contains("title: LinkedIn reports Q3 results & member growth"),
        "{text}"
    );
    assert!(
        text.contains("link: http://127.0.0.1") && text.contains("/2025/q3-results"),
        "relative links resolved: {text}"
    );
    assert!(
        text.contains("[item] http://127.0.0.1") && text.contains("/2025/recruiters"),
        "no guid: known by link: {text}"
    );
    assert!(
        text.contains("  Revenue grew 9%. Members > 1 billion."),
        "{text}"
    );

    // the same items in another order: unchanged
    let mut reordered = ORDINARY;
    reordered.reverse();
    page.serve(rss(&reordered));
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["status"], "unchanged", "{lines:?}");

    // an edited item: changed, not new, and not about AI: no alert
    let mut edited = ORDINARY;
    edited[2].3 = "Plain text, now longer.";
    page.serve(rss(&edited));
    let (_, lines) = env.check(&[]);
    assert_eq!(
        (
            lines[0]["status"].as_str(),
            lines[0]["new_items"].as_u64(),
            lines[0]["ai_relevant"].as_bool()
        ),
        (Some("changed"), Some(0), Some(false))
    );

    // a new item about AI training among ordinary ones: one alert quoting it
    let mut with_ai = edited.to_vec();
    with_ai.insert(1, (Some("pr-4"), "Updates to our terms", "/2025/terms", "<p>Starting November 3, we will use member profiles and posts to train content-generating AI models. You can opt out in Settings.</p>"));
    with_ai.push((
        Some("pr-5"),
        "Office opening",
        "/2025/office",
        "<p>A new office in Dublin.</p>",
    ));
    page.serve(rss(&with_ai));
    let (_, lines) = env.check(&[]);
    let r = &lines[0];
    assert_eq!(
        (
            r["status"].as_str(),
            r["new_items"].as_u64(),
            r["ai_relevant"].as_bool(),
            r["severity"].as_str()
        ),
        (Some("changed"), Some(2), Some(true), Some("high")),
        "{r}"
    );
    let got = server.messages();
    assert_eq!(got.len(), 1);
    let m = parse(&got[0]);
    assert!(
        m.subject
            .contains("LinkedIn Pressroom: new item on AI-training terms: Updates to our terms"),
        "{}",
        m.subject
    );
    assert!(
        m.text.contains("/2025/terms") && m.text.contains("train content-generating AI models"),
        "{}",
        m.text
    );
    assert!(
        !m.text.contains("Office opening"),
        "only the AI item is alerted"
    );

    let digest = env.stdout(&["digest", "--send-now"]);
    assert!(digest.contains("digest queued"), "{digest}");
    let d = parse(server.messages().last().unwrap());
    assert!(d.text.contains("New feed items:"), "{}", d.text);
    let ai = d
        .text
        .find("[AI, high] LinkedIn Pressroom — Updates to our terms")
        .expect("AI item in digest");
    assert!(d.text.contains("LinkedIn Pressroom — Office opening"));
    assert!(ai > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn atom_items_and_follow_links_quote_the_article() {
    let env = TestEnv::new().await;
    let page = env.page(FEED).await;
    page.set(|s| {
        s.fresh_noise = false;
        s.content_type = "application/atom+xml".into();
    });
    let article = env.page("/posts/ai").await;
    article.set(|s| s.fresh_noise = false);
    article.serve("<html><body><nav>Menu</nav><article><h1>Our approach to AI</h1><p>We value your trust.</p><p>We use public posts and profile data to train our generative AI models.</p></article><footer>©</footer></body></html>".into());
    let first = [(
        "urn:post:1",
        "Hello",
        "posts/1",
        "<p>Welcome to the blog.</p>",
    )];
    page.serve(atom(&first));
    env.write_watchlist(&feed_target(
        &env,
        "follow_links = true\nfollow_private = true\n",
    ));
    env.check(&[]);
    let both = [
        first[0],
        (
            "urn:post:2",
            "How we build AI features",
            "posts/ai",
            "<p>Read how we train AI on your posts.</p>",
        ),
    ];
    page.serve(atom(&both));
    let out = env.run(&["check-now", "--json"]);
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (line["new_items"].as_u64(), line["ai_relevant"].as_bool()),
        (Some(1), Some(true)),
        "{line}"
    );
    assert_eq!(article.requests().len(), 1, "the article was fetched once");
    // no [email]: the alert is in the .eml outbox, with the article's sentence quoted
    let dir = env.dir.path().join("outbox");
    let eml = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let m = parse(&format!(
        "X-Rcpt: -\r\n{}",
        std::fs::read_to_string(eml).unwrap()
    ));
    assert!(
        m.text.contains("From the article:")
            && m.text.contains(
                "We use public posts and profile data to train our generative AI models."
            ),
        "{}",
        m.text
    );
    assert!(m.text.contains("/posts/ai"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_or_huge_feed_fails_and_keeps_the_last_version() {
    let env = TestEnv::new().await;
    let page = serve_feed(&env, rss(&ORDINARY)).await;
    env.write_watchlist(&feed_target(&env, "max_body = \"64KB\"\n"));
    env.check(&[]);
    let good = env.stdout(&["show", "press"]);

    page.serve("<rss version=\"2.0\"><channel><item><title>broken".into());
    let (code, lines) = env.check(&[]);
    assert_eq!((code, lines[0]["status"].as_str()), (1, Some("failed")));
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("not a readable feed"),
        "{lines:?}"
    );

    page.serve("<html><body><h1>Sign in</h1></body></html>".into());
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["status"], "failed");

    let many: Vec<(String, String)> = (0..2000)
        .map(|i| {
            (
                format!("g{i}"),
                format!("Item {i} with a reasonably long title to take space"),
            )
        })
        .collect();
    let items: Vec<Item<'_>> = many
        .iter()
        .map(|(g, t)| {
            (
                Some(g.as_str()),
                t.as_str(),
                "/x",
                "<p>Some description text for the item.</p>",
            )
        })
        .collect();
    page.serve(rss(&items));
    let (_, lines) = env.check(&[]);
    assert_eq!(lines[0]["status"], "failed");
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("larger than the limit"),
        "{lines:?}"
    );

    assert_eq!(env.history("press").len(), 1);
    assert_eq!(env.stdout(&["show", "press"]), good);
    page.serve(rss(&ORDINARY));
    assert_eq!(env.check(&[]).1[0]["status"], "unchanged");
}

#[tokio::test(flavor = "multi_thread")]
async fn max_items_keeps_the_newest() {
    let env = TestEnv::new().await;
    let items: Vec<(String, String)> = (0..50)
        .map(|i| (format!("g{i:02}"), format!("Item {i}")))
        .collect();
    let list: Vec<Item<'_>> = items
        .iter()
        .map(|(g, t)| (Some(g.as_str()), t.as_str(), "/x", "text"))
        .collect();
    serve_feed(&env, rss(&list)).await;
    env.write_watchlist(&feed_target(&env, "max_items = 10\n"));
    env.check(&[]);
    assert_eq!(
        env.stdout(&["show", "press"]).matches("[item] ").count(),
        10
    );
}
