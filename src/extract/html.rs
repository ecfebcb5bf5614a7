//! The DOM walk: selected elements -> structured text.
//!
//! Headings, paragraphs, list items and table rows each become one line (headings prefixed
//! with `#`s, list items with `- `, table cells joined with ` | `); inline markup, link targets
//! and attributes (where LinkedIn's per-request ids live) never reach the text. Scripts, styles,
//! templates and similar non-content are skipped. `hidden` and `aria-hidden` elements are
//! skipped only when they hold no paragraph-level content: LinkedIn ships its collapsed policy
//! sections (`expandable-section__content`, help-centre `collapsible__body`) as hidden or
//! aria-hidden, and those are the document, not chrome.

use std::sync::LazyLock;

use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
use scraper::{Html, Node, Selector};

use super::normalize::{is_invisible, is_nfc, normalize_line};
use super::{ExtractError, Rules};

const SKIPPED: &[&str] = &[
    "script", "style", "template", "noscript", "head", "iframe", "object", "embed", "svg",
    "canvas", "math", "select", "input", "textarea", "img", "video", "audio", "picture",
];
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
];
const PARAGRAPH_LEVEL: &str = "p, li, h1, h2, h3, h4, h5, h6, table, dd, dt, blockquote, pre";

#[allow(clippy::expect_used)]
static PARAGRAPHS: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse(PARAGRAPH_LEVEL).expect("constant selector parses"));

/// A page with a password field is a login or sign-up wall: a policy page never has one.
/// (`input[type="password" i], input[name="session_key"], input[name="session_password"]`,
/// as one pass over the nodes rather than three selector matches against every element.)
pub(super) fn is_login_wall(doc: &Html) -> bool {
    doc.tree.root().descendants().any(|n| {
        n.value().as_element().is_some_and(|el| {
            el.name() == "input"
                && (el
                    .attr("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("password"))
                    || el
                        .attr("name")
                        .is_some_and(|n| n == "session_key" || n == "session_password"))
        })
    })
}

/// Node ids, sorted for binary search: a handful of selected or removed elements per page.
struct NodeSet(Vec<NodeId>);

impl NodeSet {
    fn new(mut ids: Vec<NodeId>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        Self(ids)
    }

    fn contains(&self, id: NodeId) -> bool {
        self.0.binary_search(&id).is_ok()
    }
}

/// The structured text under every `select` match, minus `remove` matches.
pub(super) fn select_text(doc: &Html, rules: &Rules) -> Result<String, ExtractError> {
    let mut selected = Vec::new();
    for sel in &rules.select {
        let before = selected.len();
        selected.extend(doc.select(&sel.selector).map(|e| e.id()));
        if selected.len() == before {
            return Err(ExtractError::SelectorMissed(sel.source().to_string()));
        }
    }
    let selected = NodeSet::new(selected);
    let removed = NodeSet::new(
        rules
            .remove
            .iter()
            .flat_map(|sel| doc.select(&sel.selector).map(|e| e.id()))
            .collect(),
    );
    let mut w = Writer::default();
    find_selected(*doc.root_element(), &selected, &removed, &mut w);
    w.break_line();
    Ok(w.out)
}

/// The structured text of an HTML fragment (a feed item's summary or content).
pub(super) fn fragment_text(fragment: &str) -> Result<String, ExtractError> {
    let doc = super::parse::fragment(fragment)?;
    let mut w = Writer::default();
    write_node(*doc.root_element(), &NodeSet(Vec::new()), &mut w);
    w.break_line();
    Ok(w.out)
}

/// Walks down to each selected element, in document order, without entering one twice.
/// Iterative, like every walk here: a deep tree must not exhaust the thread's stack.
fn find_selected(root: NodeRef<'_, Node>, selected: &NodeSet, removed: &NodeSet, w: &mut Writer) {
    let mut edges = root.traverse();
    while let Some(edge) = edges.next() {
        if let Edge::Open(node) = edge
            && selected.contains(node.id())
        {
            write_node(node, removed, w);
            w.break_line();
            skip_subtree(&mut edges, node.id());
        }
    }
}

/// Advances a traversal past the end of the subtree it has just opened.
fn skip_subtree<'a>(edges: &mut impl Iterator<Item = Edge<'a, Node>>, id: NodeId) {
    for edge in edges.by_ref() {
        if matches!(edge, Edge::Close(n) if n.id() == id) {
            return;
        }
    }
}

