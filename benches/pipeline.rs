//! Criterion benches of the pure stages: extract, diff and classify on LinkedIn-sized pages
//! (100 KB) and on two 1 MB documents.

#![allow(clippy::unwrap_used)]

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use policywatch::classify::{RuleSet, classify};
use policywatch::diff::diff;
use policywatch::extract::{CssSelector, Rules, extract};
use policywatch::facts::{FactRules, read};

fn rules() -> Rules {
    Rules {
        select: vec![CssSelector::parse("#component-container").unwrap()],
        remove: vec![CssSelector::parse(".banner__image-container").unwrap()],
        min_chars: 200,
    }
}

fn stages(c: &mut Criterion) {
    let r = rules();
    let set = RuleSet::builtin();
    for (name, size) in [("100kb", 100_000), ("1mb", 1_000_000)] {
        let a = support::page(1, 0, 1, size);
        let b = support::page(1, 1, 2, size);
        let (ta, tb) = (extract(&a, &r).unwrap(), extract(&b, &r).unwrap());
        let change = diff(&ta, &tb);
        assert_eq!((change.added, change.removed), (1, 1));
        c.bench_function(&format!("extract/{name}"), |bench| {
            bench.iter(|| extract(&b, &r).unwrap())
        });
        c.bench_function(&format!("diff/{name}"), |bench| {
            bench.iter(|| diff(&ta, &tb))
        });
        c.bench_function(&format!("classify/{name}"), |bench| {
            bench.iter(|| classify(&change, &set))
        });
        if size == 100_000 {
            // what every check-now pays once: the built-in rules compiled, and a first
            // classification through their still-empty lazy DFAs
            c.bench_function("rules/compile", |bench| bench.iter(RuleSet::builtin));
            c.bench_function("classify/first", |bench| {
                bench.iter(|| classify(&change, &RuleSet::builtin()))
            });
        }
        c.bench_function(&format!("extract+diff+classify/{name}"), |bench| {
            bench.iter(|| {
                let (x, y) = (extract(&a, &r).unwrap(), extract(&b, &r).unwrap());
                classify(&diff(&x, &y), &set)
            })
        });
    }
}

/// Facts of a version: on the synthetic pages, and on 1 MB of real policy text (the European
/// Regional Privacy Notice of November 2025, AI-dense, repeated), when the fixtures are there.
fn facts(c: &mut Criterion) {
    let rules = FactRules::builtin();
    let r = self::rules();
    for (name, size) in [("100kb", 100_000), ("1mb", 1_000_000)] {
        let text = extract(&support::page(1, 0, 1, size), &r).unwrap();
        c.bench_function(&format!("facts/{name}"), |bench| {
            bench.iter(|| read(&text, &rules))
        });
    }
    let dir = std::env::var_os("POLICYWATCH_FIXTURES").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/linkedin"),
        std::path::PathBuf::from,
    );
    if let Ok(md) = std::fs::read_to_string(dir.join("privacy-policy-eu/2025-11-04.md")) {
        // the notice's text as policywatch stores it (Markdown -> HTML -> extracted text),
        // repeated to 1 MB: the densest AI wording in the fixtures
        let mut html = String::from("<main>");
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&md));
        html.push_str("</main>");
        let main = Rules {
            select: vec![CssSelector::parse("main").unwrap()],
            remove: Vec::new(),
            min_chars: 1,
        };
        let text = extract(&html, &main).unwrap();
        let mut real = String::new();
        while real.len() < 1_000_000 {
            real.push_str(&text);
            real.push('\n');
        }
        c.bench_function("facts/1mb-eu-notice", |bench| {
            bench.iter(|| read(&real, &rules))
        });
        c.bench_function("facts/1mb-eu-notice-markdown", |bench| {
            let mut raw = String::new();
            while raw.len() < 1_000_000 {
                raw.push_str(&md);
                raw.push('\n');
            }
            bench.iter(|| read(&raw, &rules))
        });
        c.bench_function("rules/compile-facts", |bench| {
            bench.iter(FactRules::builtin)
        });
    }
}

/// Classification of the same change (the November 2025 update of the localised fixtures:
/// a banner, two paragraphs, a date) in each language with rules, to compare with English.
fn languages(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lang");
    for lang in policywatch::classify::lang::LANGUAGES {
        let read =
            |d: &str| std::fs::read_to_string(dir.join(lang).join(format!("{d}.md"))).unwrap();
        let change = diff(&read("2025-10-03"), &read("2025-11-04"));
        let rules = RuleSet::compile(policywatch::classify::rules::merge_for(lang, &[])).unwrap();
        let sentences = change.added + change.removed;
        c.bench_function(
            &format!("classify/{lang} ({sentences} changed sentences)"),
            |bench| bench.iter(|| classify(&change, &rules)),
        );
    }
}

/// The hash chain's work per stored raw page: SHA-256 of the body (100 KB) and of the header
/// block (the entry's own hash is over a few hundred bytes). The load bench's second run at
/// N = 200 stores 40 new raw pages (the 20% of pages whose bytes changed).
fn chain(c: &mut Criterion) {
    use sha2::Digest as _;
    let body = support::page(1, 1, 2, 100_000);
    let headers =
        "Content-Type: text/html; charset=utf-8\r\nETag: \"abc\"\r\nCache-Control: no-cache\r\n"
            .repeat(4);
    c.bench_function("chain/hashes of a 100 KB page", |bench| {
        bench.iter(|| {
            (
                sha2::Sha256::digest(body.as_bytes()),
                sha2::Sha256::digest(headers.as_bytes()),
            )
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = stages, facts, languages, chain
}
criterion_main!(benches);
