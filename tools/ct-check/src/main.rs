//! Constant-time check: runs every secret-handling path of onionskin under valgrind memcheck
//! with the secrets marked undefined, the way BoringSSL validates its constant-time code.
//!
//! ```text
//! cargo run --release -p ct-check                 # all paths; exit 0 only if clean
//! cargo run --release -p ct-check -- --self-test  # planted leaks; exit 0 only if caught
//! cargo run --release -p ct-check -- --only ntor  # paths whose name contains "ntor"
//! ```
//!
//! Memcheck tracks, bit by bit, whether each value is "defined". Marking a secret undefined
//! (`VALGRIND_MAKE_MEM_UNDEFINED`) makes that taint flow into everything computed from it, and
//! memcheck reports every conditional jump ("Conditional jump or move depends on uninitialised
//! value(s)") and every memory address ("Use of uninitialised value of size 8") that depends on
//! tainted bits: exactly the two channels of a timing side channel on a CPU without
//! secret-dependent instruction timing. Values public by design (bytes sent on the wire, the
//! final accept/reject bit) are declassified with `VALGRIND_MAKE_MEM_DEFINED`; the README (section "Constant-time check")
//! lists each one with its reason.
//!
//! Started natively, the program re-executes itself under
//! `valgrind --tool=memcheck --track-origins=yes --error-exitcode=…`. On valgrind it runs each
//! path a few times with fresh secrets, reads memcheck's error count around it
//! (`VALGRIND_COUNT_ERRORS`) and prints one line per path, then a summary. Valgrind's own
//! report (with the stack of each finding) is on stderr. For file:line stacks, build with
//! `CARGO_PROFILE_RELEASE_DEBUG=line-tables-only`.
//!
//! What this cannot see: instructions whose timing depends on operand values (division,
//! some multipliers), and code the check does not run. It checks the machine code this build
//! produced, on this CPU's feature set as valgrind presents it.

// This is a command-line tool: printing and exiting are its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod deps;
mod fast;
mod kdf;
mod ntor;
mod ntor_v3;
mod paths;
mod relay_crypto;
mod self_test;
mod tap;
mod vg;
mod x25519;

use paths::{Ctx, Path};
use std::process::{Command, ExitCode};

/// Exit status valgrind gives the child when memcheck reported anything, whatever the
/// child's own verdict: a second line of defence should a finding fall outside every
/// per-path count (e.g. during set-up).
const VALGRIND_ERROR_EXIT: u8 = 97;

/// Runs of each path, with fresh secrets each time. Few: valgrind runs code about 50× slower,
/// and a branch on a secret shows up on the first run whatever the secret's value.
const DEFAULT_RUNS: usize = 3;

/// Suppresses exactly the crate's one declassification point for the accept/reject verdict,
/// `onionskin::ct::declassify` (non-inlined; a table read indexed by the verdict), and nothing
/// else: only an error whose innermost frame is that function matches. Valgrind matches
/// suppressions against mangled names, so both Rust manglings (legacy and v0) are listed.
/// See the README (section "Constant-time check").
const SUPPRESSIONS: &str = "\
{
   onionskin-verdict-declassify-legacy-addr
   Memcheck:Value8
   fun:_ZN9onionskin2ct10declassify17h*E
}
{
   onionskin-verdict-declassify-legacy-cond
   Memcheck:Cond
   fun:_ZN9onionskin2ct10declassify17h*E
}
{
   onionskin-verdict-declassify-v0-addr
   Memcheck:Value8
   fun:_RNvNtCs*_9onionskin2ct10declassify
}
{
   onionskin-verdict-declassify-v0-cond
   Memcheck:Cond
   fun:_RNvNtCs*_9onionskin2ct10declassify
}
";