/// Writes one element's text: blocks become lines, skipped and removed elements vanish.
fn write_node(root: NodeRef<'_, Node>, removed: &NodeSet, w: &mut Writer) {
    let mut edges = root.traverse();
    while let Some(edge) = edges.next() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Text(t) => w.text(t),
                Node::Element(el) => {
                    let name = el.name();
                    if !is_written(node, el, removed) {
                        skip_subtree(&mut edges, node.id());
                        continue;
                    }
                    match name {
                        "br" => w.break_line(),
                        "td" | "th" => w.cell(),
                        _ => {}
                    }
                    if BLOCKS.contains(&name) {
                        w.break_line();
                        if let Some(level) = heading_level(name) {
                            w.prefix = HEADING_PREFIXES[level - 1];
                        } else if name == "li" {
                            w.prefix = "- ";
                        }
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(el) = node.value()
                    && BLOCKS.contains(&el.name())
                {
                    w.break_line();
                    w.prefix = "";
                }
            }
        }
    }
}

/// Whether an element's content reaches the text: not removed, not non-content, and not
/// hidden chrome (hidden elements that hold paragraphs are collapsed policy sections).
fn is_written(node: NodeRef<'_, Node>, el: &scraper::node::Element, removed: &NodeSet) -> bool {
    if removed.contains(node.id()) || SKIPPED.contains(&el.name()) {
        return false;
    }
    let hidden = el.attr("hidden").is_some()
        || el
            .attr("aria-hidden")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    !hidden || holds_paragraphs(node)
}

fn holds_paragraphs(node: NodeRef<'_, Node>) -> bool {
    scraper::ElementRef::wrap(node).is_some_and(|e| e.select(&PARAGRAPHS).next().is_some())
}

fn heading_level(name: &str) -> Option<usize> {
    match name.as_bytes() {
        [b'h', d @ b'1'..=b'6'] => Some(usize::from(d - b'0')),
        _ => None,
    }
}

const HEADING_PREFIXES: [&str; 6] = ["# ", "## ", "### ", "#### ", "##### ", "###### "];

/// Accumulates lines into `out` (joined by newlines), collapsing whitespace (NBSP included)
/// as it goes.
#[derive(Default)]
struct Writer {
    out: String,
    cur: String,
    space: bool,
    prefix: &'static str,
}

impl Writer {
    fn text(&mut self, s: &str) {
        // Runs of plain ASCII words are copied whole; anything else goes char by char.
        let mut rest = s;
        while !rest.is_empty() {
            let word = rest
                .bytes()
                .position(|b| !b.is_ascii_graphic())
                .unwrap_or(rest.len());
            if word > 0 {
                if self.space && !self.cur.is_empty() {
                    self.cur.push(' ');
                }
                self.space = false;
                self.cur.push_str(&rest[..word]);
                rest = &rest[word..];
                continue;
            }
            let Some(c) = rest.chars().next() else { break };
            if c.is_whitespace() {
                self.space = true;
            } else if !is_invisible(c) {
                if self.space && !self.cur.is_empty() {
                    self.cur.push(' ');
                }
                self.space = false;
                self.cur.push(c);
            }
            rest = &rest[c.len_utf8()..];
        }
    }

    fn cell(&mut self) {
        if !self.cur.is_empty() {
            self.cur.push_str(" |");
            self.space = true;
        }
    }

    fn break_line(&mut self) {
        if !self.cur.is_empty() {
            if !self.out.is_empty() {
                self.out.push('\n');
            }
            // `cur` is collapsed already: only a line that is not plainly NFC needs the full pass.
            if is_nfc(&self.cur) {
                self.out.push_str(self.prefix);
                self.out.push_str(&self.cur);
            } else {
                self.out
                    .push_str(&normalize_line(&format!("{}{}", self.prefix, self.cur)));
            }
            self.prefix = "";
        }
        self.cur.clear();
        self.space = false;
    }
}
