//! Facts read from small texts written for these tests (the real history is pinned in
//! `tests/facts.rs`).

use super::*;

fn facts(text: &str) -> Facts {
    read(text, &FactRules::builtin())
}

#[test]
fn builtin_rules_parse_and_compile() {
    let rules = FactRules::builtin();
    assert!(rules.rules.len() > 20);
    assert_eq!(rules.fingerprint.len(), 16);
}

#[test]
fn dump_fixture_facts() {
    let Ok(dir) = std::env::var("FACTS_DUMP") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let md = std::fs::read_to_string(&f).unwrap();
        let text = crate::import::markdown_text(&md).unwrap();
        let t = std::time::Instant::now();
        let facts = facts(&text);
        println!("== {} ({:?})", f.display(), t.elapsed());
        for (fact, v) in &facts.0 {
            println!("  {fact} = {} [{}] note={:?}", v.value, v.rule, v.note);
            for q in &v.quotes {
                println!("      > {}", &q[..q.len().min(200)]);
            }
        }
    }
}
