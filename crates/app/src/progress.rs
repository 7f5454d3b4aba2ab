//! Progress of long work, reported to whoever is watching (a progress bar on the CLI, nothing in tests).
pub trait Progress: Send + Sync {
    /// A new phase of `total` units (bytes, rows), or of unknown length.
    fn start(&self, label: &str, total: Option<u64>);
    fn set(&self, done: u64);
    fn finish(&self);
}

pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _label: &str, _total: Option<u64>) {}
    fn set(&self, _done: u64) {}
    fn finish(&self) {}
}
