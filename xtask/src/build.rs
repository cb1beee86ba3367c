//! Builds the release page with Trunk (offline) and the simulator binary.
use std::path::PathBuf;
use std::process::Command;

use crate::tools::Tools;
use crate::{root, status, step};

/// `trunk build --release` into `dist/`, then makes the output live under a strict CSP.
pub fn page(t: &Tools) -> Result<PathBuf, String> {
    let root = root();
    step("fetching crates (Trunk builds offline)");
    status(Command::new("cargo").current_dir(&root).args(["fetch"]))?;
    step("building the page: trunk build --release (wasm-opt -Oz)");
    status(t.command("trunk").current_dir(&root).args(["build", "--release"]))?;
    let dist = root.join("dist");
    externalize_loader(&dist)?;
    Ok(dist)
}

/// Trunk writes its wasm loader as an inline module script, which `script-src 'self'` forbids.
/// Move it into `dist/boot-<hash>.js` and reference it.
pub fn externalize_loader(dist: &std::path::Path) -> Result<(), String> {
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index).map_err(|e| format!("reading {}: {e}", index.display()))?;
    let (new_html, script) = split_inline_module(&html).ok_or("dist/index.html has no inline module script from Trunk")?;
    let name = format!("boot-{:016x}.js", fnv1a(script.as_bytes()));
    std::fs::write(dist.join(&name), script).map_err(|e| format!("writing {name}: {e}"))?;
    // The loader sits beside the wasm, under Trunk's public URL.
    let prefix = public_prefix(&new_html);
    let new_html = new_html.replace("{{BOOT}}", &format!("{prefix}{name}"));
    std::fs::write(&index, new_html).map_err(|e| format!("writing index.html: {e}"))
}

/// Returns the page with the inline `<script type="module">…</script>` replaced by a
/// `src="{{BOOT}}"` reference, and the script's text.
pub fn split_inline_module(html: &str) -> Option<(String, String)> {
    let open = "<script type=\"module\">";
    let start = html.find(open)?;
    let body_start = start + open.len();
    let end = body_start + html[body_start..].find("</script>")?;
    let script = html[body_start..end].trim().to_string();
    let mut out = String::with_capacity(html.len());
    out.push_str(&html[..start]);
    out.push_str("<script type=\"module\" src=\"{{BOOT}}\"></script>");
    out.push_str(&html[end + "</script>".len()..]);
    Some((out, script))
}

/// The folder Trunk's own links point into (its public URL), e.g. `/` or `/sap-key-jobs/`.
fn public_prefix(html: &str) -> String {
    html.find("rel=\"modulepreload\" href=\"")
        .map(|i| &html[i + "rel=\"modulepreload\" href=\"".len()..])
        .and_then(|rest| rest.split('"').next())
        .and_then(|href| href.rfind('/').map(|j| href[..=j].to_string()))
        .unwrap_or_default()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3))
}

/// Builds the simulator with the given cargo profile and returns its binary.
pub fn sim(profile: &str) -> Result<PathBuf, String> {
    let root = root();
    step(&format!("building the simulator (cckm-sim, profile {profile})"));
    status(Command::new("cargo").current_dir(&root).args(["build", "-p", "cckm-sim", "--profile", profile]))?;
    let dir = if profile == "dev" { "debug" } else { profile };
    Ok(root.join("target").join(dir).join("cckm-sim"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_the_inline_loader_out() {
        let html = "<head><link rel=\"modulepreload\" href=\"/a.js\"><script type=\"module\">\nimport init from '/a.js';\nawait init();\n</script></head>";
        let (out, script) = split_inline_module(html).unwrap();
        assert_eq!(script, "import init from '/a.js';\nawait init();");
        assert_eq!(out, "<head><link rel=\"modulepreload\" href=\"/a.js\"><script type=\"module\" src=\"{{BOOT}}\"></script></head>");
        assert!(split_inline_module("<head></head>").is_none());
        assert_eq!(public_prefix(html), "/");
        assert_eq!(public_prefix("<link rel=\"modulepreload\" href=\"/sub/x.js\">"), "/sub/");
        assert_eq!(public_prefix("<p></p>"), "");
    }
}
