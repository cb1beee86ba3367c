//! The page served beside a manager's console: nginx, configured from `deploy/nginx.conf`, serves
//! the dist built with `--public-url /sap-key-jobs/` under that sub-path and proxies `/api/` (and
//! the rest of the origin) to the simulator standing in for the manager. The page, unchanged, calls
//! `/api/v1/...` at the origin root.
//!
//! A second test checks, for each file of the page and over plain HTTP, that nginx sends the
//! `.br`/`.gz` the build wrote by the request's `Accept-Encoding`, with the file's own Content-Type,
//! `Vary`, the cache policy and the security headers, and that `index.html` revalidates with 304:
//! once with the brotli module as this host has it (installed by `cargo xtask test`) and once as on
//! a host without it.
//!
//! Needs `CCKM_SUBPATH_DIST` (set by `cargo xtask test`), nginx (`NGINX_BIN`, default /usr/sbin/nginx)
//! and what every end-to-end test needs.
use std::io::Read;
use std::path::PathBuf;

use e2e::nginx::{brotli_enabled, precompressed, Brotli, Nginx, Precompressed};
use e2e::{login, Browser, Sim};
use serde_json::json;

const SECURITY_HEADERS: [&str; 4] = [
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
];

fn subpath_dist() -> e2e::Result<PathBuf> {
    std::env::var_os("CCKM_SUBPATH_DIST")
        .map(PathBuf::from)
        .ok_or_else(|| {
            "CCKM_SUBPATH_DIST is not set: run the end-to-end tests with `cargo xtask test`".into()
        })
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Plain HTTP checks of what nginx sends, before any browser.
async fn check_http(nginx: &Nginx, sim: &Sim) -> e2e::Result {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let sim_root = http.get(format!("{}/", sim.base)).send().await?;
    // The simulator's policy is the reference: nginx must send exactly the same.
    let csp = header(&sim_root, "content-security-policy");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'")
            && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );

    // The page, with the simulator's security headers.
    let page = http.get(nginx.page_url()).send().await?;
    assert_eq!(page.status(), 200);
    assert!(
        header(&page, "content-type").starts_with("text/html"),
        "{}",
        header(&page, "content-type")
    );
    for h in SECURITY_HEADERS {
        assert_eq!(
            header(&page, h),
            header(&sim_root, h),
            "{h} differs from the simulator's"
        );
    }
    assert_eq!(header(&page, "content-security-policy"), csp);
    assert_eq!(header(&page, "x-frame-options"), "DENY");
    assert_eq!(header(&page, "cache-control"), "no-cache");
    let html = page.text().await?;
    assert!(
        html.contains("/sap-key-jobs/boot-"),
        "the loader is referenced under the sub-path:\n{html}"
    );

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
        assert!(
            header(&r, "cache-control").contains("immutable"),
            "{a}: hashed files are cached: {}",
            header(&r, "cache-control")
        );
    }
    assert!(
        assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css")),
        "{assets:?}"
    );

    // SPA fallback: a deep path below the page is the page.
    let deep = http
        .get(format!("{}/sap-key-jobs/some/deep/link", nginx.base))
        .send()
        .await?;
    assert_eq!(deep.status(), 200);
    assert_eq!(header(&deep, "content-security-policy"), csp);
    assert_eq!(header(&deep, "cache-control"), "no-cache");
    assert_eq!(deep.text().await?, html);

    // The sub-path without its slash redirects to it.
    let bare = http
        .get(format!("{}/sap-key-jobs", nginx.base))
        .send()
        .await?;
    assert_eq!(bare.status(), 301);
    assert!(
        header(&bare, "location").ends_with("/sap-key-jobs/"),
        "{}",
        header(&bare, "location")
    );

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
    let out = b
        .confirm_and_post(Some("payroll-master"), "deploy-nginx-03-delete")
        .await?;
    assert!(out.contains("job created"), "{out}");
    let done = b
        .wait_job("payroll-master", "delete", "COMPLETED", 30)
        .await?;
    assert!(done.contains("succeeded"), "{done}");
    assert_eq!(sim.key_by_name("payroll-master").await?["gone"], true);
    b.screenshot("deploy-nginx-04-deleted").await?;
    let page_at = b.eval("return location.pathname;").await?;
    assert!(
        page_at
            .as_str()
            .unwrap_or_default()
            .starts_with("/sap-key-jobs/"),
        "the page left its sub-path: {page_at}"
    );

    // The API calls went to the origin root, through nginx.
    let log = nginx.access_log();
    assert!(log.contains("\"POST /api/v1/auth/tokens "), "{log}");
    assert!(log.contains("\"POST /api/v1/cckm/sap/keys/jobs "), "{log}");
    assert!(
        !log.contains("/sap-key-jobs/api/"),
        "the page called the API under its own path:\n{log}"
    );

    // A deep link loads the page (SPA fallback) and it runs.
    b.goto(&format!("{}/sap-key-jobs/some/deep/link", nginx.base))
        .await?;
    b.wait_for("#login-username, .keys-table, #job-list", 20)
        .await?;
    b.screenshot("deploy-nginx-05-deep-link").await?;
    let errors: Vec<String> = b
        .console()
        .await?
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        !errors
            .iter()
            .any(|m| m.contains("Content Security Policy") || m.contains("wasm")),
        "the page broke under nginx: {errors:?}"
    );
    b.close().await
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A response read whole.
struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

