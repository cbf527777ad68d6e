//! Checks known-answer vector files (the schema of `test-vectors/README.md`) against this crate.
//!
//! ```text
//! cargo run --release -p check-vectors -- test-vectors/*.json
//! ```
//!
//! For each file it prints one line ending in `N passed, N failed`, and a line for every
//! failure naming the case and the field. The exit status is non-zero if any case failed,
//! a file could not be read, or its `kind` is unknown.

// This is a command-line tool: printing and exiting are its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]
// A binary: `pub` in its private modules is fine, and it uses std freely.
#![allow(unreachable_pub, clippy::std_instead_of_core)]

mod cells;
mod fast;
mod kdf_tor;
mod ntor;
mod ntor_v3;
mod tap;
mod tor1;
mod util;

use std::process::ExitCode;
use util::Report;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: check_vectors FILE.json [FILE.json ...]");
        return ExitCode::from(2);
    }
    let mut ok = true;
    for path in &files {
        let doc: serde_json::Value = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str(&s).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                println!("{path}: cannot read: {e}");
                ok = false;
                continue;
            }
        };
        let kind = doc.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        let mut report = Report::default();
        let known = match kind {
            "cells" => cells::check(&doc, &mut report),
            "ntor" => ntor::check(&doc, &mut report),
            "ntor_reject" => ntor::check_reject(&doc, &mut report),
            "create_fast" => fast::check(&doc, &mut report),
            "create_fast_reject" => fast::check_reject(&doc, &mut report),
            "kdf_tor" => kdf_tor::check(&doc, &mut report),
            "tap" => tap::check(&doc, &mut report),
            "tap_reject" => tap::check_reject(&doc, &mut report),
            "ntor_v3" => ntor_v3::check(&doc, &mut report),
            "ntor_v3_reject" => ntor_v3::check_reject(&doc, &mut report),
            "tor1" => tor1::check(&doc, &mut report),
            _ => false,
        };
        if !known {
            println!("{path}: unknown or unsupported kind {kind:?}");
            ok = false;
            continue;
        }
        for line in &report.failures {
            println!("  FAIL {line}");
        }
        println!(
            "{path} ({kind}): {} passed, {} failed",
            report.passed, report.failed
        );
        ok &= report.failed == 0 && report.passed > 0;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
