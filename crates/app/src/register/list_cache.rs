//! Pages of membership lists with their flags, kept while the register stands still. Working out a
//! page reads fifty members and their histories and judges each against the rules; officers reading
//! a unit page again (or a list as the API pages through it) would do it all again for the same
//! answer. A page depends only on the register, the day (flags change as periods run out) and the
//! rulebook (fixed while the process runs), so it is kept under the audit chain's head (its number
//! and hash) and the date: every change to the register appends an audit event, which moves the
//! head, which retires every kept page at once, whichever process made the change. The reader's
//! authority is not part of a page: it is checked, and the read logged, on every request before a
//! kept page is handed out.
//!
//! Written by hand rather than with a caching crate: the only eviction needed is "all at once" (on a
//! new head or day) or "all at once when full", so a map behind a mutex is the whole of it.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use time::Date;

use crate::register::listed::{ListCursor, ListedMember};

/// The most pages kept for one state of the register: a page of 50 members with their histories and
/// reasons is some 50 KB, so at most about 12 MB.
const CAPACITY: usize = 256;

/// The state of the register a page was read in: the audit chain's head and the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub head_seq: i64,
    pub head_hash: String,
    pub today: Date,
}

/// Which page of which unit's list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub unit_id: i64,
    pub after: Option<ListCursor>,
    pub limit: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ListCache {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    version: Option<Version>,
    pages: HashMap<PageKey, Arc<[ListedMember]>>,
}

impl ListCache {
    /// The page as read in `version`, if it was kept.
    pub fn get(&self, version: &Version, key: &PageKey) -> Option<Arc<[ListedMember]>> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.version.as_ref() != Some(version) {
            return None;
        }
        state.pages.get(key).cloned()
    }

    /// Keeps a page read in `version`. A page of any other version than the one kept retires every
    /// page kept. (Two requests either side of a change may take turns at this; neither is ever
    /// handed the other's page, since `get` asks for its own version exactly.)
    pub fn put(&self, version: Version, key: PageKey, page: Arc<[ListedMember]>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.version.as_ref() != Some(&version) || state.pages.len() >= CAPACITY {
            state.version = Some(version);
            state.pages.clear();
        }
        state.pages.insert(key, page);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn key(unit_id: i64) -> PageKey {
        PageKey {
            unit_id,
            after: None,
            limit: 50,
        }
    }

    fn page() -> Arc<[ListedMember]> {
        Arc::from(Vec::new())
    }

    fn version(head_seq: i64, head_hash: &str, today: Date) -> Version {
        Version {
            head_seq,
            head_hash: head_hash.into(),
            today,
        }
    }

    #[test]
    fn a_page_is_kept_for_its_version_only() {
        let cache = ListCache::default();
        let today = date!(2026 - 11 - 23);
        let v = version(7, "a", today);
        assert!(cache.get(&v, &key(1)).is_none());
        cache.put(v.clone(), key(1), page());
        assert!(cache.get(&v, &key(1)).is_some());
        assert!(cache.get(&v, &key(2)).is_none());
        // A change to the register, a register restored to the same number, or the next day.
        assert!(cache.get(&version(8, "b", today), &key(1)).is_none());
        assert!(cache.get(&version(7, "c", today), &key(1)).is_none());
        assert!(cache
            .get(&version(7, "a", date!(2026 - 11 - 24)), &key(1))
            .is_none());
    }

    #[test]
    fn another_version_retires_every_page() {
        let cache = ListCache::default();
        let today = date!(2026 - 11 - 23);
        let (old, new) = (version(7, "a", today), version(8, "b", today));
        cache.put(old.clone(), key(1), page());
        cache.put(new.clone(), key(2), page());
        assert!(cache.get(&old, &key(1)).is_none());
        assert!(cache.get(&new, &key(1)).is_none());
        assert!(cache.get(&new, &key(2)).is_some());
        // A slow request from before the change keeps its page under its own version only.
        cache.put(old.clone(), key(3), page());
        assert!(cache.get(&new, &key(3)).is_none());
        assert!(cache.get(&new, &key(2)).is_none());
        assert!(cache.get(&old, &key(3)).is_some());
    }

    #[test]
    fn a_full_cache_starts_again_rather_than_growing() {
        let cache = ListCache::default();
        let v = version(1, "a", date!(2026 - 11 - 23));
        for unit in 0..CAPACITY as i64 {
            cache.put(v.clone(), key(unit), page());
        }
        assert!(cache.get(&v, &key(0)).is_some());
        cache.put(v.clone(), key(-1), page());
        assert!(cache.get(&v, &key(0)).is_none());
        assert!(cache.get(&v, &key(-1)).is_some());
    }
}
