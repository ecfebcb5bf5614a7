//! Reading a version's facts: the text cut into passages and sentences, every sentence run
//! through a gate of all rules at once, the few candidates through their rules, the hits
//! resolved into one value per fact with its quotes.

use regex_automata::{Input, MatchKind, PatternSet, meta};
use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::wording::{date_after, qualifiers};
use super::{CATEGORIES, Fact, FactRule, FactRules, Facts, Finding, MAX_QUOTES};
use crate::classify::{normalize_for_match, quoted};

/// One table cell or paragraph of the text, with the passage it belongs to.
struct Cell<'a> {
    passage: usize,
    text: &'a str,
}

/// One sentence of a cell that some rule matched.
struct Unit<'a> {
    passage: usize,
    raw: &'a str,
}

/// The most lines one passage (a table row, a paragraph and its list) may span.
const MAX_PASSAGE_LINES: usize = 40;

/// Cuts text into cells grouped into passages: a paragraph (one line); a paragraph ending
/// with a colon takes the list items after it; a table row (cells ` | `, rows ` | | ` in
/// Markdown-converted text) takes the lines of its cells, up to [`MAX_PASSAGE_LINES`].
fn cells(text: &str) -> (Vec<Cell<'_>>, Vec<&str>) {
    let mut cells = Vec::new();
    let mut heads: Vec<&str> = Vec::new();
    let mut passage_lines = 0;
    let (mut in_table, mut takes_list) = (false, false);
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let heading = line.starts_with('#');
        let list_item = line.starts_with("- ") || line.starts_with("* ");
        let continues = !heading
            && !heads.is_empty()
            && passage_lines < MAX_PASSAGE_LINES
            && (in_table || (takes_list && list_item));
        if continues {
            passage_lines += 1;
        } else {
            heads.push(line);
            passage_lines = 1;
            takes_list = line.ends_with(':');
        }
        in_table = line.contains(" | ") || (in_table && continues && !line.ends_with(" |"));
        for (k, row) in line.split(" | | ").enumerate() {
            if k > 0 {
                heads.push(row);
                passage_lines = 1;
            }
            let passage = heads.len() - 1;
            cells.extend(
                row.split(" | ")
                    .filter(|c| c.chars().any(char::is_alphanumeric))
                    .map(|text| Cell { passage, text }),
            );
        }
    }
    (cells, heads)
}

/// Some rules' trigger patterns as one multi-pattern regex: one pass over a cell tells which
/// of them may match it, so a long document costs one scan, and only the few cells with
/// candidates are cut into sentences and checked in full.
#[derive(Debug, Clone, Default)]
pub(super) struct Gate {
    regex: Option<meta::Regex>,
    /// The rule (index in the set) behind each pattern.
    rules: Vec<usize>,
}

impl Gate {
    /// A gate for the rules `pick` selects.
    pub(super) fn build(
        rules: &FactRules,
        pick: impl Fn(&FactRule) -> bool,
    ) -> Result<Self, String> {
        let mut patterns = Vec::new();
        let mut picked = Vec::new();
        for (i, spec) in rules.specs.iter().enumerate() {
            if !pick(&rules.rules[i]) {
                continue;
            }
            let alternatives = crate::classify::rules::primary_patterns(&spec.matcher())
                .map_err(|e| format!("fact rule {:?}: {}: {}", spec.id, e.field, e.message))?;
            patterns.push(format!("(?i)(?:{})", alternatives.join("|")));
            picked.push(i);
        }
        let regex = meta::Regex::builder()
            .configure(
                meta::Regex::config()
                    .match_kind(MatchKind::All)
                    .auto_prefilter(false),
            )
            .build_many(&patterns)
            .map_err(|e| format!("fact rules: cannot compile: {e}"))?;
        Ok(Self {
            regex: Some(regex),
            rules: picked,
        })
    }

    /// The rules that may match `normalised`, into `out`.
    fn candidates(&self, normalised: &str, set: &mut PatternSet, out: &mut Vec<usize>) {
        out.clear();
        let Some(regex) = &self.regex else { return };
        set.clear();
        regex.which_overlapping_matches(&Input::new(normalised), set);
        out.extend(set.iter().map(|p| self.rules[p.as_usize()]));
    }

    fn patterns(&self) -> usize {
        self.rules.len()
    }
}

/// One sentence that matched one rule.
struct Hit {
    rule: usize,
    unit: usize,
}

