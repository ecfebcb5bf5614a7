//! Bounded HTML parsing: scraper's parser, fed in slices, refusing a document nested deeper
//! than [`MAX_DEPTH`] elements.
//!
//! html5ever's tree builder scans its stack of open elements for many start tags, so parsing is
//! quadratic in nesting depth (200,000 nested `<div>`s take minutes), and any recursive walk of
//! a deep tree overflows a thread's stack. Real documents nest a few dozen levels; a page nested
//! past the bound is refused with [`ExtractError::TooDeep`] (a failed check, never a crash).
//! The depth is measured as elements are attached, and input is fed in slices so that parsing
//! stops within one slice of the bound. Walks of the tree elsewhere in `extract` are iterative
//! as well, so the bound guards the parser's time, not the stack.

use std::borrow::Cow;
use std::cell::{Cell, Ref};

use ego_tree::NodeId;
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName, local_name, ns};
use scraper::{Html, HtmlTreeSink};

use super::ExtractError;

/// The deepest element nesting a document may have.
pub const MAX_DEPTH: usize = 512;

/// Input is fed to the parser this many bytes at a time (rounded to a character boundary).
const SLICE: usize = 16 * 1024;

/// Parses a whole document.
pub(super) fn document(page: &str) -> Result<Html, ExtractError> {
    let sink = DepthSink::new(HtmlTreeSink::new(Html::new_document()));
    feed(
        html5ever::driver::parse_document(sink, Default::default()),
        page,
    )
}

/// Parses a fragment in a `<body>` context (a feed item's HTML).
pub(super) fn fragment(fragment: &str) -> Result<Html, ExtractError> {
    let sink = DepthSink::new(HtmlTreeSink::new(Html::new_fragment()));
    let context = QualName::new(None, ns!(html), local_name!("body"));
    let parser =
        html5ever::driver::parse_fragment(sink, Default::default(), context, Vec::new(), false);
    feed(parser, fragment)
}

fn feed(
    mut parser: html5ever::driver::Parser<DepthSink>,
    input: &str,
) -> Result<Html, ExtractError> {
    let mut rest = input;
    while !rest.is_empty() {
        let mut end = rest.len().min(SLICE);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        parser.process(StrTendril::from_slice(&rest[..end]));
        rest = &rest[end..];
        if parser.tokenizer.sink.sink.too_deep.get() {
            return Err(ExtractError::TooDeep { max: MAX_DEPTH });
        }
    }
    let (html, too_deep) = parser.finish();
    if too_deep {
        return Err(ExtractError::TooDeep { max: MAX_DEPTH });
    }
    Ok(html)
}

/// scraper's sink, measuring how deep each appended element lands.
struct DepthSink {
    inner: HtmlTreeSink,
    too_deep: Cell<bool>,
}

impl DepthSink {
    fn new(inner: HtmlTreeSink) -> Self {
        Self {
            inner,
            too_deep: Cell::new(false),
        }
    }

    fn measure(&self, parent: NodeId) {
        if self.too_deep.get() {
            return;
        }
        let html = self.inner.0.borrow();
        let depth = html
            .tree
            .get(parent)
            .map_or(0, |p| p.ancestors().take(MAX_DEPTH).count() + 1);
        if depth >= MAX_DEPTH {
            self.too_deep.set(true);
        }
    }
}

impl TreeSink for DepthSink {
    type Output = (Html, bool);
    type Handle = NodeId;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Self::Output {
        let too_deep = self.too_deep.get();
        (self.inner.finish(), too_deep)
    }
    fn parse_error(&self, msg: Cow<'static, str>) {
        self.inner.parse_error(msg);
    }
    fn get_document(&self) -> NodeId {
        self.inner.get_document()
    }
    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Ref<'a, QualName> {
        self.inner.elem_name(target)
    }
    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        self.inner.create_element(name, attrs, flags)
    }
    fn create_comment(&self, text: StrTendril) -> NodeId {
        self.inner.create_comment(text)
    }
    fn create_pi(&self, target: StrTendril, data: StrTendril) -> NodeId {
        self.inner.create_pi(target, data)
    }
    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        if matches!(child, NodeOrText::AppendNode(_)) {
            self.measure(*parent);
        }
        self.inner.append(parent, child);
    }
    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        self.inner
            .append_based_on_parent_node(element, prev_element, child);
    }
    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.inner
            .append_doctype_to_document(name, public_id, system_id);
    }
    fn mark_script_already_started(&self, node: &NodeId) {
        self.inner.mark_script_already_started(node);
    }
    fn pop(&self, node: &NodeId) {
        self.inner.pop(node);
    }
    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        self.inner.get_template_contents(target)
    }
    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        self.inner.same_node(x, y)
    }
    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode);
    }
    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        self.inner.append_before_sibling(sibling, new_node);
    }
    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        self.inner.add_attrs_if_missing(target, attrs);
    }
    fn associate_with_form(
        &self,
        target: &NodeId,
        form: &NodeId,
        nodes: (&NodeId, Option<&NodeId>),
    ) {
        self.inner.associate_with_form(target, form, nodes);
    }
    fn remove_from_parent(&self, target: &NodeId) {
        self.inner.remove_from_parent(target);
    }
    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        self.inner.reparent_children(node, new_parent);
    }
    fn is_mathml_annotation_xml_integration_point(&self, handle: &NodeId) -> bool {
        self.inner
            .is_mathml_annotation_xml_integration_point(handle)
    }
    fn set_current_line(&self, line_number: u64) {
        self.inner.set_current_line(line_number);
    }
    fn allow_declarative_shadow_roots(&self, intended_parent: &NodeId) -> bool {
        self.inner.allow_declarative_shadow_roots(intended_parent)
    }
    fn attach_declarative_shadow(
        &self,
        location: &NodeId,
        template: &NodeId,
        attrs: &[Attribute],
    ) -> bool {
        self.inner
            .attach_declarative_shadow(location, template, attrs)
    }
    fn maybe_clone_an_option_into_selectedcontent(&self, option: &NodeId) {
        self.inner
            .maybe_clone_an_option_into_selectedcontent(option);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!(
            "<html><body><main>{}Text.{}</main></body></html>",
            "<div>".repeat(levels),
            "</div>".repeat(levels)
        )
    }

    #[test]
    fn ordinary_nesting_parses_like_scraper() {
        let page = nested(100);
        let ours = document(&page).unwrap();
        assert_eq!(ours.html(), Html::parse_document(&page).html());
    }

    #[test]
    fn nesting_past_the_bound_is_refused() {
        assert_eq!(
            document(&nested(MAX_DEPTH + 10)).unwrap_err(),
            ExtractError::TooDeep { max: MAX_DEPTH }
        );
        let unclosed = format!("<p>{}", "<span>".repeat(MAX_DEPTH * 4));
        assert!(matches!(
            fragment(&unclosed),
            Err(ExtractError::TooDeep { .. })
        ));
    }

    #[test]
    fn multibyte_text_across_slice_boundaries_is_kept_whole() {
        let text = "é€😀".repeat(SLICE);
        let doc = fragment(&format!("<p>{text}</p>")).unwrap();
        assert_eq!(doc.root_element().text().collect::<String>(), text);
    }
}
