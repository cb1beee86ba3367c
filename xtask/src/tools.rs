//! Installs what the build and the tests need, once: each tool is checked first and left alone
//! when it is already there at the right version. Everything comes from crates.io, npm or Debian.
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{root, status, step};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const WASM_PACK_VERSION: &str = "0.15.1";
pub const BINARYEN_NPM: &str = "binaryen@132";
/// The accessibility engine the end-to-end tests inject into the page (test only).
pub const AXE_CORE_VERSION: &str = "4.10.3";
/// Debian's `brotli_static` module for nginx: the deployment test checks the `.br` files (test only).
pub const NGINX_BROTLI_DEB: &str = "libnginx-mod-http-brotli-static";

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
    /// nginx, for the sub-path deployment test (test only).
    pub nginx: PathBuf,
    /// `.tools/node_modules/axe-core/axe.min.js` (test only).
    pub axe_js: PathBuf,
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
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
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
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("reading Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines
                .next()
                .and_then(|v| v.trim().strip_prefix("version = \""))
            {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

fn has_version(tool: &Path, want: &str) -> bool {
    output(&tool.to_string_lossy(), &["--version"])
        .is_some_and(|v| v.split_whitespace().any(|w| w == want))
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
    if !targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        step("adding the wasm32-unknown-unknown target (rustup): the page compiles to WebAssembly");
        status(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }

    if !root.join("Cargo.lock").exists() {
        status(
            Command::new("cargo")
                .current_dir(&root)
                .arg("generate-lockfile"),
        )?;
    }
    let wb = locked_wasm_bindgen()?;
    if !has_version(&bin.join("wasm-bindgen"), &wb) {
        // Not --locked: the CLI's own lock file names a crate version crates.io here does not serve.
        cargo_install(
            "wasm-bindgen-cli",
            &wb,
            false,
            "Trunk and wasm-pack need the CLI matching Cargo.lock",
        )?;
    }
    if !has_version(&bin.join("trunk"), TRUNK_VERSION) {
        cargo_install("trunk", TRUNK_VERSION, true, "builds and bundles the page")?;
    }

    let tools_dir = root.join(".tools");
    let npm_bin = tools_dir.join("node_modules").join(".bin");
    let axe_dir = tools_dir.join("node_modules").join("axe-core");
    let axe_js = axe_dir.join("axe.min.js");
    let axe_npm = format!("axe-core@{AXE_CORE_VERSION}");
    let axe_ok = axe_js.exists() && npm_version(&axe_dir).as_deref() == Some(AXE_CORE_VERSION);
    // npm removes the packages it was not asked for from .tools/, so each install names them all.
    let mut npm_wanted = vec![BINARYEN_NPM.to_string()];
    if need >= Need::Browser || axe_dir.exists() {
        npm_wanted.push(axe_npm.clone());
    }
    if !npm_bin.join("wasm-opt").exists() || (need >= Need::Browser && !axe_ok) {
        step(&format!(
            "installing from npm into .tools/: {} (wasm-opt shrinks the release wasm; axe-core checks accessibility in the e2e tests)",
            npm_wanted.join(", ")
        ));
        std::fs::create_dir_all(&tools_dir).map_err(|e| format!("creating .tools: {e}"))?;
        if output("npm", &["--version"]).is_none() {
            return Err("npm is missing: install Debian's nodejs and npm packages".into());
        }
        status(
            Command::new("npm")
                .current_dir(&tools_dir)
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--no-save",
                    "--prefix",
                    ".",
                ])
                .args(&npm_wanted),
        )?;
    }

    let mut chromium = PathBuf::from("/usr/bin/chromium");
    let mut chromedriver = PathBuf::from("/usr/bin/chromedriver");
    let mut nginx = PathBuf::from("/usr/sbin/nginx");
    if need >= Need::Browser {
        if !has_version(&bin.join("wasm-pack"), WASM_PACK_VERSION) {
            cargo_install(
                "wasm-pack",
                WASM_PACK_VERSION,
                false,
                "runs the wasm tests in headless Chromium",
            )?;
        }
        if let Some(p) = std::env::var_os("CHROMIUM") {
            chromium = PathBuf::from(p);
        }
        if let Some(p) = std::env::var_os("CHROMEDRIVER") {
            chromedriver = PathBuf::from(p);
        }
        if let Some(p) = std::env::var_os("NGINX_BIN") {
            nginx = PathBuf::from(p);
        }
        let mut debs: Vec<&str> = Vec::new();
        if !chromium.exists() || !chromedriver.exists() {
            debs.extend(["chromium", "chromium-driver"]);
        }
        if !nginx.exists() {
            debs.push("nginx");
        }
        // Beside Debian's own nginx only: another NGINX_BIN brings its own modules.
        if nginx == Path::new("/usr/sbin/nginx") && deb_missing(NGINX_BROTLI_DEB) {
            debs.push(NGINX_BROTLI_DEB);
        }
        if !debs.is_empty() {
            let root_user = output("id", &["-u"]).is_some_and(|u| u.trim() == "0");
            if !root_user {
                return Err(format!(
                    "missing Debian packages {}: install them (sudo apt-get install {}), or set CHROMIUM, CHROMEDRIVER and NGINX_BIN",
                    debs.join(", "),
                    debs.join(" ")
                ));
            }
            step(&format!(
                "installing {} from Debian (apt-get): the browser tests run in Chromium; nginx and its brotli module serve the deployment test",
                debs.join(", ")
            ));
            status(Command::new("apt-get").args(["update", "-q"]))?;
            status(
                Command::new("apt-get")
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .args(["install", "-y", "-q"])
                    .args(&debs),
            )?;
        }
    }

    let old = std::env::var("PATH").unwrap_or_default();
    let path = format!("{}:{}:{}", npm_bin.display(), bin.display(), old);
    Ok(Tools {
        path,
        chromium,
        chromedriver,
        nginx,
        axe_js,
    })
}

/// Whether dpkg has not installed a package (false where there is no dpkg: nothing to install).
fn deb_missing(package: &str) -> bool {
    match Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
    {
        Err(_) => false,
        Ok(out) => {
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .last()
                != Some("installed")
        }
    }
}

/// The `version` in an npm package's package.json.
fn npm_version(package_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(package_dir.join("package.json")).ok()?;
    let rest = &text[text.find("\"version\"")? + "\"version\"".len()..];
    let rest = rest
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_npm_package_version() {
        let dir = std::env::temp_dir().join(format!("xtask-npm-version-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("package.json"),
            "{\n  \"name\": \"axe-core\",\n  \"version\" : \"4.10.3\",\n  \"x\": 1\n}",
        )
        .unwrap();
        assert_eq!(npm_version(&dir).as_deref(), Some("4.10.3"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(npm_version(&dir), None);
    }

    #[test]
    fn tells_an_installed_debian_package_from_a_missing_one() {
        if Command::new("dpkg-query")
            .arg("--version")
            .output()
            .is_err()
        {
            assert!(
                !deb_missing("dpkg"),
                "without dpkg nothing is installed from Debian"
            );
            return;
        }
        assert!(!deb_missing("dpkg"));
        assert!(deb_missing("cckm-no-such-package"));
    }
}
