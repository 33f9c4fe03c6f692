//! Parses list files and prints counts and timing.
//!
//! ```text
//! cargo run --release -p sanctions-lists --example parse -- un FILE.xml
//! cargo run --release -p sanctions-lists --example parse -- ofac SDN.csv [ALT.csv [ADD.csv]]
//! ```

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (kind, files) = match args.split_first() {
        Some((k, f)) if !f.is_empty() => (k.as_str(), f),
        _ => {
            eprintln!("usage: parse un FILE.xml | parse ofac SDN.csv [ALT.csv [ADD.csv]]");
            std::process::exit(2);
        }
    };
    let data: Vec<Vec<u8>> =
        files.iter().map(|f| std::fs::read(f).unwrap_or_else(|e| panic!("{f}: {e}"))).collect();
    let runs = 10;
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = match kind {
            "un" => sanctions_lists::parse_un_xml(&data[0][..], &files[0]),
            "ofac" => {
                let input =
                    |i: usize| data.get(i).map(|d| sanctions_lists::Input::new(&files[i], &d[..]));
                sanctions_lists::parse_ofac_csv(input(0).unwrap(), input(1), input(2))
            }
            other => {
                eprintln!("unknown kind {other:?}");
                std::process::exit(2);
            }
        };
        best = best.min(t.elapsed().as_secs_f64());
        match r {
            Ok(l) => last = Some(l),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
    }
    let l = last.expect("ran");
    println!("{:?}", l.stats);
    println!("best of {runs}: {:.1} ms", best * 1000.0);
}
