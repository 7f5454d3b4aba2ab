//! The use cases of caucus.
