//! Installs what the build and the tests need, once: each tool is checked first and left alone
//! when it is already there at the right version. Everything comes from crates.io, npm or Debian.
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{root, status, step};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const WASM_PACK_VERSION: &str = "0.15.1";
pub const BINARYEN_NPM: &str = "binaryen@132";

#[derive(Clone, Copy, PartialEq, PartialOrd)]
pub enum Need {
    /// The wasm target, wasm-bindgen, Trunk, wasm-opt.
    Build,
    /// All of that, wasm-pack, Chromium and ChromeDriver.
    Browser,
}

/// Where the tools are, and a PATH that puts the project's own first.
pub struct Tools {
    pub path: String,
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

impl Tools {
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("PATH", &self.path);
        c
    }
}

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

/// The wasm-bindgen version Cargo.lock pins: the CLI must be exactly that one.
pub fn locked_wasm_bindgen() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("reading Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|v| v.trim().strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

fn has_version(tool: &Path, want: &str) -> bool {
    output(&tool.to_string_lossy(), &["--version"]).is_some_and(|v| v.split_whitespace().any(|w| w == want))
}

fn cargo_install(krate: &str, version: &str, locked: bool, why: &str) -> Result<(), String> {
    step(&format!("installing {krate} {version} with cargo install ({why}); this takes several minutes on 2 cores"));
    let mut c = Command::new("cargo");
    c.args(["install", krate, "--version", version, "--force"]);
    if locked {
        c.arg("--locked");
    }
    status(&mut c)
}

pub fn ensure(need: Need) -> Result<Tools, String> {
    let bin = cargo_bin();
    let root = root();

    let targets = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets.lines().any(|t| t.trim() == "wasm32-unknown-unknown") {
        step("adding the wasm32-unknown-unknown target (rustup): the page compiles to WebAssembly");
        status(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }

    if !root.join("Cargo.lock").exists() {
        status(Command::new("cargo").current_dir(&root).arg("generate-lockfile"))?;
    }
    let wb = locked_wasm_bindgen()?;
    if !has_version(&bin.join("wasm-bindgen"), &wb) {
        // Not --locked: the CLI's own lock file names a crate version crates.io here does not serve.
        cargo_install("wasm-bindgen-cli", &wb, false, "Trunk and wasm-pack need the CLI matching Cargo.lock")?;
    }
    if !has_version(&bin.join("trunk"), TRUNK_VERSION) {
        cargo_install("trunk", TRUNK_VERSION, true, "builds and bundles the page")?;
    }

    let tools_dir = root.join(".tools");
    let npm_bin = tools_dir.join("node_modules").join(".bin");
    if !npm_bin.join("wasm-opt").exists() {
        step(&format!("installing wasm-opt from npm ({BINARYEN_NPM}) into .tools/: shrinks the release wasm"));
        std::fs::create_dir_all(&tools_dir).map_err(|e| format!("creating .tools: {e}"))?;
        if output("npm", &["--version"]).is_none() {
            return Err("npm is missing: install Debian's nodejs and npm packages".into());
        }
        status(
            Command::new("npm")
                .current_dir(&tools_dir)
                .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix", "."])
                .arg(BINARYEN_NPM),
        )?;
    }

    let mut chromium = PathBuf::from("/usr/bin/chromium");
    let mut chromedriver = PathBuf::from("/usr/bin/chromedriver");
    if need >= Need::Browser {
        if !has_version(&bin.join("wasm-pack"), WASM_PACK_VERSION) {
            cargo_install("wasm-pack", WASM_PACK_VERSION, false, "runs the wasm tests in headless Chromium")?;
        }
        if let Some(p) = std::env::var_os("CHROMIUM") {
            chromium = PathBuf::from(p);
        }
        if let Some(p) = std::env::var_os("CHROMEDRIVER") {
            chromedriver = PathBuf::from(p);
        }
        if !chromium.exists() || !chromedriver.exists() {
            let root_user = output("id", &["-u"]).is_some_and(|u| u.trim() == "0");
            if !root_user {
                return Err("Chromium and ChromeDriver are missing: install Debian's packages `chromium` and \
                            `chromium-driver` (sudo apt-get install chromium chromium-driver), or set CHROMIUM and CHROMEDRIVER"
                    .into());
            }
            step("installing Chromium and ChromeDriver from Debian (apt-get): the browser tests run in them");
            status(Command::new("apt-get").args(["update", "-q"]))?;
            status(
                Command::new("apt-get")
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .args(["install", "-y", "-q", "chromium", "chromium-driver"]),
            )?;
        }
    }

    let old = std::env::var("PATH").unwrap_or_default();
    let path = format!("{}:{}:{}", npm_bin.display(), bin.display(), old);
    Ok(Tools { path, chromium, chromedriver })
}
