//! The tidy step of `cargo xtask test` (and `cargo xtask tidy` alone): rustfmt's check, clippy
//! with `-D warnings` natively over the whole workspace and for the page on wasm32, and the page's
//! import graph (no cycle, no upward import). Any finding fails the run, like rust-analyzer's
//! `xtask/src/tidy.rs`.
mod imports;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::{root, status, step};

/// One check: what it ran, and how many findings it printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: &'static str,
    pub passed: bool,
    pub findings: usize,
}

/// The outcome of every check.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tidy {
    pub checks: Vec<Check>,
    pub rust_files: usize,
}

impl Tidy {
    pub fn ok(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    pub fn line(&self) -> String {
        let clean = self.checks.iter().filter(|c| c.passed).count();
        let findings: usize = self.checks.iter().map(|c| c.findings).sum();
        let failed: Vec<&str> = self
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name)
            .collect();
        let mut s = format!(
            "tidy: {clean} of {} checks clean over {} Rust files, {findings} findings",
            self.checks.len(),
            self.rust_files
        );
        if !failed.is_empty() {
            s.push_str(&format!(" (failed: {})", failed.join(", ")));
        }
        s
    }
}

/// Runs every check; a check that cannot start counts as failed.
pub fn run() -> Result<Tidy, String> {
    ensure_components()?;
    let root = root();
    let mut tidy = Tidy {
        rust_files: rust_files(),
        ..Tidy::default()
    };
    step("tidy: cargo fmt --all --check");
    tidy.checks.push(check(
        "rustfmt",
        Command::new("cargo")
            .current_dir(&root)
            .args(["fmt", "--all", "--", "--check"]),
        is_fmt_finding,
    ));
    step("tidy: cargo clippy --workspace --all-targets -- -D warnings");
    tidy.checks.push(check(
        "clippy (native)",
        Command::new("cargo").current_dir(&root).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
        is_clippy_finding,
    ));
    step("tidy: cargo clippy for wasm32 (the page, its wasm tests included) -- -D warnings");
    tidy.checks.push(check(
        "clippy (wasm32)",
        Command::new("cargo").current_dir(&root).args([
            "clippy",
            "-p",
            "cckm-sap-admin",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
        is_clippy_finding,
    ));
    step("tidy: the page's imports (no cycle between files, no upward import between layers)");
    tidy.checks
        .push(match imports::read_crate(&root.join("src")) {
            Ok(modules) => {
                let found = imports::problems(&modules);
                for p in &found {
                    eprintln!("{p}");
                }
                Check {
                    name: "imports",
                    passed: found.is_empty(),
                    findings: found.len(),
                }
            }
            Err(e) => {
                eprintln!("xtask: reading the page's sources: {e}");
                Check {
                    name: "imports",
                    passed: false,
                    findings: 0,
                }
            }
        });
    eprintln!("\n{}", tidy.line());
    Ok(tidy)
}

/// `cargo xtask tidy`: the checks alone.
pub fn command() -> Result<(), String> {
    let tidy = run()?;
    if tidy.ok() {
        Ok(())
    } else {
        Err(tidy.line())
    }
}

fn ensure_components() -> Result<(), String> {
    let has = |sub: &str| {
        Command::new("cargo")
            .args([sub, "--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has("fmt") || !has("clippy") {
        step("adding rustfmt and clippy (rustup): the tidy step needs them");
        status(Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]))?;
    }
    Ok(())
}

fn rust_files() -> usize {
    let out = Command::new("git")
        .current_dir(root())
        .args(["ls-files", "*.rs"])
        .output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).lines().count())
        .unwrap_or(0)
}

/// Runs `cmd`, echoing what it prints, and counts the lines `finding` recognises.
fn check(name: &'static str, cmd: &mut Command, finding: fn(&str) -> bool) -> Check {
    let mut failed = Check {
        name,
        passed: false,
        findings: 0,
    };
    let mut child = match cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("xtask: cannot start {cmd:?}: {e}");
            return failed;
        }
    };
    // rustfmt reports on stdout, clippy on stderr: read stderr on a thread so neither pipe fills.
    let err_reader = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut n = 0;
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                eprintln!("{line}");
                n += usize::from(finding(&line));
            }
            n
        })
    });
    let mut findings = 0;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            findings += usize::from(finding(&line));
        }
    }
    findings += err_reader.and_then(|h| h.join().ok()).unwrap_or(0);
    failed.findings = findings;
    match child.wait() {
        Ok(st) => Check {
            passed: st.success() && findings == 0,
            ..failed
        },
        Err(_) => failed,
    }
}

/// rustfmt's check prints one `Diff in <file>:<line>:` per hunk it would change.
fn is_fmt_finding(line: &str) -> bool {
    line.starts_with("Diff in ")
}

/// Each clippy or rustc diagnostic starts `warning:` or `error:` (or `error[E…]:`); the closing
/// totals ("could not compile", "N warnings emitted") are not findings of their own.
fn is_clippy_finding(line: &str) -> bool {
    let diagnostic =
        line.starts_with("warning:") || line.starts_with("error:") || line.starts_with("error[");
    diagnostic
        && !line.contains("could not compile")
        && !line.contains(" warnings emitted")
        && !line.contains(" warning emitted")
        && !line.contains("aborting due to")
        && !line.contains("generated ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rustfmt_hunks() {
        assert!(is_fmt_finding("Diff in /work/main/src/lib.rs:3:"));
        assert!(!is_fmt_finding(" fn main() {"));
    }

    #[test]
    fn counts_diagnostics_not_totals() {
        assert!(is_clippy_finding("warning: unused variable: `x`"));
        assert!(is_clippy_finding("error: this `if` has identical blocks"));
        assert!(is_clippy_finding(
            "error[E0425]: cannot find value `y` in this scope"
        ));
        assert!(!is_clippy_finding(
            "error: could not compile `xtask` (bin \"xtask\") due to 1 previous error"
        ));
        assert!(!is_clippy_finding(
            "warning: `xtask` (bin \"xtask\") generated 2 warnings"
        ));
        assert!(!is_clippy_finding(
            "error: aborting due to 1 previous error"
        ));
        assert!(!is_clippy_finding("    Checking xtask v0.1.0"));
    }

    #[test]
    fn a_failed_check_fails_the_step_and_is_named() {
        let mut t = Tidy {
            checks: vec![
                Check {
                    name: "rustfmt",
                    passed: true,
                    findings: 0,
                },
                Check {
                    name: "clippy (wasm32)",
                    passed: false,
                    findings: 2,
                },
            ],
            rust_files: 10,
        };
        assert!(!t.ok());
        assert_eq!(
            t.line(),
            "tidy: 1 of 2 checks clean over 10 Rust files, 2 findings (failed: clippy (wasm32))"
        );
        t.checks[1].passed = true;
        t.checks[1].findings = 0;
        assert!(t.ok());
        assert!(!Tidy::default().ok(), "no check run is not a clean run");
    }
}
