//! Loading the real lists of the shared data folder.

use std::path::PathBuf;

use sanctions_index::Index;
use sanctions_lists::{Input, parse_ofac_csv, parse_un_xml};

/// The shared data folder; fails loudly (never skips) when it is missing.
pub fn shared_data() -> PathBuf {
    let dir = std::env::var_os("SANCTIONS_SHARED_DATA")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    assert!(
        dir.join("un").is_dir() && dir.join("ofac").is_dir(),
        "shared test data not found at {}: these tests need the real list files (un/, ofac/). \
         Set SANCTIONS_SHARED_DATA to the folder that holds them.",
        dir.display()
    );
    dir
}

fn read(p: PathBuf) -> Vec<u8> {
    std::fs::read(&p)
        .unwrap_or_else(|e| panic!("cannot read shared data file {}: {e}", p.display()))
}

/// The index over the UN list of 2026-05-08 and the OFAC SDN trio of 2021-07-07.
pub fn real_index() -> Index {
    let dir = shared_data();
    let un = read(dir.join("un/consolidated-2026-05-08.xml"));
    let mut entities = parse_un_xml(&un[..], "consolidated-2026-05-08.xml")
        .unwrap_or_else(|e| panic!("{e}"))
        .entities;
    let sdn = read(dir.join("ofac/watchman-2021-07-07-sdn.csv"));
    let alt = read(dir.join("ofac/watchman-2021-07-07-alt.csv"));
    let add = read(dir.join("ofac/watchman-2021-07-07-add.csv"));
    let ofac = parse_ofac_csv(
        Input::new("sdn.csv", &sdn),
        Some(Input::new("alt.csv", &alt)),
        Some(Input::new("add.csv", &add)),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    entities.extend(ofac.entities);
    Index::build(entities)
}
