//! Builds the release page with Trunk (offline), precompresses it, and builds the simulator binary.
mod compress;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools::Tools;
use crate::{root, status, step};

/// `cargo xtask build [--public-url /PATH/] [--dist DIR]`.
pub fn command(args: &[String]) -> Result<(), String> {
    let (mut public_url, mut dist) = (None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--public-url" => {
                public_url = Some(
                    it.next()
                        .ok_or("--public-url needs a path such as /sap-key-jobs/")?
                        .clone(),
                )
            }
            "--dist" => dist = Some(PathBuf::from(it.next().ok_or("--dist needs a folder")?)),
            other => return Err(format!("unknown option {other}\n{}", crate::USAGE)),
        }
    }
    let t = crate::tools::ensure(crate::tools::Need::Build)?;
    let out = page_at(&t, public_url.as_deref(), dist.as_deref())?;
    eprintln!("    the page is in {}", out.display());
    Ok(())
}

/// `trunk build --release` into `dist/`, then makes the output live under a strict CSP and writes
/// its `.br` and `.gz` siblings.
pub fn page(t: &Tools) -> Result<PathBuf, String> {
    page_at(t, None, None)
}

/// Like [`page`], for a page served under `public_url` (e.g. `/sap-key-jobs/`; `None`: Trunk.toml's
/// `/`) and written to `dist` (`None`: `dist/`).
pub fn page_at(
    t: &Tools,
    public_url: Option<&str>,
    dist: Option<&Path>,
) -> Result<PathBuf, String> {
    let root = root();
    let mut args: Vec<String> = vec!["build".into(), "--release".into()];
    if let Some(url) = public_url {
        args.extend(["--public-url".into(), normalize_public_url(url)?]);
    }
    let out = match dist {
        Some(d) => {
            let d = if d.is_absolute() {
                d.to_path_buf()
            } else {
                std::env::current_dir().map_err(|e| e.to_string())?.join(d)
            };
            // Trunk empties its dist folder: never let that be the repository or one of its parents.
            if root.starts_with(&d) {
                return Err(format!("--dist {} would empty the repository", d.display()));
            }
            args.extend(["--dist".into(), d.display().to_string()]);
            d
        }
        None => root.join("dist"),
    };
    step("fetching crates (Trunk builds offline)");
    status(Command::new("cargo").current_dir(&root).args(["fetch"]))?;
    step(&format!(
        "building the page: trunk {} (wasm-opt -Oz)",
        args.join(" ")
    ));
    status(t.command("trunk").current_dir(&root).args(&args))?;
    externalize_loader(&out)?;
    precompress(&out)?;
    Ok(out)
}

/// Writes `X.br` (brotli 11) and `X.gz` (gzip -9) beside each compressible file of a built dist
/// (the page's, or the bench's floor) and prints the totals.
pub fn precompress(dist: &Path) -> Result<(), String> {
    step(&format!(
        "precompressing {} (brotli 11, gzip -9)",
        dist.display()
    ));
    let totals = compress::dist(dist)?;
    eprintln!("    {}", totals.line());
    Ok(())
}

/// `sap-key-jobs`, `/sap-key-jobs` and `/sap-key-jobs/` all mean `/sap-key-jobs/`.
pub fn normalize_public_url(url: &str) -> Result<String, String> {
    let inner = url.trim().trim_matches('/');
    if inner.contains("..")
        || inner.contains("//")
        || inner.contains(char::is_whitespace)
        || inner.contains(['"', '\'', '<', '>', '?', '#'])
    {
        return Err(format!(
            "--public-url {url:?} is not a plain path such as /sap-key-jobs/"
        ));
    }
    Ok(if inner.is_empty() {
        "/".into()
    } else {
        format!("/{inner}/")
    })
}

/// Trunk writes its wasm loader as an inline module script, which `script-src 'self'` forbids.
/// Move it into `dist/boot-<hash>.js` and reference it.
pub fn externalize_loader(dist: &std::path::Path) -> Result<(), String> {
    let index = dist.join("index.html");
    let html =
        std::fs::read_to_string(&index).map_err(|e| format!("reading {}: {e}", index.display()))?;
    let (new_html, script) = split_inline_module(&html)
        .ok_or("dist/index.html has no inline module script from Trunk")?;
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
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// Builds the simulator with the given cargo profile and returns its binary.
pub fn sim(profile: &str) -> Result<PathBuf, String> {
    let root = root();
    step(&format!(
        "building the simulator (cckm-sim, profile {profile})"
    ));
    status(Command::new("cargo").current_dir(&root).args([
        "build",
        "-p",
        "cckm-sim",
        "--profile",
        profile,
    ]))?;
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
        assert_eq!(
            public_prefix("<link rel=\"modulepreload\" href=\"/sub/x.js\">"),
            "/sub/"
        );
        assert_eq!(public_prefix("<p></p>"), "");
    }

    #[test]
    fn public_urls_are_folders() {
        assert_eq!(
            normalize_public_url("/sap-key-jobs/").unwrap(),
            "/sap-key-jobs/"
        );
        assert_eq!(
            normalize_public_url("sap-key-jobs").unwrap(),
            "/sap-key-jobs/"
        );
        assert_eq!(normalize_public_url("/a/b").unwrap(), "/a/b/");
        assert_eq!(normalize_public_url("/").unwrap(), "/");
        assert!(normalize_public_url("/../etc/").is_err());
        assert!(normalize_public_url("/a b/").is_err());
    }
}
