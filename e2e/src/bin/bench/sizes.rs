//! What a cold load brings: the files the browser fetched (Resource Timing, with `transferSize`),
//! their gzip -9 sizes read from the build, and the floor (the minimal Yew app) served the same way.
use std::io::Write;
use std::path::Path;

use e2e::{Browser, Sim};
use serde_json::{json, Value};

use super::Res;

/// The document and every resource it fetched (Resource Timing), API calls excluded.
pub async fn loaded_files(b: &Browser) -> Res<Vec<Value>> {
    let v = b
        .eval(
            "const f = e => ({url: e.name, kind: e.initiatorType || 'navigation', transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize});
             return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
                 .map(f).filter(e => !new URL(e.url).pathname.startsWith('/api/'));",
        )
        .await?;
    Ok(v.as_array().cloned().unwrap_or_default())
}

/// gzip -9 size of each loaded file, read from `dist` (URL path `/` is `index.html`).
pub fn size_files(dist: &Path, loaded: &[Value]) -> Res<(Vec<Value>, usize, usize)> {
    let mut out = Vec::new();
    let (mut raw_sum, mut gz_sum) = (0, 0);
    for e in loaded {
        let url = url::Url::parse(e["url"].as_str().unwrap_or_default())?;
        let mut rel = url.path().trim_start_matches('/').to_string();
        if rel.is_empty() {
            rel = "index.html".into();
        }
        let path = dist.join(&rel);
        if !path.is_file() {
            // The browser's own `/favicon.ico` guess on a page without an icon: not a file of the build.
            eprintln!(
                "    (not counted: {url} is not a file of {})",
                dist.display()
            );
            continue;
        }
        let bytes = std::fs::read(&path)
            .map_err(|err| format!("{} (loaded as {url}): {err}", path.display()))?;
        let gz = gzip9(&bytes);
        raw_sum += bytes.len();
        gz_sum += gz;
        out.push(json!({"file": rel, "kind": e["kind"], "bytes": bytes.len(), "gzip9": gz}));
    }
    out.sort_by_key(|v| std::cmp::Reverse(v["gzip9"].as_u64().unwrap_or(0)));
    Ok((out, raw_sum, gz_sum))
}

/// A simulator serving the floor (the minimal Yew app) instead of the page.
pub fn floor_sim() -> Res<Sim> {
    let floor = std::env::var("CCKM_FLOOR_DIST")
        .map_err(|_| "CCKM_FLOOR_DIST is not set: run `cargo xtask bench`")?;
    let page = std::env::var("CCKM_DIST")?;
    std::env::set_var("CCKM_DIST", &floor);
    let sim = Sim::start(&["--keys", "10"]);
    std::env::set_var("CCKM_DIST", &page);
    sim
}

/// Size of the floor: the minimal Yew app loaded the same way.
pub async fn floor_files(base: &str) -> Res<Vec<Value>> {
    let b = Browser::start().await?;
    b.goto(&format!("{base}/")).await?;
    b.wait_for("#increment", 30).await?;
    b.click("#increment").await?;
    b.wait_text("#count", "1", 10).await?;
    let files = loaded_files(&b).await?;
    b.close().await?;
    Ok(files)
}

fn gzip9(bytes: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(9));
    enc.write_all(bytes).expect("gzip into memory");
    enc.finish().expect("gzip into memory").len()
}