/// A client that neither asks for nor undoes any encoding, whatever reqwest's features.
fn raw_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .no_zstd()
        .build()
}

async fn get(http: &reqwest::Client, url: &str, headers: &[(&str, &str)]) -> e2e::Result<Got> {
    let mut req = http.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await?;
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    Ok(Got {
        status,
        headers,
        body: r.bytes().await?.to_vec(),
    })
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("wasm") => "application/wasm",
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        Some("html") => "text/html",
        _ => "?",
    }
}

/// The headers every answer for the page carries, as the simulator sends them.
fn assert_security(got: &Got, reference: &[(String, String)], what: &str) {
    for (name, want) in reference {
        assert_eq!(&got.header(name), want, "{what}: {name}");
    }
}

/// Each file by each encoding: body, Content-Encoding, Content-Type, Vary, Cache-Control, security.
async fn check_encodings(
    nginx: &Nginx,
    files: &[Precompressed],
    reference: &[(String, String)],
) -> e2e::Result {
    let http = raw_client()?;
    let br = nginx.brotli;
    for f in files {
        let mut urls = vec![format!("{}/sap-key-jobs/{}", nginx.base, f.name)];
        if f.name == "index.html" {
            urls.push(nginx.page_url());
            urls.push(format!("{}/sap-key-jobs/some/deep/link", nginx.base));
        }
        let (best, best_body) = if br { ("br", &f.br) } else { ("gzip", &f.gz) };
        let cases: [(Option<&str>, &str, &Vec<u8>); 6] = [
            (
                Some("br"),
                if br { "br" } else { "" },
                if br { &f.br } else { &f.plain },
            ),
            (Some("gzip"), "gzip", &f.gz),
            (Some("gzip, deflate, br, zstd"), best, best_body),
            (Some("br;q=0, gzip"), "gzip", &f.gz),
            (Some("identity"), "", &f.plain),
            (None, "", &f.plain),
        ];
        for url in &urls {
            for (accept, encoding, body) in cases {
                let what = format!(
                    "{url} with Accept-Encoding {accept:?} (brotli_static {})",
                    if br { "on" } else { "off" }
                );
                let headers: Vec<(&str, &str)> =
                    accept.map(|a| ("accept-encoding", a)).into_iter().collect();
                let got = get(&http, url, &headers).await?;
                assert_eq!(got.status, 200, "{what}");
                assert_eq!(got.header("content-encoding"), encoding, "{what}");
                let file = match encoding {
                    "br" => format!("{}.br", f.name),
                    "gzip" => format!("{}.gz", f.name),
                    _ => f.name.clone(),
                };
                assert!(
                    got.body == *body,
                    "{what}: {} bytes, not the {} bytes of {file}",
                    got.body.len(),
                    body.len()
                );
                assert!(
                    got.header("content-type")
                        .starts_with(content_type(&f.name)),
                    "{what}: {}",
                    got.header("content-type")
                );
                assert!(
                    got.header("vary")
                        .to_ascii_lowercase()
                        .contains("accept-encoding"),
                    "{what}: vary {:?}",
                    got.header("vary")
                );
                let cache = if f.name == "index.html" {
                    "no-cache"
                } else {
                    IMMUTABLE
                };
                assert_eq!(got.header("cache-control"), cache, "{what}");
                assert_security(&got, reference, &what);
                if encoding == "gzip" {
                    let mut plain = Vec::new();
                    flate2::read::GzDecoder::new(&got.body[..]).read_to_end(&mut plain)?;
                    assert!(plain == f.plain, "{what}: the .gz is not {}", f.name);
                }
            }
        }
    }
    Ok(())
}

