//! What the organisation's records allow: the directory of units holds no personal data, so every
//! role in force reads it.
use crate::access::grants::Grant;
use crate::decision::Reason;
use crate::rulebook::ACCESS_GRANTS;

/// The directory of units, under any grant in force.
pub fn read_unit(grant: &Grant) -> Result<Reason, Reason> {
    Ok(Reason::new(
        ACCESS_GRANTS,
        format!("{} allows reading the directory of units", grant.describe()),
    ))
}
