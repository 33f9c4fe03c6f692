//! A short reference to a list version.

use sanctions_model::{ListVersion, PartialDate};
use serde::Serialize;

/// A list version by id and publication date, as diff and history results quote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct VersionRef {
    /// Store id of the version.
    pub id: i64,
    /// Its publication date.
    pub published: PartialDate,
}

impl From<&ListVersion> for VersionRef {
    fn from(v: &ListVersion) -> VersionRef {
        VersionRef { id: v.id, published: v.published }
    }
}
