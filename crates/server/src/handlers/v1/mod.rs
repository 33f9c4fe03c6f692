//! The `/v1` API. Each route has its own file.

pub(crate) mod admin;
pub(crate) mod entities;
pub(crate) mod lists;
pub(crate) mod monitor;
pub(crate) mod openapi;
pub(crate) mod regimes;
pub(crate) mod scan;
pub(crate) mod screen;

use sanctions_engine::model::{ListVersion, Source};

use crate::error::ApiError;

/// A list id from a path: unknown lists are `not_found`.
pub(crate) fn parse_source(s: &str) -> Result<Source, ApiError> {
    s.parse::<Source>().map_err(|_| {
        let known: Vec<&str> = Source::ALL.iter().map(|s| s.as_str()).collect();
        ApiError::NotFound(format!("no list {s:?} (lists: {})", known.join(", ")))
    })
}

/// A version as clients see it: the imported files by name only, not by the server's paths.
pub(crate) fn public_version(mut v: ListVersion) -> ListVersion {
    for f in &mut v.files {
        if let Some(name) = std::path::Path::new(f.as_str()).file_name() {
            *f = name.to_string_lossy().into_owned();
        }
    }
    v
}
