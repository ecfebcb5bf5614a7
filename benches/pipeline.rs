//! Criterion benches of the pure stages: extract, diff and classify on LinkedIn-sized pages
//! (100 KB) and on two 1 MB documents.

#![allow(clippy::unwrap_used)]

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use policywatch::classify::{RuleSet, classify};
use policywatch::diff::diff;
use policywatch::extract::{CssSelector, Rules, extract};

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

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = stages
}
criterion_main!(benches);
