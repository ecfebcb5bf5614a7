use super::*;

fn errors(src: &str) -> Vec<ConfigError> {
    parse(Path::new("w.toml"), src).unwrap_err().0
}

const TARGET: &str =
    "[[target]]\nid = \"a\"\nurl = \"https://example.com/p\"\nselect = [\"main\"]\n";

#[test]
fn the_shipped_watchlist_is_valid_and_complete() {
    let wl = parse(
        Path::new("watchlist.toml"),
        include_str!("../../watchlist.toml"),
    )
    .unwrap();
    let ids: Vec<&str> = wl.targets.iter().map(|t| t.id.as_str()).collect();
    for id in [
        "linkedin-privacy-policy",
        "linkedin-privacy-eu",
        "linkedin-user-agreement",
        "linkedin-cookie-policy",
        "linkedin-community-policies",
        "linkedin-service-terms",
        "linkedin-california-privacy",
        "linkedin-us-state-privacy",
        "linkedin-help-genai-data",
        "linkedin-help-genai-setting",
        "linkedin-pressroom",
        "linkedin-blog",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert_eq!(wl.store_path, Path::new("policywatch.db"));
    assert!(wl.targets.iter().all(|t| t.url.scheme() == "https"));
}

#[test]
fn a_minimal_watchlist_takes_the_defaults() {
    let wl = parse(Path::new("/etc/pw/w.toml"), TARGET).unwrap();
    let t = &wl.targets[0];
    assert_eq!(wl.store_path, Path::new("/etc/pw/policywatch.db"));
    assert_eq!(t.timeout, Duration::from_secs(30));
    assert_eq!(t.max_body, 5_000_000);
    assert_eq!(t.schedule.source(), "17 */6 * * *");
    assert_eq!(t.name, "a");
}

#[test]
fn unknown_keys_are_errors_with_line_and_key() {
    let e = errors(&format!("{TARGET}colour = \"red\"\n"));
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].line, e[0].column), (5, 1));
    assert!(e[0].message.contains("colour"), "{}", e[0]);
    let e = errors(&format!("[mail]\nx = 1\n{TARGET}"));
    assert_eq!(e[0].line, 1);
    assert_eq!(e[0].key.as_deref(), Some("mail"));
}

#[test]
fn wrong_types_name_the_key() {
    let e = errors(&TARGET.replace("select = [\"main\"]", "select = \"main\""));
    assert_eq!(e[0].line, 4);
    assert_eq!(e[0].key.as_deref(), Some("target[1].select"));
    let e = errors(&format!("[defaults]\nconcurrency = \"four\"\n{TARGET}"));
    assert_eq!(
        (e[0].line, e[0].key.as_deref()),
        (2, Some("defaults.concurrency"))
    );
}

#[test]
fn bad_values_each_get_their_own_error() {
    let src = "[defaults]\ntimeout = \"soon\"\nmax_body = \"huge\"\n\
               [[target]]\nid = \"a\"\nurl = \"ftp://example.com/\"\nselect = [\"div[\"]\nschedule = \"61 * * * *\"\n\
               [[target]]\nid = \"a\"\nurl = \"not a url\"\nselect = []\n\
               [[target]]\nid = \"Bad Id\"\nurl = \"https://example.com/\"\nselect = [\"main\"]\n";
    let e = errors(src);
    let find = |key: &str| {
        e.iter()
            .find(|e| e.key.as_deref() == Some(key))
            .unwrap_or_else(|| panic!("{key}: {e:?}"))
    };
    assert_eq!(find("defaults.timeout").line, 2);
    assert_eq!(find("defaults.max_body").line, 3);
    assert!(
        find("target[1].url")
            .message
            .contains("only http and https")
    );
    assert!(
        find("target[1].select")
            .message
            .contains("invalid CSS selector")
    );
    assert_eq!(find("target[1].schedule").line, 8);
    assert!(find("target[2].id").message.contains("duplicate id"));
    assert_eq!(find("target[2].id").line, 10);
    assert!(find("target[3].id").message.contains("invalid id"));
    assert_eq!(find("target[3].id").column, 6);
    assert!(
        e.windows(2).all(|w| w[0].line <= w[1].line),
        "errors come in file order"
    );
}

#[test]
fn syntax_errors_point_at_the_line() {
    let e = errors("[store\npath = 1\n");
    assert_eq!(e[0].line, 1);
    let shown = e[0].to_string();
    assert!(shown.starts_with("w.toml:1:"), "{shown}");
}

#[test]
fn an_empty_watchlist_asks_for_a_target() {
    let e = errors("[defaults]\n");
    assert!(e[0].message.contains("no [[target]]"));
}

