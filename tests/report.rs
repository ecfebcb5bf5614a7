//! `import` of real LinkedIn history and the HTML `report`, checked in a real browser
//! (Debian's chromium, headless): the pages load from disk, render the diff, log no console
//! errors.

use crate::common::{TestEnv, chromium, fixtures_dir};

#[tokio::test(flavor = "multi_thread")]
async fn imported_linkedin_history_makes_a_report_that_renders_in_a_browser() {
    let env = TestEnv::new().await;
    let targets = "[[target]]\nid = \"pp\"\nname = \"LinkedIn Privacy Policy\"\nurl = \"https://www.linkedin.com/legal/privacy-policy\"\nselect = [\"#component-container\"]\n\
                   [[target]]\nid = \"eu\"\nname = \"LinkedIn European Regional Privacy Notice\"\nurl = \"https://www.linkedin.com/legal/privacy/eu\"\nselect = [\"#component-container\"]\n";
    env.write_watchlist(targets);
    for (id, folder) in [("pp", "privacy-policy"), ("eu", "privacy-policy-eu")] {
        let dir = fixtures_dir().join(folder);
        let out = env.stdout(&[
            "import",
            "--format",
            "ota",
            dir.to_str().unwrap(),
            "--target",
            id,
        ]);
        assert!(out.contains("versions imported"), "{out}");
    }
    // imported, classified, no mail
    let history = env.stdout(&["history", "pp"]);
    assert!(
        history.contains("2021-10-25")
            && history.contains("2024-09-19")
            && history.contains("AI (high)"),
        "{history}"
    );
    assert!(
        env.stdout(&["outbox", "--json"]).trim().is_empty(),
        "an import sends no mail"
    );
    // importing twice continues where the first stopped: nothing new, nothing duplicated
    let before = env.history("pp").len();
    let dir = fixtures_dir().join("privacy-policy");
    let again = env.stdout(&[
        "import",
        "--format",
        "ota",
        dir.to_str().unwrap(),
        "--target",
        "pp",
    ]);
    assert!(
        again.contains("nothing to import") || again.contains("0 versions imported"),
        "{again}"
    );
    assert_eq!(env.history("pp").len(), before);

    let site = env.dir.path().join("site");
    env.stdout(&["report", "--out", site.to_str().unwrap()]);
    // the overview lists the targets; each target's timeline its changes
    let overview = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        overview.contains("href=\"targets/pp.html\"")
            && overview.contains("href=\"targets/eu.html\""),
        "{overview}"
    );
    let index = std::fs::read_to_string(site.join("targets/pp.html")).unwrap()
        + &std::fs::read_to_string(site.join("targets/eu.html")).unwrap();
    for day in ["2024-09-19", "2025-11-03", "2025-11-04", "2025-09-18"] {
        assert!(index.contains(day), "{day} missing from the timeline");
    }
    let row = |day: &str| {
        index
            .split("<tr>")
            .find(|r| r.contains(day))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        row("2024-09-19").contains("AI · high"),
        "September 2024 AI change marked"
    );
    assert!(
        row("2025-11-03").contains("AI · high"),
        "November 2025 AI change marked"
    );

    // the change page of September 2024 in a real browser
    let page = index
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap_or_default())
        .find(|h| h.starts_with("../changes/pp-") && row("2024-09-19").contains(h))
        .unwrap()
        .trim_start_matches("../")
        .to_string();
    let url = format!("file://{}", site.join(&page).display());
    let dom = chromium(&["--dump-dom", &url]);
    let html = String::from_utf8_lossy(&dom.stdout);
    assert!(
        html.contains("<ins>") && html.contains("<mark>"),
        "diff rendered: {}",
        &html[..html.len().min(500)]
    );
    assert!(
        html.contains("develop and <mark>train</mark> artificial intelligence")
            || html.contains("<mark>train</mark>"),
        "matched terms highlighted"
    );
    let shot = env.dir.path().join("change.png");
    let out = chromium(&[
        "--window-size=1200,1400",
        &format!("--screenshot={}", shot.display()),
        &url,
    ]);
    let png = std::fs::read(&shot).unwrap_or_default();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "a rendered screenshot ({} bytes)",
        png.len()
    );
    let stderr =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&dom.stderr);
    assert!(!stderr.contains(":CONSOLE("), "console messages: {stderr}");
    // every page of the site links only to pages that exist on disk
    let mut pages = 0;
    for dir in ["", "targets", "changes", "documents"] {
        for entry in std::fs::read_dir(site.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "html") {
                continue;
            }
            pages += 1;
            let html = std::fs::read_to_string(&path).unwrap();
            for href in html
                .split("href=\"")
                .skip(1)
                .map(|s| s.split('"').next().unwrap_or_default())
            {
                if !href.starts_with("http") && !href.starts_with('#') {
                    let file = path.parent().unwrap().join(href);
                    assert!(file.is_file(), "broken link {href} in {}", path.display());
                }
            }
        }
    }
    assert!(pages >= 19, "{pages} pages");
}
