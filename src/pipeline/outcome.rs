//! How a check ended: one typed [`Outcome`] per check, and a typed [`CheckError`] that knows
//! whether trying again may help. Text is made from them only at the edge (CLI, log, mail, the
//! store's `last_error`).

use serde::Serialize;

use crate::classify::{Severity, Verdict};
use crate::config::TargetId;
use crate::diff::Change;
use crate::extract::ExtractError;
use crate::facts::summary::Plain;
use crate::fetch::FetchError;
use crate::store::{StoreFailure, VersionId};

/// The word a check's outcome is reported by (`check-now --json`'s `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// First version recorded.
    New,
    /// A new version recorded.
    Changed,
    /// Same text as the latest version (or a 304).
    Unchanged,
    /// Nothing recorded; see the error.
    Failed,
}

/// How one check ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The target's first version was recorded.
    New {
        /// The version.
        version: VersionId,
    },
    /// A new version was recorded.
    Changed {
        /// The new version.
        version: VersionId,
        /// The version before it.
        previous: VersionId,
        /// The sentence diff (none for a feed, whose change is told item by item).
        change: Option<Change>,
        /// The classifier's verdict on it.
        verdict: Verdict,
        /// Pages: the change in plain words (facts moved, summary).
        plain: Plain,
    },
    /// The page was read again and says what the stored version says.
    Unchanged {
        /// The current version.
        version: Option<VersionId>,
    },
    /// Not read again: HTTP 304, or the same bytes as the last page read.
    NotModified {
        /// The current version.
        version: Option<VersionId>,
    },
    /// Nothing was recorded but the failure.
    Failed {
        /// Why.
        error: CheckError,
        /// Failures in a row, this one included.
        consecutive_failures: u32,
    },
}

/// Why a check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The page could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The page was fetched but is not the document (selector missed, login wall, empty…).
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The database refused.
    #[error("{0}")]
    Store(#[from] StoreFailure),
    /// A worker died (a bug): the check is abandoned.
    #[error("{0}")]
    Internal(String),
}

impl CheckError {
    /// Whether the same check may well succeed later without anyone changing anything: a
    /// timeout, a 5xx, a busy database. A missed selector or a 404 is not.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Fetch(e) => e.is_transient(),
            Self::Store(e) => e.is_busy(),
            Self::Extract(_) | Self::Internal(_) => false,
        }
    }
}

/// A verdict for outcomes that have none.
static NO_VERDICT: Verdict = Verdict {
    ai_relevant: false,
    severity: Severity::None,
    matched_terms: Vec::new(),
    announcement: false,
    matches: Vec::new(),
};

/// One target's check, for output.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Target id.
    pub target: TargetId,
    /// Target name.
    pub name: String,
    /// Target URL.
    pub url: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Feeds: the number of new items.
    pub new_items: Option<usize>,
}

impl CheckReport {
    /// The outcome's word: a 304 is `unchanged`, as scripts have always read it.
    pub fn status(&self) -> Status {
        match self.outcome {
            Outcome::New { .. } => Status::New,
            Outcome::Changed { .. } => Status::Changed,
            Outcome::Unchanged { .. } | Outcome::NotModified { .. } => Status::Unchanged,
            Outcome::Failed { .. } => Status::Failed,
        }
    }

    /// The version recorded (new, changed) or current (unchanged).
    pub fn version(&self) -> Option<VersionId> {
        match self.outcome {
            Outcome::New { version } | Outcome::Changed { version, .. } => Some(version),
            Outcome::Unchanged { version } | Outcome::NotModified { version } => version,
            Outcome::Failed { .. } => None,
        }
    }

    /// The diff, for a change.
    pub fn change(&self) -> Option<&Change> {
        match &self.outcome {
            Outcome::Changed { change, .. } => change.as_ref(),
            _ => None,
        }
    }

    /// A change in plain words (an empty one otherwise).
    pub fn plain(&self) -> &Plain {
        static NONE: std::sync::LazyLock<Plain> = std::sync::LazyLock::new(Plain::default);
        match &self.outcome {
            Outcome::Changed { plain, .. } => plain,
            _ => &NONE,
        }
    }

    /// The verdict on a change (an empty one otherwise).
    pub fn verdict(&self) -> &Verdict {
        match &self.outcome {
            Outcome::Changed { verdict, .. } => verdict,
            _ => &NO_VERDICT,
        }
    }

    /// Why it failed.
    pub fn error(&self) -> Option<&CheckError> {
        match &self.outcome {
            Outcome::Failed { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_know_whether_trying_again_may_help() {
        let timeout = CheckError::Fetch(FetchError::Timeout(std::time::Duration::from_secs(1)));
        assert!(timeout.is_transient());
        assert!(!CheckError::Extract(ExtractError::LoginWall).is_transient());
        assert!(!CheckError::Fetch(FetchError::Blocked).is_transient());
        assert!(!CheckError::Internal("task died".into()).is_transient());
    }

    #[test]
    fn a_not_modified_page_reads_as_unchanged_with_its_version() {
        let r = CheckReport {
            target: TargetId::parse("pp").unwrap(),
            name: "pp".into(),
            url: "https://example.com/".into(),
            outcome: Outcome::NotModified {
                version: Some(VersionId(3)),
            },
            new_items: None,
        };
        assert_eq!(
            (r.status(), r.version()),
            (Status::Unchanged, Some(VersionId(3)))
        );
        assert!(r.change().is_none() && r.error().is_none() && !r.verdict().ai_relevant);
    }
}
