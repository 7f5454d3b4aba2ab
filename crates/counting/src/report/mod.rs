//! Printing a result: a text sheet a returning officer would recognise, the JSON of SPEC 5.4,
//! and a self-contained HTML page with an SVG chart of the rounds (no script, no external assets).

pub mod html;
pub mod json;
pub mod text;

pub use html::html;
pub use json::json;
pub use text::text;