/// index.html, by each encoding: a second request with its ETag or its date gets 304, headers kept.
async fn check_revalidation(nginx: &Nginx, reference: &[(String, String)]) -> e2e::Result {
    let http = raw_client()?;
    for url in [nginx.page_url(), format!("{}index.html", nginx.page_url())] {
        for accept in ["br", "gzip", "identity"] {
            let what = format!("{url} with Accept-Encoding {accept}");
            let ae = ("accept-encoding", accept);
            let first = get(&http, &url, &[ae]).await?;
            let (etag, modified) = (first.header("etag"), first.header("last-modified"));
            assert!(
                first.status == 200 && !etag.is_empty() && !modified.is_empty(),
                "{what}: {:?}",
                first.headers
            );
            for condition in [
                ("if-none-match", etag.as_str()),
                ("if-modified-since", modified.as_str()),
            ] {
                let again = get(&http, &url, &[ae, condition]).await?;
                let what = format!("{what}, {}: {}", condition.0, condition.1);
                assert_eq!(again.status, 304, "{what}");
                assert!(again.body.is_empty(), "{what}");
                assert_eq!(again.header("cache-control"), "no-cache", "{what}");
                assert_security(&again, reference, &what);
            }
            let changed = get(&http, &url, &[ae, ("if-none-match", "\"not-this-one\"")]).await?;
            assert_eq!(changed.status, 200, "{what}: another ETag is a full answer");
        }
    }
    Ok(())
}

#[tokio::test]
async fn nginx_sends_each_file_precompressed_with_its_headers() -> e2e::Result {
    let dist = subpath_dist()?;
    let files = precompressed(&dist)?;
    let kinds: Vec<&str> = files
        .iter()
        .filter_map(|f| f.name.rsplit('.').next())
        .collect();
    for ext in e2e::nginx::COMPRESSIBLE {
        assert!(
            kinds.contains(&ext),
            "no .{ext} in {}: {kinds:?}",
            dist.display()
        );
    }
    let sim = Sim::start(&[])?;
    let sim_root = raw_client()?.get(format!("{}/", sim.base)).send().await?;
    let reference: Vec<(String, String)> = SECURITY_HEADERS
        .iter()
        .map(|h| (h.to_string(), header(&sim_root, h)))
        .collect();
    assert!(
        reference.iter().all(|(_, v)| !v.is_empty()),
        "{reference:?}"
    );

    if !brotli_enabled() {
        eprintln!("the brotli module is not installed here (apt-get install libnginx-mod-http-brotli-static): gzip only");
    }
    for mode in [Brotli::Host, Brotli::Absent] {
        let nginx = Nginx::start_with(&dist, &sim.base, mode)?;
        assert_eq!(nginx.brotli, mode == Brotli::Host && brotli_enabled());
        check_encodings(&nginx, &files, &reference).await?;
        check_revalidation(&nginx, &reference).await?;
    }
    Ok(())
}
