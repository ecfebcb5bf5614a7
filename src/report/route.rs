//! Routes: every page and feed of the site, and its path (the same on disk and served).

use crate::config::TargetId;
use crate::store::VersionId;

/// A page or feed of the site.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Route {
    /// Every target with its last check and change, and the notifications.
    Overview,
    /// What each document says about members' data and AI.
    Facts,
    /// Notifications: pending, sent and failed.
    Outbox,
    /// A target's versions and changes.
    Target(TargetId),
    /// A target's latest text.
    Document(TargetId),
    /// A change: the version recorded and the one before.
    Change(TargetId, VersionId),
    /// The Atom feed of every change.
    Feed,
    /// The Atom feed of AI-relevant changes.
    AiFeed,
    /// The Atom feed of one target's changes.
    TargetFeed(TargetId),
}

impl Route {
    /// The path from the site's root (no leading slash).
    pub fn path(&self) -> String {
        match self {
            Self::Overview => "index.html".into(),
            Self::Facts => "facts.html".into(),
            Self::Outbox => "outbox.html".into(),
            Self::Target(id) => format!("targets/{id}.html"),
            Self::Document(id) => format!("documents/{id}.html"),
            Self::Change(id, v) => format!("changes/{id}-v{v}.html"),
            Self::Feed => "feed.atom".into(),
            Self::AiFeed => "feed/ai.atom".into(),
            Self::TargetFeed(id) => format!("targets/{id}/feed.atom"),
        }
    }

    /// The route of a path (a leading slash and `/` for the overview are accepted). Anything
    /// else, a target id that is not one (`..`, `%2e`, slashes) or a version that is not a
    /// number, is no route.
    pub fn parse(path: &str) -> Option<Self> {
        let path = path.strip_prefix('/').unwrap_or(path);
        let id = |s: &str| TargetId::parse(s).ok();
        Some(match path {
            "" | "index.html" => Self::Overview,
            "facts.html" => Self::Facts,
            "outbox.html" => Self::Outbox,
            "feed.atom" => Self::Feed,
            "feed/ai.atom" => Self::AiFeed,
            _ => {
                let (dir, file) = path.split_once('/')?;
                match (dir, file.strip_suffix(".html")) {
                    ("targets", Some(t)) => Self::Target(id(t)?),
                    ("documents", Some(t)) => Self::Document(id(t)?),
                    ("changes", Some(c)) => {
                        let (t, v) = c.rsplit_once("-v")?;
                        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                            return None;
                        }
                        Self::Change(id(t)?, VersionId(v.parse().ok()?))
                    }
                    ("targets", None) => Self::TargetFeed(id(file.strip_suffix("/feed.atom")?)?),
                    _ => return None,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_parses_back_from_its_path() {
        let id = |s: &str| TargetId::parse(s).unwrap();
        for r in [
            Route::Overview,
            Route::Facts,
            Route::Outbox,
            Route::Feed,
            Route::AiFeed,
            Route::Target(id("linkedin-privacy-policy")),
            Route::Document(id("pp.de")),
            Route::Change(id("a-v2"), VersionId(13)),
            Route::TargetFeed(id("eu")),
        ] {
            assert_eq!(Route::parse(&r.path()), Some(r.clone()), "{}", r.path());
            assert_eq!(Route::parse(&format!("/{}", r.path())), Some(r));
        }
        assert_eq!(Route::parse("/"), Some(Route::Overview));
    }

    #[test]
    fn paths_that_are_not_routes_are_refused() {
        for bad in [
            "../etc/passwd",
            "targets/../index.html",
            "targets/..html",
            "targets/%2e%2e.html",
            "documents/a/b.html",
            "changes/pp-v.html",
            "changes/pp-v1x.html",
            "changes/pp-v-1.html",
            "changes/pp.html",
            "changes/pp-v99999999999999999999999.html",
            "targets/pp/feed.xml",
            "targets/PP.html",
            "targets/pp'--.html",
            "index.htm",
            "api/v1/targets",
        ] {
            assert_eq!(Route::parse(bad), None, "{bad}");
        }
    }
}
