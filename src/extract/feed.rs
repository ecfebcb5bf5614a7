//! Feeds: RSS 0.9x/1.0/2.0, Atom 1.0 and JSON Feed (feed-rs) -> a stable list of items.
//!
//! Each item is identified by its guid/id, else its link (else its title); relative links are
//! resolved against the feed's URL; summary and content are reduced to text with the same
//! structure rules as pages. Items are sorted by id, so a feed that only reorders is unchanged.
//!
//! A version of a feed is the items written in a canonical text form ([`feed_text`]) that reads
//! well in `show` and `diff` and parses back ([`parse_feed_text`]) for item-by-item comparison:
//! header lines start at column 0, item text is indented, so no item text can pass for a header.

use url::Url;

use super::ExtractError;
use super::html::fragment_text;
use super::normalize::normalize_line;

/// One feed item, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedItem {
    /// guid/id, else link, else title.
    pub id: String,
    /// Title (may be empty).
    pub title: String,
    /// Link, absolute (may be empty).
    pub link: String,
    /// Published, else updated, RFC 3339 (may be empty).
    pub date: String,
    /// Summary then content, as lines of text.
    pub text: String,
}

impl FeedItem {
    /// Title and text together, as classification reads an item.
    pub fn full_text(&self) -> String {
        if self.text.is_empty() {
            self.title.clone()
        } else {
            format!("{}\n{}", self.title, self.text)
        }
    }
}

fn one_line(s: &str) -> String {
    normalize_line(&s.replace(['\r', '\n'], " "))
}

/// The text of an item's HTML. Markup nested past the parser's bound (a hostile item) is not
/// parsed: its tags are dropped and the rest kept, so one item can neither crash nor silence
/// the feed.
fn html_text(html: &str) -> String {
    fragment_text(html).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "feed item markup not parsed; its tags were dropped");
        strip_tags(html)
    })
}

/// Text with everything between `<` and `>` dropped: linear, for markup that is not parsed.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.lines()
        .map(normalize_line)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn text_of(t: &feed_rs::model::Text) -> String {
    if t.content_type.subty() == "html" || t.content_type.subty() == "xhtml" {
        html_text(&t.content)
    } else {
        t.content
            .lines()
            .map(normalize_line)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Parses a feed; keeps the `max_items` newest items (by date, then id), sorted by id.
pub fn parse_feed(
    body: &[u8],
    base: &Url,
    max_items: usize,
) -> Result<Vec<FeedItem>, ExtractError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        .id_generator(|links, title, _| {
            // An item without guid/id is known by its link, else by its title.
            links
                .first()
                .map(|l| l.href.clone())
                .or_else(|| title.as_ref().map(|t| one_line(&t.content)))
                .unwrap_or_default()
        })
        .build();
    let feed = parser
        .parse(body)
        .map_err(|e| ExtractError::Feed(e.to_string()))?;
    let mut items: Vec<FeedItem> = feed
        .entries
        .into_iter()
        .map(|e| {
            let link = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or(e.links.first())
                .map(|l| l.href.clone())
                .unwrap_or_default();
            let mut text: Vec<String> = Vec::new();
            if let Some(s) = &e.summary {
                text.push(text_of(s));
            }
            if let Some(body) = e.content.as_ref().and_then(|c| c.body.as_ref()) {
                let t = html_text(body);
                if !text.contains(&t) {
                    text.push(t);
                }
            }
            FeedItem {
                id: one_line(&e.id),
                title: e
                    .title
                    .as_ref()
                    .map(|t| one_line(&html_text(&t.content)))
                    .unwrap_or_default(),
                link: one_line(&link),
                date: e
                    .published
                    .or(e.updated)
                    .map(|d| d.to_rfc3339())
                    .unwrap_or_default(),
                text: text
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n"),
            }
        })
        .collect();
    let read = items.len();
    items.retain(|i| !i.id.is_empty());
    if items.len() < read {
        tracing::warn!(
            skipped = read - items.len(),
            "feed items with no guid, link or title were skipped"
        );
    }
    if items.is_empty() {
        return Err(ExtractError::Feed(
            "the feed has no items: empty or not the feed".into(),
        ));
    }
    items.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.id.cmp(&b.id)));
    items.truncate(max_items);
    items.sort_by(|a, b| a.id.cmp(&b.id));
    let kept = items.len();
    items.dedup_by(|a, b| a.id == b.id);
    if items.len() < kept {
        tracing::warn!(
            duplicates = kept - items.len(),
            "feed items sharing a guid were kept once (the newest)"
        );
    }
    Ok(items)
}

