//! Finding a unit by its code, as every context addresses units.
use caucus_store::organisation::units::{self, Unit};

use crate::{App, AppError, Result};

/// The unit with this code (as the API addresses units), or not found.
pub async fn find_unit(app: &App, code: &str) -> Result<Unit> {
    units::find_current(&app.store, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("unit {code}")))
}
