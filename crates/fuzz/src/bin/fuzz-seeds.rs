//! Writes the seed corpus of every fuzz target to `DIR/<target>/` (default `fuzz/corpus`),
//! cut from the shared data folder: `cargo run -p sanctions-fuzz --bin fuzz-seeds -- fuzz/corpus`.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into()));
    for t in sanctions_fuzz::TARGETS {
        let out = dir.join(t.name);
        std::fs::create_dir_all(&out)?;
        let seeds = sanctions_fuzz::seeds::for_target(t.name);
        for (name, data) in &seeds {
            std::fs::write(out.join(name), data)?;
        }
        println!("{}: {} seeds in {}", t.name, seeds.len(), out.display());
    }
    Ok(())
}