#[test]
fn non_utf8_files_are_reported_at_the_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.toml");
    std::fs::write(&path, b"[store]\npath = \"\xff.db\"\n").unwrap();
    let e = load(&path).unwrap_err().0;
    assert_eq!(
        (e[0].line, e[0].message.as_str()),
        (2, "the file is not valid UTF-8")
    );
    let missing = load(&dir.path().join("none.toml")).unwrap_err().0;
    assert!(missing[0].message.contains("cannot read"));
}

#[test]
fn rule_tables_extend_and_override_the_built_ins() {
    let src = format!(
        "{TARGET}[[rule]]\nid = \"biometrics\"\nseverity = \"high\"\nterms = [\"face scan\"]\n\
         [[rule]]\nid = \"data-use\"\nenabled = false\n\
         [[rule]]\nid = \"ai-features\"\nseverity = \"low\"\nterms = [\"AI\"]\nwith = [[\"feature\"]]\n"
    );
    let wl = parse(Path::new("w.toml"), &src).unwrap();
    let set = wl.rule_set_for("en");
    let ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
    assert!(ids.contains(&"biometrics") && ids.contains(&"ai-training"));
    assert!(!ids.contains(&"data-use"));
    let features = set.rules.iter().find(|r| r.id == "ai-features").unwrap();
    assert_eq!(features.severity, crate::classify::Severity::Low);
}

#[test]
fn a_broken_rule_is_an_error_at_load_time_with_its_line() {
    let src = format!(
        "{TARGET}[[rule]]\nid = \"x\"\nseverity = \"high\"\nregex = [\"(unclosed\"]\n\
         [[rule]]\nid = \"y\"\nseverity = \"urgent\"\nterms = [\"a\"]\n\
         [[rule]]\nid = \"z\"\nterms = [\"a\"]\n\
         [[rule]]\nid = \"w\"\nseverity = \"low\"\nterms = [\"a\"]\nwords = [\"b\"]\n"
    );
    let e = errors(&src);
    let find = |key: &str| {
        e.iter()
            .find(|e| e.key.as_deref() == Some(key))
            .unwrap_or_else(|| panic!("{key}: {e:?}"))
    };
    assert_eq!(find("rule[1].regex").line, 8);
    assert!(find("rule[1].regex").message.contains("invalid regex"));
    assert_eq!(find("rule[2].severity").line, 11);
    assert!(find("rule[3].severity").message.contains("missing"));
    assert!(find("rule[4].words").message.contains("unknown field"));
}

#[test]
fn fact_rule_tables_extend_and_override_the_built_ins() {
    let src = format!(
        "{TARGET}[[fact_rule]]\nid = \"default-on\"\nenabled = false\n\
         [[fact_rule]]\nid = \"trains-ai-uk\"\nfact = \"trains_ai\"\nvalue = \"yes\"\nterms = [\"machine-lernen\"]\n"
    );
    let wl = parse(Path::new("w.toml"), &src).unwrap();
    let set = wl.fact_rules();
    let ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
    assert!(ids.contains(&"trains-ai-uk") && ids.contains(&"trains-ai"));
    assert!(!ids.contains(&"default-on"));
    let facts = crate::facts::read("Wir nutzen Daten für machine-lernen.", &set);
    assert_eq!(facts.value(crate::facts::Fact::TrainsAi), "yes");
    // a different rule set reads differently: its fingerprint says so
    assert_ne!(
        set.fingerprint,
        crate::facts::FactRules::builtin().fingerprint
    );
}

#[test]
fn a_broken_fact_rule_is_an_error_at_load_time_with_its_line() {
    let src = format!(
        "{TARGET}[[fact_rule]]\nid = \"x\"\nfact = \"trains_robots\"\nvalue = \"yes\"\nterms = [\"a\"]\n\
         [[fact_rule]]\nid = \"y\"\nfact = \"legal_basis\"\nvalue = \"vibes\"\nterms = [\"a\"]\n\
         [[fact_rule]]\nid = \"z\"\nfact = \"opt_out\"\nvalue = \"yes\"\nregex = [\"(open\"]\n\
         [[fact_rule]]\nid = \"w\"\nterms = [\"a\"]\n"
    );
    let e = errors(&src);
    let find = |key: &str| {
        e.iter()
            .find(|e| e.key.as_deref() == Some(key))
            .unwrap_or_else(|| panic!("{key}: {e:?}"))
    };
    assert_eq!(find("fact_rule[1].fact").line, 7);
    assert!(find("fact_rule[1].fact").message.contains("unknown fact"));
    assert_eq!(find("fact_rule[2].value").line, 13);
    assert!(
        find("fact_rule[2].value")
            .message
            .contains("\"legitimate_interests\", \"consent\", \"contract\"")
    );
    assert!(find("fact_rule[3].regex").message.contains("invalid regex"));
    assert!(
        find("fact_rule[4].fact")
            .message
            .contains("needs `fact` and `value`")
    );
}

