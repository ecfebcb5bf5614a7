use super::*;

fn rules(select: &[&str], remove: &[&str]) -> Rules {
    Rules {
        select: select
            .iter()
            .map(|s| CssSelector::parse(s).unwrap())
            .collect(),
        remove: remove
            .iter()
            .map(|s| CssSelector::parse(s).unwrap())
            .collect(),
        min_chars: 10,
    }
}

const PAGE: &str = r#"<html><head><title>t</title><style>p{}</style></head><body>
<nav>Home | Sign in</nav>
<section id="component-container" data-x="section-1748808101436-12">
  <div class="banner__image-container" aria-hidden="true"><img alt="x">Banner</div>
  <h2>How We Use <em>Your</em> Data</h2>
  <p>We use data&nbsp;to   provide <a href="https://example.com/?trk=123">our Services</a>. We train models.</p>
  <script>var callTreeId = "AAY2iB2itaKrMo";</script>
  <div class="expandable-section__content" aria-hidden="true" id="section-1748808101436-12">
    <p>Key terms live in a collapsed section.</p>
  </div>
  <ul><li><p>First item</p></li><li>Second <b>item</b></li></ul>
  <table><tr><th>Category</th><th>Use</th></tr><tr><td>Profile</td><td>Ads</td></tr></table>
  <div class="callout">Note<br>on two lines</div>
  <template><p>never shown</p></template>
</section>
<footer>© LinkedIn</footer></body></html>"#;

#[test]
fn structured_text_keeps_blocks_on_their_own_lines() {
    let text = extract(PAGE, &rules(&["#component-container"], &[])).unwrap();
    assert_eq!(
        text,
        "## How We Use Your Data\n\
         We use data to provide our Services. We train models.\n\
         Key terms live in a collapsed section.\n\
         - First item\n\
         - Second item\n\
         Category | Use\n\
         Profile | Ads\n\
         Note\n\
         on two lines"
    );
}

#[test]
fn noise_chrome_and_link_targets_never_reach_the_text() {
    let text = extract(PAGE, &rules(&["#component-container"], &[])).unwrap();
    for noise in [
        "1748808101436",
        "AAY2iB2",
        "trk=",
        "Banner",
        "Sign in",
        "LinkedIn",
        "never shown",
    ] {
        assert!(!text.contains(noise), "{noise} leaked into {text}");
    }
}

#[test]
fn remove_selectors_drop_their_elements() {
    let text = extract(
        PAGE,
        &rules(&["#component-container"], &["table", ".callout"]),
    )
    .unwrap();
    assert!(!text.contains("Category") && !text.contains("Note"));
    assert!(text.contains("First item"));
}

#[test]
fn a_selector_that_matches_nothing_is_an_error() {
    let err = extract(PAGE, &rules(&["#component-container", "main"], &[])).unwrap_err();
    assert_eq!(err, ExtractError::SelectorMissed("main".into()));
}

#[test]
fn empty_and_short_results_are_refused() {
    let page = r#"<main><p>  </p></main>"#;
    assert!(matches!(
        extract(page, &rules(&["main"], &[])),
        Err(ExtractError::TooShort { chars: 0, .. })
    ));
}

#[test]
fn a_login_form_is_a_login_wall() {
    let page = r#"<main><h1>Sign in to see the full page</h1><p>Join now to read more text here.</p>
      <form><input name="session_key"><input type="password" name="session_password"></form></main>"#;
    assert_eq!(
        extract(page, &rules(&["main"], &[])),
        Err(ExtractError::LoginWall)
    );
}

#[test]
fn nested_selections_are_not_written_twice() {
    let page = r#"<main><article><p>Only once, please.</p></article></main>"#;
    let text = extract(page, &rules(&["main", "article"], &[])).unwrap();
    assert_eq!(text, "Only once, please.");
}

#[test]
fn charset_comes_from_header_then_meta_then_utf8() {
    let latin1 = b"<meta charset=\"iso-8859-1\"><p>caf\xe9</p>";
    assert!(decode(latin1, None).contains("café"));
    assert!(decode(latin1, Some("text/html; charset=windows-1252")).contains("café"));
    assert!(decode("<p>café</p>".as_bytes(), Some("text/html")).contains("café"));
    assert!(decode(b"<p>caf\xff</p>", Some("text/html; charset=utf-8")).contains('\u{FFFD}'));
}

#[test]
fn invalid_selectors_are_reported_with_their_text() {
    let err = CssSelector::parse("div[").unwrap_err();
    assert!(err.contains("div["), "{err}");
}

#[test]
fn a_mislabelled_header_gives_way_to_the_pages_own_meta() {
    let latin1 = b"<meta charset=\"iso-8859-1\"><p>caf\xe9</p>";
    assert!(decode(latin1, Some("text/html; charset=utf-8")).contains("café"));
    // without a meta to fall back on, the same replacement every time
    let broken = b"<p>caf\xe9</p>";
    assert_eq!(
        decode(broken, Some("text/html; charset=utf-8")),
        decode(broken, Some("text/html; charset=utf-8"))
    );
    assert!(decode(broken, None).contains('\u{FFFD}'));
}
