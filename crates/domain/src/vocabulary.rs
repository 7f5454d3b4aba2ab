//! Fixed vocabularies (statuses, kinds, methods) spelled one way in the CSV files, the database and
//! the API. `spelled_enum!` gives each its `as_str`, `parse` (with a clear error) and `Display`.

/// A value outside a fixed vocabulary, with the words that would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{value}' (expected one of: {expected})")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub expected: String,
}

/// Declares an enum whose variants have one spelling each.
#[macro_export]
macro_rules! spelled_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Result<$name, $crate::vocabulary::UnknownValue> {
                match text.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::vocabulary::UnknownValue {
                        what: $what,
                        value: other.to_string(),
                        expected: vec![$($text),+].join(", "),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