#[test]
fn channels_are_checked_and_their_secrets_never_come_from_the_watchlist() {
    let src = format!(
        "{TARGET}[[channel]]\nid = \"a\"\nkind = \"slack\"\nurl = \"https://hooks.slack.com/services/T/B/X\"\n\
         [[channel]]\nid = \"b\"\nkind = \"webhook\"\nurl = \"https://example.com/h\"\n\
         [[channel]]\nid = \"c\"\nkind = \"pager\"\n\
         [[channel]]\nid = \"d\"\nkind = \"ntfy\"\ntopic = \"t\"\nevents = [\"alert\", \"gossip\"]\n\
         [[channel]]\nid = \"e\"\nkind = \"webhook\"\nurl = \"https://example.com/h\"\nsecret_file = \"s\"\nsecret_env = \"S\"\n"
    );
    let e = errors(&src);
    let find = |key: &str| {
        e.iter()
            .find(|e| e.key.as_deref() == Some(key))
            .unwrap_or_else(|| panic!("{key}: {e:?}"))
    };
    assert_eq!(find("channel[1].url").line, 8);
    assert!(find("channel[1].url").message.contains("is a secret"));
    assert!(
        find("channel[2].secret_file")
            .message
            .contains("never from the watchlist")
    );
    assert!(
        find("channel[3].kind")
            .message
            .contains("unknown channel kind")
    );
    assert!(
        find("channel[4].events")
            .message
            .contains("unknown event \"gossip\"")
    );
    assert!(find("channel[5].secret_file").message.contains("not both"));
    let ok = format!(
        "{TARGET}[[channel]]\nid = \"phone\"\nkind = \"ntfy\"\ntopic = \"t\"\nmin_severity = \"high\"\n"
    );
    let wl = parse(Path::new("w.toml"), &ok).unwrap();
    let c = &wl.email.channels[0];
    assert_eq!(
        (c.id.as_str(), c.min_severity),
        ("phone", crate::classify::Severity::High)
    );
    assert!(
        matches!(&c.kind, ChannelKind::Ntfy { server, .. } if server.as_str() == "https://ntfy.sh/")
    );
    assert!(c.takes("digest") && c.takes("test"));
}

#[test]
fn a_target_names_its_language_and_document() {
    let src = "[[target]]\nid = \"pp-de\"\nurl = \"https://www.linkedin.com/legal/privacy-policy?_l=de_DE\"\nselect = [\"main\"]\nlanguage = \"de_DE\"\ndocument = \"pp\"\n\
               [[target]]\nid = \"pp\"\nurl = \"https://www.linkedin.com/legal/privacy-policy\"\nselect = [\"main\"]\n";
    let wl = parse(Path::new("w.toml"), src).unwrap();
    let (de, en) = (&wl.targets[0], &wl.targets[1]);
    assert_eq!(
        (de.language.as_str(), de.language_set, de.document.as_str()),
        ("de-DE", true, "pp")
    );
    assert_eq!(
        (en.language.as_str(), en.language_set, en.document.as_str()),
        ("en", false, "pp")
    );
    let e = errors(
        "[[target]]\nid = \"x\"\nurl = \"https://example.com/\"\nselect = [\"main\"]\nlanguage = \"Deutsch\"\n",
    );
    assert_eq!(e[0].key.as_deref(), Some("target[1].language"));
    assert_eq!(e[0].line, 5);
}

#[test]
fn snapshots_are_kept_by_number_or_all_per_target() {
    let src = format!(
        "[store]\nkeep_snapshots = 5\n{TARGET}keep_snapshots = \"all\"\n[[target]]\nid = \"b\"\nurl = \"https://example.com/q\"\nselect = [\"main\"]\n"
    );
    let wl = parse(Path::new("w.toml"), &src).unwrap();
    assert_eq!(wl.targets[0].keep_snapshots, None);
    assert_eq!(wl.targets[1].keep_snapshots, Some(5));
    let wl = parse(Path::new("w.toml"), TARGET).unwrap();
    assert_eq!(wl.targets[0].keep_snapshots, Some(DEFAULT_KEEP_SNAPSHOTS));
    let all = parse(
        Path::new("w.toml"),
        &format!("[store]\nkeep_snapshots = \"all\"\n{TARGET}"),
    )
    .unwrap();
    assert_eq!(all.targets[0].keep_snapshots, None);
    for (bad, key) in [
        (
            format!("[store]\nkeep_snapshots = 0\n{TARGET}"),
            "store.keep_snapshots",
        ),
        (
            format!("{TARGET}keep_snapshots = \"some\"\n"),
            "target[1].keep_snapshots",
        ),
    ] {
        let e = errors(&bad);
        assert!(e.iter().any(|e| e.to_string().contains(key)), "{e:?}");
    }
}