struct Options {
    self_test: bool,
    only: Vec<String>,
    runs: usize,
    list: bool,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut opts = Options {
        self_test: false,
        only: Vec::new(),
        runs: DEFAULT_RUNS,
        list: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--self-test" => opts.self_test = true,
            "--list" => opts.list = true,
            "--only" => opts
                .only
                .push(it.next().ok_or("--only needs a value")?.clone()),
            "--runs" => {
                opts.runs = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("--runs needs a positive number")?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(opts)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse_args(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("ct_check: {e}");
            eprintln!("usage: ct_check [--self-test] [--only SUBSTRING]... [--runs N] [--list]");
            return ExitCode::from(2);
        }
    };
    if opts.list {
        for p in paths::all() {
            println!("{}", p.name);
        }
        return ExitCode::SUCCESS;
    }
    if !vg::on_valgrind() {
        return reexec_under_valgrind(&args, opts.self_test);
    }
    if !vg::memcheck_active() {
        eprintln!("ct_check: running on valgrind, but not under memcheck (--tool=memcheck)");
        return ExitCode::from(2);
    }
    if opts.self_test {
        self_test::run()
    } else {
        check_paths(&opts)
    }
}

/// Runs this same binary with the same arguments under memcheck and passes its status on.
fn reexec_under_valgrind(args: &[String], self_test: bool) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("ct_check: cannot find my own executable: {e}");
            return ExitCode::from(2);
        }
    };
    let supp = std::env::temp_dir().join(format!("ct_check-{}.supp", std::process::id()));
    if let Err(e) = std::fs::write(&supp, SUPPRESSIONS) {
        eprintln!("ct_check: cannot write {}: {e}", supp.display());
        return ExitCode::from(2);
    }
    let mut cmd = Command::new("valgrind");
    cmd.args([
        "--tool=memcheck",
        "--quiet",
        "--track-origins=yes",
        "--num-callers=32",
        // Report a finding in full however often it recurs, never stop reporting.
        "--error-limit=no",
    ]);
    // The self-test plants findings on purpose, so there it is the child that decides.
    if !self_test {
        cmd.arg(format!("--error-exitcode={VALGRIND_ERROR_EXIT}"));
    }
    cmd.arg(format!("--suppressions={}", supp.display()));
    cmd.arg(&exe).args(args);
    eprintln!("ct_check: re-executing under valgrind memcheck");
    if !self_test {
        println!("ct_check: CPU features natively:      {}", cpu_features());
    }
    let status = cmd.status();
    let _ = std::fs::remove_file(&supp);
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            if s.code() == Some(i32::from(VALGRIND_ERROR_EXIT)) {
                eprintln!("ct_check: valgrind reported errors (exit {VALGRIND_ERROR_EXIT})");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!(
                "ct_check: cannot run valgrind ({e}); install it (Debian: apt-get install valgrind)"
            );
            ExitCode::from(2)
        }
    }
}

/// The CPU features that pick a dependency's backend at run time, as this process sees them.
/// Valgrind's synthetic CPU hides some (e.g. SHA-NI, AVX-512), so the child may check a
/// different backend than the one the native run would use; the summary shows both.
fn cpu_features() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        let f = [
            ("aes", std::arch::is_x86_feature_detected!("aes")),
            ("sha", std::arch::is_x86_feature_detected!("sha")),
            ("avx2", std::arch::is_x86_feature_detected!("avx2")),
            (
                "avx512ifma",
                std::arch::is_x86_feature_detected!("avx512ifma"),
            ),
        ];
        f.iter()
            .map(|(n, on)| format!("{n}={}", if *on { "yes" } else { "no" }))
            .collect::<Vec<_>>()
            .join(" ")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        String::from("(not x86_64)")
    }
}

fn check_paths(opts: &Options) -> ExitCode {
    println!("ct_check: CPU features under valgrind: {}", cpu_features());
    let selected: Vec<Path> = paths::all()
        .into_iter()
        .filter(|p| opts.only.is_empty() || opts.only.iter().any(|o| p.name.contains(o.as_str())))
        .collect();
    if selected.is_empty() {
        println!("ct_check: no path matches {:?}", opts.only);
        return ExitCode::from(2);
    }
    let mut ctx = Ctx::new(opts.runs);
    let (mut passed, mut failed) = (0usize, 0usize);
    let set_up_errors = vg::errors();
    for p in &selected {
        let before = vg::errors();
        let outcome = (p.run)(&mut ctx);
        let found = vg::errors() - before;
        match (found, outcome) {
            (0, Ok(())) => {
                passed += 1;
                println!("ok    {:<52} {} runs, 0 findings", p.name, opts.runs);
            }
            (n, Ok(())) => {
                failed += 1;
                println!(
                    "FAIL  {:<52} {n} findings (valgrind's report above)",
                    p.name
                );
            }
            (n, Err(e)) => {
                failed += 1;
                println!(
                    "FAIL  {:<52} {n} findings; path did not run as expected: {e}",
                    p.name
                );
            }
        }
    }
    let stray = set_up_errors;
    println!();
    println!(
        "declassified (each listed with its reason in the README, section Constant-time check):"
    );
    for (why, n) in vg::declassified() {
        println!("  {n:>5}× {why}");
    }
    let missing = paths::missing();
    if !missing.is_empty() {
        println!(
            "not checked (not in this build yet): {}",
            missing.join(", ")
        );
    }
    if stray > 0 {
        failed += 1;
        println!("FAIL  {stray} findings outside any path (set-up)");
    }
    println!(
        "ct_check: {} paths checked, {} findings",
        selected.len(),
        vg::errors()
    );
    println!("ct_check: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
