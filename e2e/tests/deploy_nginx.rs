//! The page served beside a manager's console: nginx, configured from `deploy/nginx.conf`, serves
//! the dist built with `--public-url /sap-key-jobs/` under that sub-path and proxies `/api/` (and
//! the rest of the origin) to the simulator standing in for the manager. The page, unchanged, calls
//! `/api/v1/...` at the origin root.
//!
//! Needs `CCKM_SUBPATH_DIST` (set by `cargo xtask test`), nginx (`NGINX_BIN`, default /usr/sbin/nginx)
//! and what every end-to-end test needs.
use std::path::PathBuf;

use e2e::nginx::Nginx;
use e2e::{login, Browser, Sim};
use serde_json::json;

const SECURITY_HEADERS: [&str; 4] = ["content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"];

fn subpath_dist() -> e2e::Result<PathBuf> {
    std::env::var_os("CCKM_SUBPATH_DIST")
        .map(PathBuf::from)
        .ok_or_else(|| "CCKM_SUBPATH_DIST is not set: run the end-to-end tests with `cargo xtask test`".into())
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// Plain HTTP checks of what nginx sends, before any browser.
async fn check_http(nginx: &Nginx, sim: &Sim) -> e2e::Result {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let sim_root = http.get(format!("{}/", sim.base)).send().await?;
    // The simulator's policy is the reference: nginx must send exactly the same.
    let csp = header(&sim_root, "content-security-policy");
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"), "{csp}");

    // The page, with the simulator's security headers.
    let page = http.get(nginx.page_url()).send().await?;
    assert_eq!(page.status(), 200);
    assert!(header(&page, "content-type").starts_with("text/html"), "{}", header(&page, "content-type"));
    for h in SECURITY_HEADERS {
        assert_eq!(header(&page, h), header(&sim_root, h), "{h} differs from the simulator's");
    }
    assert_eq!(header(&page, "content-security-policy"), csp);
    assert_eq!(header(&page, "x-frame-options"), "DENY");
    assert_eq!(header(&page, "cache-control"), "no-cache");
    let html = page.text().await?;
    assert!(html.contains("/sap-key-jobs/boot-"), "the loader is referenced under the sub-path:\n{html}");

    // Every asset the page names is served from under the sub-path, with its MIME type.
    let mut assets: Vec<String> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("/sap-key-jobs/") && s.len() > "/sap-key-jobs/".len())
        .map(str::to_string)
        .collect();
    assets.sort();
    assets.dedup();
    let wasm_name = std::fs::read_dir(subpath_dist()?)?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .find(|n| n.ends_with(".wasm"))
        .ok_or("no .wasm in CCKM_SUBPATH_DIST")?;
    assets.push(format!("/sap-key-jobs/{wasm_name}"));
    for a in &assets {
        let r = http.get(format!("{}{a}", nginx.base)).send().await?;
        assert_eq!(r.status(), 200, "{a}");
        let ct = header(&r, "content-type");
        let want = match a.rsplit('.').next() {
            Some("wasm") => "application/wasm",
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            Some("svg") => "image/svg+xml",
            _ => "",
        };
        assert!(ct.starts_with(want), "{a}: content-type {ct}, want {want}");
        assert_eq!(header(&r, "content-security-policy"), csp, "{a}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{a}");
        assert!(header(&r, "cache-control").contains("immutable"), "{a}: hashed files are cached: {}", header(&r, "cache-control"));
    }
    assert!(assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css")), "{assets:?}");

    // SPA fallback: a deep path below the page is the page.
    let deep = http.get(format!("{}/sap-key-jobs/some/deep/link", nginx.base)).send().await?;
    assert_eq!(deep.status(), 200);
    assert_eq!(header(&deep, "content-security-policy"), csp);
    assert_eq!(header(&deep, "cache-control"), "no-cache");
    assert_eq!(deep.text().await?, html);

    // The sub-path without its slash redirects to it.
    let bare = http.get(format!("{}/sap-key-jobs", nginx.base)).send().await?;
    assert_eq!(bare.status(), 301);
    assert!(header(&bare, "location").ends_with("/sap-key-jobs/"), "{}", header(&bare, "location"));

    // The API at the origin root reaches the manager (the simulator).
    let token: serde_json::Value = http
        .post(format!("{}/api/v1/auth/tokens", nginx.base))
        .json(&json!({"grant_type": "password", "username": "admin", "password": "admin"}))
        .send()
        .await?
        .json()
        .await?;
    assert!(token["jwt"].is_string(), "{token}");
    Ok(())
}

#[tokio::test]
async fn the_page_works_under_a_sub_path_behind_nginx() -> e2e::Result {
    let dist = subpath_dist()?;
    let sim = Sim::start(&["--keys", "80", "--job-ms", "1500"])?;
    let nginx = Nginx::start(&dist, &sim.base)?;
    check_http(&nginx, &sim).await?;

    let b = Browser::start().await?;
    b.goto(&nginx.page_url()).await?;
    b.wait_for("#login-username", 20).await?;
    b.screenshot("deploy-nginx-01-login").await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    b.screenshot("deploy-nginx-02-keys").await?;

    // A delete job, end to end, through nginx.
    b.search("payroll-master", "payroll-master").await?;
    b.select_row("payroll-master").await?;
    let out = b.confirm_and_post(Some("payroll-master"), "deploy-nginx-03-delete").await?;
    assert!(out.contains("job created"), "{out}");
    let done = b.wait_job("payroll-master", "delete", "COMPLETED", 30).await?;
    assert!(done.contains("succeeded"), "{done}");
    assert_eq!(sim.key_by_name("payroll-master").await?["gone"], true);
    b.screenshot("deploy-nginx-04-deleted").await?;
    let page_at = b.eval("return location.pathname;").await?;
    assert!(page_at.as_str().unwrap_or_default().starts_with("/sap-key-jobs/"), "the page left its sub-path: {page_at}");

    // The API calls went to the origin root, through nginx.
    let log = nginx.access_log();
    assert!(log.contains("\"POST /api/v1/auth/tokens "), "{log}");
    assert!(log.contains("\"POST /api/v1/cckm/sap/keys/jobs "), "{log}");
    assert!(!log.contains("/sap-key-jobs/api/"), "the page called the API under its own path:\n{log}");

    // A deep link loads the page (SPA fallback) and it runs.
    b.goto(&format!("{}/sap-key-jobs/some/deep/link", nginx.base)).await?;
    b.wait_for("#login-username, .keys-table, #job-list", 20).await?;
    b.screenshot("deploy-nginx-05-deep-link").await?;
    let errors: Vec<String> = b
        .console()
        .await?
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        !errors.iter().any(|m| m.contains("Content Security Policy") || m.contains("wasm")),
        "the page broke under nginx: {errors:?}"
    );
    b.close().await
}