/// The sentences of `cell` the `candidates` match, as hits.
fn check<'a>(
    cell: &Cell<'a>,
    normalised: &str,
    candidates: &[usize],
    rules: &FactRules,
    found: &mut Found<'a>,
) {
    let keep = |s: &&str| s.chars().any(char::is_alphanumeric);
    let raws: Vec<&str> = sentences(cell.text).filter(keep).collect();
    let norms: Vec<&str> = sentences(normalised).filter(keep).collect();
    // The normalised cell cuts into the same sentences as the raw one unless normalising
    // changed a boundary (rare): then each sentence is normalised on its own.
    let own: Vec<String>;
    let norms: Vec<&str> = if norms.len() == raws.len() {
        norms
    } else {
        own = raws.iter().map(|r| normalize_for_match(r)).collect();
        own.iter().map(String::as_str).collect()
    };
    for (raw, norm) in raws.into_iter().zip(norms) {
        let mut unit = None;
        for &r in candidates {
            if rules.rules[r].matches(norm) {
                let u = *unit.get_or_insert_with(|| {
                    found.units.push(Unit {
                        passage: cell.passage,
                        raw,
                    });
                    found.units.len() - 1
                });
                found.hits.push(Hit { rule: r, unit: u });
            }
        }
    }
}

/// The sentences that matched rules, and which.
#[derive(Default)]
struct Found<'a> {
    units: Vec<Unit<'a>>,
    hits: Vec<Hit>,
}

/// A cell's sentences: cut after `.`, `!` or `?` (and any closing quotes or brackets) where
/// spaces and then a capital, a digit or an opening quote or bracket follow. Cheaper than
/// Unicode sentence segmentation, and as good on policy prose ("e.g., the", "U.S. law" stay
/// whole unless a capital follows).
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let b = bytes[i];
            i += 1;
            if !matches!(b, b'.' | b'!' | b'?') {
                continue;
            }
            let mut j = i;
            loop {
                if j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b')' | b']') {
                    j += 1;
                } else if text[j..].starts_with(['\u{201D}', '\u{2019}']) {
                    j += 3;
                } else {
                    break;
                }
            }
            let spaces = bytes[j..].iter().take_while(|c| **c == b' ').count();
            if spaces == 0 {
                continue;
            }
            // "3. November", "z. B. Ihre", "Art. 6": an ordinal or an abbreviation, not an end
            let word = text[start..i]
                .rsplit(char::is_whitespace)
                .next()
                .unwrap_or_default();
            let ordinal = b == b'.'
                && (2..=3).contains(&word.len())
                && word[..word.len() - 1].bytes().all(|c| c.is_ascii_digit());
            if ordinal || crate::diff::ends_abbreviated(&text[start..i]) {
                continue;
            }
            let next = text[j + spaces..].chars().next();
            if next.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || "\"'(“‘[".contains(c))
            {
                let s = text[start..j].trim();
                start = j + spaces;
                i = start;
                return Some(s);
            }
        }
        (start < bytes.len()).then(|| {
            let s = text[start..].trim();
            start = bytes.len();
            s
        })
    })
}

/// Reads the facts of a text.
pub fn read(text: &str, rules: &FactRules) -> Facts {
    let (cells, heads) = cells(text);
    let (direct, near) = rules.gates();
    let mut set = PatternSet::new(direct.patterns().max(near.patterns()).max(1));
    let mut candidates = Vec::new();
    let mut found = Found::default();
    for cell in &cells {
        let normalised = normalize_for_match(cell.text);
        direct.candidates(&normalised, &mut set, &mut candidates);
        if !candidates.is_empty() {
            check(cell, &normalised, &candidates, rules, &mut found);
        }
    }
    // A `near` rule counts where its passage states one of its facts (other than "no"): only
    // those passages are read for them.
    let stating: HashSet<(Fact, usize)> = found
        .hits
        .iter()
        .filter(|h| rules.rules[h.rule].value != "no")
        .map(|h| (rules.rules[h.rule].fact, found.units[h.unit].passage))
        .collect();
    let passages: BTreeSet<usize> = stating.iter().map(|(_, p)| *p).collect();
    for cell in cells.iter().filter(|c| passages.contains(&c.passage)) {
        let normalised = normalize_for_match(cell.text);
        near.candidates(&normalised, &mut set, &mut candidates);
        candidates.retain(|r| {
            rules.rules[*r]
                .near
                .iter()
                .any(|f| stating.contains(&(*f, cell.passage)))
        });
        if !candidates.is_empty() {
            check(cell, &normalised, &candidates, rules, &mut found);
        }
    }
    resolve(&found.hits, &found.units, &heads, rules)
}