/// The canonical text of a feed version.
pub fn feed_text(items: &[FeedItem]) -> String {
    let mut out = String::new();
    for i in items {
        out.push_str(&format!(
            "[item] {}\ntitle: {}\nlink: {}\ndate: {}\n",
            i.id, i.title, i.link, i.date
        ));
        for line in i.text.lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}

/// Reads [`feed_text`] back.
pub fn parse_feed_text(text: &str) -> Vec<FeedItem> {
    let mut items: Vec<FeedItem> = Vec::new();
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("[item] ") {
            items.push(FeedItem {
                id: id.to_string(),
                title: String::new(),
                link: String::new(),
                date: String::new(),
                text: String::new(),
            });
            continue;
        }
        let Some(item) = items.last_mut() else {
            continue;
        };
        if let Some(t) = line.strip_prefix("  ") {
            if !item.text.is_empty() {
                item.text.push('\n');
            }
            item.text.push_str(t);
        } else if let Some(v) = line.strip_prefix("title: ") {
            item.title = v.to_string();
        } else if let Some(v) = line.strip_prefix("link: ") {
            item.link = v.to_string();
        } else if let Some(v) = line.strip_prefix("date: ") {
            item.date = v.to_string();
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://news.example.com/feed").unwrap()
    }

    const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
      <item><guid>a-1</guid><title>Q3 results &amp; outlook</title><link>/2025/q3</link>
        <description><![CDATA[<p>Revenue grew. <b>Members</b> up.</p>]]></description>
        <pubDate>Tue, 02 Sep 2025 10:00:00 GMT</pubDate></item>
      <item><title>No guid here</title><link>https://news.example.com/2025/no-guid</link>
        <description>Plain text, with an entity &#8212; dash.</description></item>
    </channel></rss>"#;

    #[test]
    fn rss_items_with_cdata_entities_relative_links_and_no_guid() {
        let items = parse_feed(RSS.as_bytes(), &base(), 100).unwrap();
        assert_eq!(items.len(), 2);
        let a = items.iter().find(|i| i.id == "a-1").unwrap();
        assert_eq!(a.title, "Q3 results & outlook");
        assert_eq!(a.link, "https://news.example.com/2025/q3");
        assert_eq!(a.text, "Revenue grew. Members up.");
        assert!(a.date.starts_with("2025-09-02T10:00:00"));
        let b = items.iter().find(|i| i.title == "No guid here").unwrap();
        assert_eq!(b.id, "https://news.example.com/2025/no-guid");
        assert_eq!(b.text, "Plain text, with an entity \u{2014} dash.");
    }

    #[test]
    fn atom_items_and_a_round_trip_through_the_canonical_text() {
        let atom = r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
          <title>Blog</title><id>urn:blog</id><updated>2025-11-03T00:00:00Z</updated>
          <entry><id>urn:post:2</id><title type="html">Our &lt;em&gt;new&lt;/em&gt; AI terms</title>
            <link href="posts/2"/><updated>2025-11-03T00:00:00Z</updated>
            <content type="html">&lt;p&gt;We now train models.&lt;/p&gt;&lt;ul&gt;&lt;li&gt;One&lt;/li&gt;&lt;/ul&gt;</content></entry>
        </feed>"#;
        let items = parse_feed(atom.as_bytes(), &base(), 100).unwrap();
        assert_eq!(items[0].title, "Our new AI terms");
        assert_eq!(items[0].link, "https://news.example.com/posts/2");
        assert_eq!(items[0].text, "We now train models.\n- One");
        let text = feed_text(&items);
        assert_eq!(parse_feed_text(&text), items);
    }

    #[test]
    fn markup_nested_past_the_bound_in_an_item_keeps_its_words() {
        let deep = "&lt;b&gt;".repeat(3_000);
        let rss = format!(
            r#"<rss version="2.0"><channel><title>x</title><item><guid>d-1</guid>
              <title>{deep}We train AI</title><description>{deep}on your posts.</description></item></channel></rss>"#
        );
        let items = parse_feed(rss.as_bytes(), &base(), 10).unwrap();
        assert_eq!(items[0].title, "We train AI");
        assert_eq!(items[0].text, "on your posts.");
    }

    #[test]
    fn order_does_not_matter_and_the_newest_are_kept() {
        let swapped = RSS.replace("<item><guid>a-1</guid>", "<item><guid>a-0</guid><title>Old</title><pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item><item><guid>a-1</guid>");
        let all = parse_feed(swapped.as_bytes(), &base(), 100).unwrap();
        assert_eq!(all.len(), 3);
        let capped = parse_feed(swapped.as_bytes(), &base(), 1).unwrap();
        assert_eq!(
            capped.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            vec!["a-1"]
        );
    }

    #[test]
    fn malformed_and_empty_feeds_are_errors() {
        assert!(matches!(
            parse_feed(b"<rss><channel><item>", &base(), 10),
            Err(ExtractError::Feed(_))
        ));
        assert!(matches!(
            parse_feed(b"<html><body>Sign in</body></html>", &base(), 10),
            Err(ExtractError::Feed(_))
        ));
        let empty = r#"<rss version="2.0"><channel><title>x</title></channel></rss>"#;
        assert!(
            parse_feed(empty.as_bytes(), &base(), 10)
                .unwrap_err()
                .to_string()
                .contains("no items")
        );
    }
}
