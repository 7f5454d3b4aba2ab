//! Fuzzes the csv_wide reader: any bytes give a profile or one located error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    // Through the format detector, then straight into this reader.
    if let Ok(p) = caucus_counting::parse::parse(data) {
        common::count_all(&p);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = caucus_counting::parse::csv::parse_wide(text) {
            common::count_all(&p);
        }
    }
});
