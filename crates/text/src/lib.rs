//! Name text processing for `sanctions`: the same code at index time and at query time.
//!
//! - [`fold`] / [`fold_into`]: Unicode normalisation, transliteration, case folding, mark
//!   stripping, punctuation unification, to lowercase ASCII words.
//! - [`detect_script`]: which writing system a string uses.
//! - [`to_latin`]: transliteration of Arabic-script (Arabic, Persian, Pashto, Urdu) and
//!   Cyrillic (Russian, Ukrainian, Belarusian...), Greek, Armenian and Georgian text to Latin,
//!   built in.
//! - [`tokenize`]: name-aware tokens (honorifics, particles, legal forms as classes).
//! - [`skeleton`]: variant-tolerant keys (Mohammad / Muhammad / Mohamed → one key).
//! - [`country_code`]: country names and demonyms to ISO codes.
#![deny(missing_docs)]

mod country;
mod keys;
mod normalize;
mod script;
mod tokens;
mod translit;

pub use country::country_code;
pub use keys::{deletions, skeleton, skeleton_into};
pub use normalize::{fold, fold_into};
pub use script::detect_script;
pub use tokens::{Token, TokenClass, classify, tokenize, tokenize_folded, tokenize_with_script};
pub use translit::to_latin;
