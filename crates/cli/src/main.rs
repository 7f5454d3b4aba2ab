//! The `caucus` command.
fn main() {}
