//! `plan::make` for 50 registries on a real `containerd config default`
//! file (the budget: under 20 ms). Run with `cargo bench --bench plan`.
//! Also the one-off parse of the i18n catalogs.
//! A plain timing loop (no bench framework): min and median of many runs.

use ctrwiz::catalog::Catalog;
use ctrwiz::node::{self, Locations};
use ctrwiz::root::Root;
use ctrwiz::selection::Selection;
use std::time::{Duration, Instant};

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("etc/containerd/config.toml");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/containerd-1.6.20-default.toml"
        ),
        &cfg,
    )
    .unwrap();
    let loc = Locations {
        root: Root::new(dir.path()),
        ..Locations::default()
    };
    let node = node::detect(&loc);
    let catalog = Catalog::builtin();
    let mut sel = Selection {
        preset: Some("daocloud".into()),
        ..Default::default()
    };
    for i in 0..39 {
        sel.add_mirror_flag(&format!(
            "registry{i}.example.com:5000=https://mirror{i}.example.org,http://10.0.0.{i}:5000"
        ))
        .unwrap();
    }
    let registries = sel.resolve(&catalog).unwrap().len();
    assert_eq!(registries, 50);

    let mut times: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            let plan = ctrwiz::plan::make(&node, &catalog, &sel).unwrap();
            std::hint::black_box(plan.changes.iter().map(|c| c.diff().len()).sum::<usize>());
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "plan::make + diffs, {registries} registries: min {:.2} ms, median {:.2} ms, max {:.2} ms (200 runs)",
        times[0].as_secs_f64() * 1e3,
        times[100].as_secs_f64() * 1e3,
        times[199].as_secs_f64() * 1e3
    );
    catalogs();
}

/// The first `t!` of a process parses both languages' catalogs (embedded
/// TOML); this is that cost, paid once per run.
fn catalogs() {
    let keys: usize = ctrwiz::i18n::FILES
        .iter()
        .map(|(area, en, _)| ctrwiz::i18n::parse_file(area, en).unwrap().len())
        .sum();
    let mut times: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            for (area, en, zh) in ctrwiz::i18n::FILES {
                std::hint::black_box(ctrwiz::i18n::parse_file(area, en).unwrap());
                std::hint::black_box(ctrwiz::i18n::parse_file(area, zh).unwrap());
            }
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "i18n catalogs, {keys} keys × 2 languages parsed: min {:.2} ms, median {:.2} ms (200 runs)",
        times[0].as_secs_f64() * 1e3,
        times[100].as_secs_f64() * 1e3
    );
}
