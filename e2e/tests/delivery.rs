//! The page as the simulator delivers it: it loads and works whichever encoding the browser accepts
//! (br, gzip, identity, forced through CDP), each file arrives as the `.br`/`.gz`/plain file that
//! `cargo xtask build` wrote, and a second visit fetches no hashed file: only index.html, revalidated.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use e2e::reliability::LoggedSim;
use e2e::{login, Browser};
use serde_json::json;

/// Trunk's hashed names, as the simulator and deploy/nginx.conf match them.
fn is_hashed(path: &str) -> bool {
    let Some((stem, ext)) = path.rsplit_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    let hash = stem.rsplit_once('-').map(|(_, h)| h).unwrap_or_default();
    matches!(ext, "js" | "wasm" | "css" | "svg")
        && (8..=16).contains(&hash.len())
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The document and the files it loaded (Resource Timing), API calls excluded: path, transfer,
/// encoded and decoded sizes.
async fn loaded(b: &Browser) -> e2e::Result<Vec<(String, u64, u64, u64)>> {
    let v = b
        .eval(
            "return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
                 .map(e => [new URL(e.name).pathname, e.transferSize, e.encodedBodySize, e.decodedBodySize])
                 .filter(e => !e[0].startsWith('/api/'));",
        )
        .await?;
    let rows = v.as_array().ok_or("no resource timing")?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_string(),
                r[1].as_u64().unwrap_or(u64::MAX),
                r[2].as_u64().unwrap_or(0),
                r[3].as_u64().unwrap_or(0),
            )
        })
        .collect())
}

/// Waits until the wasm shows in Resource Timing (the page has started).
async fn wait_wasm(b: &Browser) -> e2e::Result<Vec<(String, u64, u64, u64)>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files = loaded(b).await?;
        if files.iter().any(|f| f.0.ends_with("_bg.wasm")) {
            return Ok(files);
        }
        if Instant::now() > deadline {
            return Err(format!("the wasm never loaded: {files:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn size(dist: &Path, path: &str, suffix: &str) -> e2e::Result<u64> {
    let name = if path == "/" {
        "index.html"
    } else {
        path.trim_start_matches('/')
    };
    let file = dist.join(format!("{name}{suffix}"));
    Ok(std::fs::metadata(&file)
        .map_err(|e| {
            format!(
                "{}: {e} (was the dist built by `cargo xtask build`?)",
                file.display()
            )
        })?
        .len())
}

/// Loads the page with `Accept-Encoding: accept` (`None`: the browser's own), logs in, searches;
/// checks the bytes each file came as (`suffix`: `.br`, `.gz` or none); then visits again and checks
/// that only index.html went out.
async fn visit_twice(accept: Option<&str>, suffix: &str) -> e2e::Result {
    let dist = PathBuf::from(std::env::var_os("CCKM_DIST").ok_or("CCKM_DIST is not set")?);
    let sim = LoggedSim::start(&["--keys", "60"])?;
    let b = Browser::start().await?;
    if let Some(accept) = accept {
        b.cdp("Network.enable", json!({})).await?;
        b.cdp(
            "Network.setExtraHTTPHeaders",
            json!({"headers": {"Accept-Encoding": accept}}),
        )
        .await?;
    }
    let accept = accept.unwrap_or("default");

    b.goto(&format!("{}/", sim.base)).await?;
    b.wait_for("#login-username", 20).await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    b.search("payroll-master", "payroll-master").await?;
    b.screenshot(&format!("delivery-{accept}")).await?;

    let files = wait_wasm(&b).await?;
    for kind in ["_bg.wasm", ".js", ".css"] {
        assert!(
            files.iter().any(|f| f.0.ends_with(kind) && is_hashed(&f.0)),
            "no hashed {kind} loaded: {files:?}"
        );
    }
    for (path, _, encoded, decoded) in files.iter().filter(|f| f.0 == "/" || is_hashed(&f.0)) {
        assert_eq!(
            *encoded,
            size(&dist, path, suffix)?,
            "{path} with Accept-Encoding {accept}: not the {suffix:?} file"
        );
        assert_eq!(*decoded, size(&dist, path, "")?, "{path}");
    }
    let first = sim.gets();
    for (path, status) in first.iter().filter(|(p, _)| p == "/" || is_hashed(p)) {
        assert_eq!(*status, 200, "first visit, GET {path}");
    }

    // The second visit: index.html revalidated (304), every hashed file from the cache.
    b.goto("about:blank").await?;
    b.goto(&format!("{}/", sim.base)).await?;
    b.wait_text(".brand-name", "SAP key jobs", 20).await?;
    let files = wait_wasm(&b).await?;
    b.screenshot(&format!("delivery-{accept}-again")).await?;
    let hashed: Vec<_> = files.iter().filter(|f| is_hashed(&f.0)).collect();
    assert!(hashed.len() >= 3, "{files:?}");
    for (path, transfer, _, _) in &hashed {
        assert_eq!(
            *transfer, 0,
            "second visit with {accept}: {path} came over the network"
        );
    }
    let again: Vec<_> = sim
        .gets()
        .into_iter()
        .skip(first.len())
        .filter(|(p, _)| !p.starts_with("/api/"))
        .collect();
    assert_eq!(
        again,
        vec![("/".to_string(), 304)],
        "second visit with {accept}: static requests"
    );
    b.close().await
}

#[tokio::test]
async fn the_browsers_own_accept_encoding_gets_brotli() -> e2e::Result {
    visit_twice(None, ".br").await
}

#[tokio::test]
async fn brotli_loads_works_and_caches() -> e2e::Result {
    visit_twice(Some("br"), ".br").await
}

#[tokio::test]
async fn gzip_loads_works_and_caches() -> e2e::Result {
    visit_twice(Some("gzip"), ".gz").await
}

#[tokio::test]
async fn identity_loads_works_and_caches() -> e2e::Result {
    visit_twice(Some("identity"), "").await
}
