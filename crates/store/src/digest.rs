//! The digest used throughout the audit log and of the rows it records: SHA-256 as lower-case hex.
//! On its own so that the audit chain and the tables it records (members) can both take it.
use sha2::{Digest, Sha256};

/// SHA-256 of some bytes, as lower-case hex: the digest used throughout the log.
pub fn digest(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(bytes.as_ref()))
}
