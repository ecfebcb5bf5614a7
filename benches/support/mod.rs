//! Generated pages shaped like LinkedIn's legal pages, for the benchmarks: a header, navigation,
//! a cookie banner, per-request ids, a footer, and a long policy text inside
//! `#component-container`. Deterministic: the same (page, revision, noise) gives the same bytes.

#![allow(dead_code)]

const WORDS: &[&str] = &[
    "we",
    "use",
    "your",
    "data",
    "to",
    "provide",
    "and",
    "improve",
    "our",
    "services",
    "members",
    "may",
    "share",
    "information",
    "with",
    "partners",
    "profile",
    "posts",
    "content",
    "settings",
    "choose",
    "control",
    "personal",
    "process",
    "legal",
    "basis",
    "visitors",
    "account",
    "security",
    "measure",
    "advertising",
    "research",
    "communications",
    "network",
    "professional",
    "jobs",
];

/// A small deterministic generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn word(&mut self) -> &'static str {
        WORDS[(self.next() % WORDS.len() as u64) as usize]
    }
}

fn sentence(rng: &mut Rng) -> String {
    let n = 8 + (rng.next() % 14) as usize;
    let mut s: Vec<&str> = (0..n).map(|_| rng.word()).collect();
    let first = s[0];
    let mut out = String::new();
    out.push_str(&first[..1].to_uppercase());
    out.push_str(&first[1..]);
    s.remove(0);
    for w in s {
        out.push(' ');
        out.push_str(w);
    }
    out.push('.');
    out
}

/// The policy text of page `page` at `revision`: revision r edits one sentence per earlier
/// revision (a one-sentence edit each time).
pub fn policy_html(page: u64, revision: u32, target_bytes: usize) -> String {
    let mut rng = Rng::new(page + 1);
    let mut out = String::new();
    let mut section = 0;
    let mut sentences = 0;
    while out.len() < target_bytes {
        section += 1;
        out.push_str(&format!(
            "<div id=\"s{section}\" class=\"component component-heading\" data-component-type=\"heading\"><h2 class=\"heading t-24 t-bold\">{section}. {}</h2></div>",
            sentence(&mut rng)
        ));
        for _ in 0..4 {
            out.push_str("<div class=\"component component-richText\" data-component-type=\"richText\"><div class=\"rich-text global-paragraph-style--p2\"><p>");
            for k in 0..5 {
                sentences += 1;
                let mut s = sentence(&mut rng);
                if sentences % 97 == 0 && (sentences / 97) as u32 <= revision {
                    s = format!(
                        "Revision {}: we may use your posts to train AI models.",
                        sentences / 97
                    );
                }
                if k == 2 {
                    out.push_str(&format!("<a rel=\"\" href=\"https://www.linkedin.com/help/linkedin/answer/a{}?trk=microsites-frontend_legal\" target=\"_blank\"><span class=\"t-bold\">{s}</span></a> ", rng.next() % 99999));
                } else {
                    out.push_str(&format!("<span>{s}</span> "));
                }
            }
            out.push_str("</p></div></div>");
        }
        out.push_str("<ul><li>Profile data</li><li>Posts and articles</li><li>Messages</li></ul>");
    }
    out
}

/// A whole page: LinkedIn-like chrome with `noise`-seeded per-request ids around the policy.
pub fn page(page: u64, revision: u32, noise: u64, target_bytes: usize) -> String {
    let mut rng = Rng::new(noise.wrapping_mul(31).wrapping_add(page));
    let call_tree = format!("{:016x}{:016x}", rng.next(), rng.next());
    let nav: String = (0..40)
        .map(|i| {
            format!(
                "<li><a href=\"/nav/{i}?trk={:x}\">Link {i}</a></li>",
                rng.next() % 9999
            )
        })
        .collect();
    let script = format!(
        "<script>window.__init={{\"pageInstance\":\"urn:li:page:{:x}\",\"tracking\":\"{}\"}};</script>",
        rng.next(),
        "x".repeat(6000)
    );
    let policy = policy_html(page, revision, target_bytes.saturating_sub(16_000));
    let sections = (0..4).map(|i| format!("<div id=\"section-{}-{i}\" class=\"expandable-section__content\" aria-hidden=\"true\"><p>Key term {i}: members and visitors.</p></div>", 1_700_000_000_000u64 + rng.next() % 1_000_000)).collect::<String>();
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>User Agreement | LinkedIn</title>\
         <meta id=\"config\" data-call-tree-id=\"{call_tree}\" data-browser-id=\"{:x}\">\
         <style>{}</style>{script}</head><body>\
         <header class=\"header\"><nav><ul>{nav}</ul></nav></header>\
         <div class=\"cookie-banner\"><p>We use cookies to improve your experience. <button>Accept</button><button>Reject</button></p></div>\
         <main role=\"main\"><section id=\"component-container\"><div class=\"banner__image-container\" aria-hidden=\"true\"><img src=\"x.png\"></div>\
         <h1>Privacy Policy</h1>{sections}{policy}</section></main>\
         <footer><ul>{nav}</ul><p>LinkedIn Corporation © 2026</p></footer></body></html>",
        rng.next(),
        ".a{color:red}".repeat(300)
    )
}
