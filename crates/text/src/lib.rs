//! Name text processing for `sanctions`: the same code at index time and at query time.
//!
//! - [`fold`] / [`fold_into`]: Unicode normalisation, transliteration, case folding, mark
//!   stripping, punctuation unification, to lowercase ASCII words.
//! - [`detect_script`]: which writing system a string uses.
//! - [`to_latin`]: transliteration of Arabic-script (Arabic, Persian, Pashto, Urdu) and
//!   Cyrillic (Russian, Ukrainian, Belarusian...), Greek, Armenian and Georgian text to Latin,
//!   built in.
#![deny(missing_docs)]

mod normalize;
mod script;
mod translit;

pub use normalize::{fold, fold_into};
pub use script::detect_script;
pub use translit::to_latin;