/// One value per fact: the first rule in order that matched; categories add up.
fn resolve(hits: &[Hit], units: &[Unit<'_>], heads: &[&str], rules: &FactRules) -> Facts {
    let mut by_fact: BTreeMap<Fact, Vec<&Hit>> = BTreeMap::new();
    for h in hits {
        by_fact.entry(rules.rules[h.rule].fact).or_default().push(h);
    }
    let mut facts = BTreeMap::new();
    for (fact, mut hs) in by_fact {
        hs.sort_by_key(|h| (h.rule, h.unit));
        let finding = match fact {
            Fact::DataCategories => categories(&hs, units, heads, rules),
            Fact::EffectiveDate => hs.iter().min_by_key(|h| h.unit).and_then(|h| {
                let date = date_after(units[h.unit].raw)?;
                Some(finding(date, &[h], units, heads, rules))
            }),
            _ => {
                let value = &rules.rules[hs[0].rule].value;
                let (same, other): (Vec<&Hit>, Vec<&Hit>) =
                    hs.iter().partition(|h| rules.rules[h.rule].value == *value);
                let mut f = finding(value.clone(), &same, units, heads, rules);
                let others: BTreeSet<&str> = other
                    .iter()
                    .map(|h| rules.rules[h.rule].value.as_str())
                    .collect();
                for o in others {
                    let q = other
                        .iter()
                        .find(|h| rules.rules[h.rule].value == o)
                        .map(|h| qualifiers(units[h.unit].raw, heads[units[h.unit].passage]))
                        .unwrap_or_default();
                    let also = if q.is_empty() {
                        format!("also says {o}")
                    } else {
                        format!("also says {o} ({q})")
                    };
                    f.note = join_note(&f.note, &also);
                }
                Some(f)
            }
        };
        if let Some(f) = finding {
            facts.insert(fact, f);
        }
    }
    Facts(facts)
}

fn categories(
    hs: &[&Hit],
    units: &[Unit<'_>],
    heads: &[&str],
    rules: &FactRules,
) -> Option<Finding> {
    let named: BTreeSet<&str> = hs
        .iter()
        .map(|h| rules.rules[h.rule].value.as_str())
        .collect();
    let keep: Vec<&str> = CATEGORIES
        .iter()
        .copied()
        .filter(|c| named.contains(c) && (*c != "other" || named.len() == 1))
        .collect();
    let mut quoting: Vec<&Hit> = Vec::new();
    let mut per_value = BTreeMap::new();
    for c in &keep {
        if let Some(h) = hs.iter().find(|h| rules.rules[h.rule].value == *c) {
            per_value.insert(c.to_string(), quoted(units[h.unit].raw).into_owned());
            if !quoting.iter().any(|q| q.unit == h.unit) {
                quoting.push(h);
            }
        }
    }
    (!keep.is_empty()).then(|| Finding {
        per_value,
        ..finding(keep.join(","), &quoting, units, heads, rules)
    })
}

fn finding(
    value: String,
    hs: &[&Hit],
    units: &[Unit<'_>],
    heads: &[&str],
    rules: &FactRules,
) -> Finding {
    let mut quotes: Vec<String> = Vec::new();
    let mut note = String::new();
    let mut in_order: Vec<&&Hit> = hs.iter().collect();
    in_order.sort_by_key(|h| h.unit);
    for h in in_order {
        let unit = &units[h.unit];
        let q = quoted(unit.raw).into_owned();
        if quotes.len() < MAX_QUOTES && !quotes.contains(&q) {
            // the note qualifies the first quote, the one the value is shown with
            if quotes.is_empty() {
                note = qualifiers(unit.raw, heads[unit.passage]);
            }
            quotes.push(q);
        }
    }
    Finding {
        value,
        quotes,
        note,
        rule: hs
            .first()
            .map(|h| rules.rules[h.rule].id.clone())
            .unwrap_or_default(),
        per_value: BTreeMap::new(),
    }
}

fn join_note(note: &str, more: &str) -> String {
    if more.is_empty() || note.split("; ").any(|n| n == more) {
        note.to_string()
    } else if note.is_empty() {
        more.to_string()
    } else {
        format!("{note}; {more}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_cut_where_a_new_one_starts() {
        let s: Vec<_> = sentences("We train AI (e.g., models). You can opt out. U.S. law applies, e.g. here! “Quoted” next.").collect();
        assert_eq!(
            s,
            [
                "We train AI (e.g., models).",
                "You can opt out.",
                "U.S. law applies, e.g. here!",
                "“Quoted” next."
            ]
        );
        assert_eq!(
            sentences("No stop at all").collect::<Vec<_>>(),
            ["No stop at all"]
        );
        assert_eq!(
            sentences("Gültig ab 21. August 2026. Wir nutzen z. B. Beiträge. Ende.")
                .collect::<Vec<_>>(),
            [
                "Gültig ab 21. August 2026.",
                "Wir nutzen z. B. Beiträge.",
                "Ende."
            ]
        );
    }

    #[test]
    fn passages_are_paragraphs_lists_and_table_rows() {
        let text = "We train AI models on:\n- your posts\n- your profile\nAn unrelated paragraph.\n| | Purpose | Data | | To train AI | Posts | | Ads | Profile |";
        let (cells, heads) = cells(text);
        let passage = |s: &str| cells.iter().find(|c| c.text.contains(s)).map(|c| c.passage);
        assert_eq!(passage("your posts"), passage("We train"));
        assert_eq!(passage("your profile"), passage("We train"));
        assert_ne!(passage("unrelated"), passage("We train"));
        assert_eq!(passage("Posts"), passage("To train AI"));
        assert_ne!(passage("Profile"), passage("To train AI"));
        assert!(heads.len() >= 4, "{heads:?}");
    }
}
