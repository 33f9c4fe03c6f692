//! Field-level differences between two revisions of one entry.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::Entity;

/// One field-level change between two revisions of an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field ("names", "birth_dates", "remarks", "extra.VERSIONNUM", ...).
    pub field: String,
    /// Values present before and gone after (rendered as text).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    /// Values present after and not before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
}

fn render<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v).expect("serializes") {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

fn name_text(n: &crate::Name) -> String {
    let mut s = n.full.clone();
    let q = match n.quality {
        crate::NameQuality::Primary => "primary",
        crate::NameQuality::Strong => "alias",
        crate::NameQuality::Weak => "weak alias",
        crate::NameQuality::Former => "former name",
    };
    s.push_str(&format!(" ({q})"));
    s
}

fn set_change(field: &str, before: Vec<String>, after: Vec<String>, out: &mut Vec<FieldChange>) {
    let b: BTreeSet<&String> = before.iter().collect();
    let a: BTreeSet<&String> = after.iter().collect();
    let removed: Vec<String> = before.iter().filter(|x| !a.contains(x)).cloned().collect();
    let added: Vec<String> = after.iter().filter(|x| !b.contains(x)).cloned().collect();
    if !removed.is_empty() || !added.is_empty() {
        out.push(FieldChange { field: field.to_string(), removed, added });
    } else if before != after {
        out.push(FieldChange { field: format!("{field} (order)"), removed: before, added: after });
    }
}

/// The field-level changes from `before` to `after` (same entry, two revisions).
///
/// Multi-valued fields are compared as sets (what was added, what was removed); a pure
/// reordering is reported as an `(order)` change so that no difference is ever hidden.
pub fn entity_changes(before: &Entity, after: &Entity) -> Vec<FieldChange> {
    let mut out = Vec::new();
    macro_rules! list {
        ($field:ident, $f:expr) => {
            set_change(
                stringify!($field),
                before.$field.iter().map($f).collect(),
                after.$field.iter().map($f).collect(),
                &mut out,
            )
        };
    }
    macro_rules! one {
        ($field:ident) => {
            if before.$field != after.$field {
                set_change(
                    stringify!($field),
                    before.$field.iter().map(render).collect(),
                    after.$field.iter().map(render).collect(),
                    &mut out,
                );
            }
        };
    }
    if before.reference != after.reference {
        out.push(FieldChange {
            field: "reference".into(),
            removed: vec![before.reference.clone()],
            added: vec![after.reference.clone()],
        });
    }
    if before.kind != after.kind {
        out.push(FieldChange {
            field: "kind".into(),
            removed: vec![before.kind.to_string()],
            added: vec![after.kind.to_string()],
        });
    }
    list!(names, name_text);
    // Name parts, scripts and notes: compare the full serialized names too, so a change in a
    // part that leaves the full text equal is not hidden.
    if out.iter().all(|c| c.field != "names") && before.names != after.names {
        list!(names, render);
    }
    list!(birth_dates, |d| d.to_string());
    list!(birth_places, |a| a.to_string());
    list!(nationalities, Clone::clone);
    list!(citizenships, Clone::clone);
    list!(addresses, |a| a.to_string());
    list!(identifiers, render);
    one!(gender);
    list!(titles, Clone::clone);
    list!(designations, Clone::clone);
    list!(programs, Clone::clone);
    one!(listed_on);
    list!(amended_on, |d| d.to_string());
    one!(remarks);
    let keys: BTreeSet<&String> = before.extra.keys().chain(after.extra.keys()).collect();
    for k in keys {
        let empty = Vec::new();
        let b = before.extra.get(k).unwrap_or(&empty);
        let a = after.extra.get(k).unwrap_or(&empty);
        if a != b {
            set_change(&format!("extra.{k}"), b.clone(), a.clone(), &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EntityKind, Name, NameQuality, Source};

    #[test]
    fn alias_added_and_extra_changed() {
        let mut a = Entity::new(Source::Un, "1", "TAi.003", EntityKind::Person);
        a.names.push(Name::new("ABDUL KABIR", NameQuality::Primary));
        a.push_extra("VERSIONNUM", "1");
        let mut b = a.clone();
        b.names.push(Name::new("ABDUL KABIR MUHAMMAD JAN", NameQuality::Strong));
        b.extra.insert("VERSIONNUM".into(), vec!["2".into()]);
        let ch = entity_changes(&a, &b);
        assert_eq!(ch.len(), 2, "{ch:?}");
        assert_eq!(ch[0].field, "names");
        assert_eq!(ch[0].added, vec!["ABDUL KABIR MUHAMMAD JAN (alias)"]);
        assert_eq!(ch[1].field, "extra.VERSIONNUM");
        assert!(entity_changes(&a, &a).is_empty());
    }

    #[test]
    fn reorder_is_reported() {
        let mut a = Entity::new(Source::Un, "1", "X", EntityKind::Person);
        a.nationalities = vec!["A".into(), "B".into()];
        let mut b = a.clone();
        b.nationalities.reverse();
        let ch = entity_changes(&a, &b);
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].field, "nationalities (order)");
    }
}
