//! Units looked up by id once per run: whole-register passes meet the same few hundred CLPs and
//! branches again and again, so each is read from the store the first time only.
use crate::Result;
use caucus_store::organisation::units::{self, Unit};
use caucus_store::Store;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct UnitNames {
    seen: HashMap<i64, Option<Unit>>,
}

impl UnitNames {
    /// The unit with this id, or `None` if there is none.
    pub async fn get(&mut self, store: &Store, id: i64) -> Result<Option<&Unit>> {
        if let Entry::Vacant(e) = self.seen.entry(id) {
            e.insert(units::get(store, id).await?);
        }
        Ok(self.seen.get(&id).and_then(Option::as_ref))
    }

    /// The unit's code, or the empty string for none.
    pub async fn code(&mut self, store: &Store, id: Option<i64>) -> Result<String> {
        Ok(match id {
            Some(id) => self
                .get(store, id)
                .await?
                .map(|u| u.code.clone())
                .unwrap_or_default(),
            None => String::new(),
        })
    }
}
