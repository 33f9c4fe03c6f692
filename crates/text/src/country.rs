//! Country names to ISO 3166 alpha-2 codes, so "Iran", "Iran (Islamic Republic of)" and "IR"
//! compare equal, and "North Korea" meets "Korea, North" and "Democratic People's Republic of
//! Korea".

#[path = "countries_table.rs"]
mod table;

/// The ISO 3166 alpha-2 code of a country name, demonym or code, as lists and users write it.
///
/// ```
/// use sanctions_text::country_code;
/// assert_eq!(country_code("Iran (Islamic Republic of)"), Some("IR"));
/// assert_eq!(country_code("Korea, North"), country_code("North Korea"));
/// assert_eq!(country_code("af"), Some("AF"));
/// assert_eq!(country_code("Atlantis"), None);
/// ```
pub fn country_code(name: &str) -> Option<&'static str> {
    let folded = crate::fold(name);
    if folded.is_empty() {
        return None;
    }
    if let Ok(i) = table::COUNTRIES.binary_search_by(|(n, _)| n.cmp(&folded.as_str())) {
        return Some(table::COUNTRIES[i].1);
    }
    if folded.len() == 2 {
        let up = folded.to_ascii_uppercase();
        return table::COUNTRIES.iter().map(|(_, c)| *c).find(|c| *c == up);
    }
    // "Korea, North" folds to "korea north"; try the words reversed ("north korea").
    let mut words: Vec<&str> = folded.split(' ').collect();
    if words.len() >= 2 {
        words.rotate_left(1);
        let rotated = words.join(" ");
        if let Ok(i) = table::COUNTRIES.binary_search_by(|(n, _)| n.cmp(&rotated.as_str())) {
            return Some(table::COUNTRIES[i].1);
        }
    }
    None
}
