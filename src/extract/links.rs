//! `kind = "links"`: a page's list of article links read as a feed (a blog without RSS): each
//! element that `select` matches is an item, known by its link, titled by its text. Items are
//! kept sorted by link, so a list shown in another order is no change.

use url::Url;

use super::feed::FeedItem;
use super::{CssSelector, ExtractError, parse};

/// The items of a page's link list (pure): for each element the selectors match, in page order,
/// the element itself when it is a link, else the first link inside it. Links are made
/// absolute against `base`; only http(s) links count; a link listed twice is one item.
pub fn parse_links(
    html: &str,
    base: &Url,
    select: &[CssSelector],
    max_items: usize,
) -> Result<Vec<FeedItem>, ExtractError> {
    let doc = parse::document(html)?;
    if super::html::is_login_wall(&doc) {
        return Err(ExtractError::LoginWall);
    }
    let anchor = scraper::Selector::parse("a[href]")
        .map_err(|_| ExtractError::Feed("internal selector".into()))?;
    let mut items: Vec<FeedItem> = Vec::new();
    for sel in select {
        for element in doc.select(&sel.selector) {
            let a = if element.value().name() == "a" && element.value().attr("href").is_some() {
                Some(element)
            } else {
                element.select(&anchor).next()
            };
            let Some(a) = a else { continue };
            let Some(link) = a
                .value()
                .attr("href")
                .and_then(|h| base.join(h.trim()).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
            else {
                continue;
            };
            let words = |e: scraper::ElementRef<'_>| {
                e.text()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let mut title = words(a);
            if title.is_empty() {
                title = words(element);
            }
            let id = link.to_string();
            if items.iter().any(|i| i.id == id) {
                continue;
            }
            items.push(FeedItem {
                id: id.clone(),
                title: super::visible(&title).into_owned(),
                link: id,
                date: String::new(),
                text: String::new(),
            });
            if items.len() >= max_items {
                break;
            }
        }
    }
    if items.is_empty() {
        let wanted: Vec<&str> = select.iter().map(CssSelector::source).collect();
        return Err(ExtractError::Feed(format!(
            "no link matched {wanted:?}: the page changed shape or lists nothing"
        )));
    }
    items.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(html: &str) -> Result<Vec<FeedItem>, ExtractError> {
        parse_links(
            html,
            &Url::parse("https://example.com/blog/").unwrap(),
            &[CssSelector::parse("article h2 a, li.post").unwrap()],
            100,
        )
    }

    #[test]
    fn links_are_items_made_absolute_and_order_does_not_matter() {
        let a = read("<article><h2><a href='/p/one'>One  post</a></h2></article><ul><li class=post><span>Two</span> <a href='two'>read</a></li></ul><a href='/p/elsewhere'>not listed</a>").unwrap();
        let ids: Vec<&str> = a.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(
            ids,
            ["https://example.com/blog/two", "https://example.com/p/one"]
        );
        assert_eq!(a[1].title, "One post");
        let b = read("<ul><li class=post><a href='two'>read</a></li></ul><article><h2><a href='/p/one'>One post</a></h2></article>").unwrap();
        assert_eq!(
            super::super::feed::feed_text(&a),
            super::super::feed::feed_text(&b)
        );
        assert!(read("<p>nothing</p>").is_err());
        let hostile = read("<article><h2><a href='javascript:alert(1)'>x</a></h2></article><li class=post><a href='/ok'>ok</a></li>").unwrap();
        assert_eq!(hostile.len(), 1);
    }
}
