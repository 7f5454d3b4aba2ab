//! What a unit's membership list is made of, shared by reading it (`records`) and keeping its pages
//! (`list_cache`): a member on the list with their flags, and the cursor a page goes on from.
use caucus_domain::register::eligibility::ListFlags;
use caucus_store::register::members::ListedRow;

use crate::{AppError, Result};

/// Where a unit's membership list goes on from: the last member shown, by postcode and id (the
/// list's order). Its text is opaque to readers: the postcode in hex, a dot, the id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListCursor {
    pub postcode: String,
    pub id: i64,
}

impl ListCursor {
    pub fn parse(text: &str) -> Result<ListCursor> {
        let bad = || AppError::Invalid(format!("'{text}' is not a cursor from a previous page"));
        let (postcode, id) = text.split_once('.').ok_or_else(bad)?;
        let postcode = hex::decode(postcode)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(bad)?;
        let id = id.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(bad)?;
        Ok(ListCursor { postcode, id })
    }

    pub fn text(&self) -> String {
        format!("{}.{}", hex::encode(&self.postcode), self.id)
    }
}

/// A member on a list: who they are and their flags (can attend, vote, hold office) today.
#[derive(Debug, Clone)]
pub struct ListedMember {
    pub member: ListedRow,
    pub flags: ListFlags,
}
