//! Runs test commands and adds up the `test result:` lines that cargo's harness prints.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Summary {
    pub passed: u64,
    pub failed: u64,
    /// Commands that failed without a failing test to show for it (a build error, say).
    pub broken: u64,
}

impl Summary {
    pub fn add(&mut self, other: Summary) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.broken += other.broken;
    }

    pub fn ok(&self) -> bool {
        self.failed == 0 && self.broken == 0 && self.passed > 0
    }

    pub fn line(&self) -> String {
        if self.broken > 0 {
            format!(
                "{} passed, {} failed ({} test command(s) did not run to the end)",
                self.passed,
                self.failed + self.broken,
                self.broken
            )
        } else {
            format!("{} passed, {} failed", self.passed, self.failed)
        }
    }
}

/// Parses one line of libtest output such as `test result: ok. 12 passed; 1 failed; 0 ignored; …`.
pub fn parse_result_line(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let mut passed = None;
    let mut failed = None;
    for part in rest.split(';') {
        let words: Vec<&str> = part.split_whitespace().collect();
        for pair in words.windows(2) {
            match pair[1] {
                "passed" => passed = pair[0].parse().ok(),
                "failed" => failed = pair[0].parse().ok(),
                _ => {}
            }
        }
    }
    Some((passed?, failed?))
}

/// Runs a command, echoing its stdout, and counts the tests it reports.
pub fn run_and_count(cmd: &mut Command) -> Summary {
    let shown = format!("{cmd:?}");
    let mut sum = Summary::default();
    let mut child = match cmd.stdout(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("xtask: cannot start {shown}: {e}");
            sum.broken = 1;
            return sum;
        }
    };
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some((p, f)) = parse_result_line(&line) {
                sum.passed += p;
                sum.failed += f;
            }
        }
    }
    match child.wait() {
        Ok(st) if st.success() => {}
        Ok(st) => {
            eprintln!("xtask: {shown} exited with {st}");
            if sum.failed == 0 {
                sum.broken = 1;
            }
        }
        Err(e) => {
            eprintln!("xtask: waiting for {shown}: {e}");
            sum.broken = 1;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libtest_lines() {
        assert_eq!(
            parse_result_line("test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s"),
            Some((12, 0))
        );
        assert_eq!(
            parse_result_line("test result: FAILED. 3 passed; 2 failed; 0 ignored"),
            Some((3, 2))
        );
        assert_eq!(parse_result_line("running 3 tests"), None);
        assert_eq!(parse_result_line("test result: garbage"), None);
    }

    #[test]
    fn a_broken_command_is_not_a_pass() {
        let mut s = Summary {
            passed: 10,
            ..Default::default()
        };
        assert!(s.ok());
        s.add(Summary {
            broken: 1,
            ..Default::default()
        });
        assert!(!s.ok());
        assert_eq!(
            s.line(),
            "10 passed, 1 failed (1 test command(s) did not run to the end)"
        );
        assert!(!Summary::default().ok(), "running no test is not a pass");
    }

    #[test]
    fn counts_a_real_command() {
        let s = run_and_count(Command::new("sh").args([
            "-c",
            "echo 'test result: ok. 2 passed; 1 failed; 0 ignored'; exit 1",
        ]));
        assert_eq!(
            s,
            Summary {
                passed: 2,
                failed: 1,
                broken: 0
            }
        );
        let s = run_and_count(Command::new("sh").args(["-c", "exit 3"]));
        assert_eq!(s.broken, 1);
    }
}
