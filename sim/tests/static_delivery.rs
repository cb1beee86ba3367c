//! The page as it is delivered: precompressed files by `Accept-Encoding`, `Vary`, the cache policy of
//! hashed files and of `index.html` (ETag, 304), deep links and HEAD, over real HTTP.

mod common;

use common::{config, start, Sim};
use reqwest::header::{HeaderMap, ACCEPT_ENCODING};
use reqwest::Response;
use std::io::{Read, Write};
use std::path::PathBuf;

const WASM: &str = "/cckm-sap-admin-0123456789abcdef_bg.wasm";
const JS: &str = "/cckm-sap-admin-0123456789abcdef.js";
const CSS: &str = "/app-fedcba9876543210.css";
/// A hashed file built without its .br and .gz.
const BARE: &str = "/extra-00112233aabbccdd.css";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

struct Dist {
    dir: PathBuf,
}

impl Drop for Dist {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Dist {
    fn raw(&self, path: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(path.trim_start_matches('/'))).unwrap()
    }
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).unwrap();
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn unbrotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(data, 4096).read_to_end(&mut out).unwrap();
    out
}

fn ungzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data).read_to_end(&mut out).unwrap();
    out
}

/// A tiny dist as `cargo xtask build` leaves it: hashed wasm, js and css, index.html, and their
/// .br/.gz siblings (except for `BARE`).
fn dist() -> Dist {
    let dir = std::env::temp_dir().join(format!("cckm-sim-delivery-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend((0..4000u32).flat_map(|i| (i % 251).to_le_bytes()));
    let files: [(&str, Vec<u8>); 4] = [
        ("index.html", format!("<!doctype html><title>page</title>{}", "<p>keys</p>".repeat(200)).into_bytes()),
        (&WASM[1..], wasm),
        (&JS[1..], "export function init() { return 'wasm'; }\n".repeat(200).into_bytes()),
        (&CSS[1..], "table { border-collapse: collapse }\n".repeat(100).into_bytes()),
    ];
    for (name, data) in files {
        std::fs::write(dir.join(name), &data).unwrap();
        std::fs::write(dir.join(format!("{name}.br")), brotli(&data)).unwrap();
        std::fs::write(dir.join(format!("{name}.gz")), gzip(&data)).unwrap();
    }
    std::fs::write(dir.join(&BARE[1..]), "p { margin: 0 }\n".repeat(100)).unwrap();
    Dist { dir }
}

async fn serve() -> (Sim, Dist) {
    let d = dist();
    let sim = start(cckm_sim::Config { static_dir: Some(d.dir.clone()), ..config() }).await;
    (sim, d)
}

async fn get(sim: &Sim, path: &str, accept: Option<&str>) -> Response {
    let mut req = sim.http.get(sim.url(path));
    if let Some(a) = accept {
        req = req.header(ACCEPT_ENCODING, a);
    }
    req.send().await.unwrap()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).map(|v| v.to_str().unwrap())
}

/// Status 200, `encoding` as `Content-Encoding` (`None`: no header), `Vary` and the content type
/// (its start); returns the headers and the body.
async fn check(r: Response, encoding: Option<&str>, content_type: &str) -> (HeaderMap, Vec<u8>) {
    assert_eq!(r.status(), 200, "{}", r.url());
    let h = r.headers().clone();
    assert_eq!(header(&h, "content-encoding"), encoding, "{}", r.url());
    assert_eq!(header(&h, "vary"), Some("accept-encoding"), "{}", r.url());
    let ct = header(&h, "content-type").unwrap_or_default();
    assert!(ct.starts_with(content_type), "{}: content-type {ct}", r.url());
    assert_eq!(header(&h, "x-content-type-options"), Some("nosniff"));
    assert!(header(&h, "content-security-policy").is_some());
    (h, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn brotli_is_sent_to_who_accepts_it() {
    let (sim, d) = serve().await;
    for (path, ct) in [(WASM, "application/wasm"), (JS, "text/javascript"), (CSS, "text/css"), ("/", "text/html")] {
        let file = if path == "/" { "/index.html" } else { path };
        let (h, body) = check(get(&sim, path, Some("gzip, deflate, br, zstd")).await, Some("br"), ct).await;
        assert_eq!(body, d.raw(&format!("{file}.br")), "{path}");
        assert_eq!(unbrotli(&body), d.raw(file), "{path}");
        assert_eq!(header(&h, "content-length"), Some(body.len().to_string().as_str()));
    }
    let (_, body) = check(get(&sim, WASM, Some("br")).await, Some("br"), "application/wasm").await;
    assert_eq!(unbrotli(&body), d.raw(WASM));
}

#[tokio::test]
async fn gzip_when_brotli_is_not_accepted_or_less_wanted() {
    let (sim, d) = serve().await;
    for accept in ["gzip", "gzip, deflate", "br;q=0.5, gzip", "br;q=0, gzip;q=0.1", "x-gzip"] {
        let (_, body) = check(get(&sim, WASM, Some(accept)).await, Some("gzip"), "application/wasm").await;
        assert_eq!(body, d.raw(&format!("{WASM}.gz")), "{accept}");
        assert_eq!(ungzip(&body), d.raw(WASM), "{accept}");
    }
    let (_, body) = check(get(&sim, JS, Some("gzip")).await, Some("gzip"), "text/javascript").await;
    assert_eq!(ungzip(&body), d.raw(JS));
    let (_, body) = check(get(&sim, "/index.html", Some("gzip")).await, Some("gzip"), "text/html").await;
    assert_eq!(ungzip(&body), d.raw("/index.html"));
}

#[tokio::test]
async fn identity_without_an_accepted_encoding_or_a_precompressed_file() {
    let (sim, d) = serve().await;
    for accept in [None, Some("identity"), Some("deflate"), Some("br;q=0, gzip;q=0"), Some("")] {
        for (path, ct) in [(WASM, "application/wasm"), (JS, "text/javascript"), ("/index.html", "text/html")] {
            let (_, body) = check(get(&sim, path, accept).await, None, ct).await;
            assert_eq!(body, d.raw(path), "{path} {accept:?}");
        }
    }
    let (h, body) = check(get(&sim, BARE, Some("br, gzip")).await, None, "text/css").await;
    assert_eq!(body, d.raw(BARE));
    assert_eq!(header(&h, "cache-control"), Some(IMMUTABLE));
}

#[tokio::test]
async fn hashed_files_are_immutable_and_the_page_revalidates() {
    let (sim, _d) = serve().await;
    for path in [WASM, JS, CSS] {
        for accept in [Some("br"), Some("gzip"), None] {
            let r = get(&sim, path, accept).await;
            assert_eq!(r.status(), 200);
            assert_eq!(header(r.headers(), "cache-control"), Some(IMMUTABLE), "{path} {accept:?}");
        }
    }
    let mut tags = Vec::new();
    for path in ["/", "/index.html", "/keys/some/deep/link"] {
        for accept in [Some("br"), Some("gzip"), None] {
            let (h, body) = check(get(&sim, path, accept).await, accept, "text/html").await;
            assert!(!body.is_empty());
            assert_eq!(header(&h, "cache-control"), Some("no-cache"), "{path} {accept:?}");
            let tag = header(&h, "etag").unwrap_or_else(|| panic!("{path} {accept:?} has no ETag")).to_string();
            assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() > 10, "a strong ETag: {tag}");
            tags.push((accept, tag));
        }
    }
    // One tag per representation, the same for every path that answers with the page.
    for (accept, tag) in &tags {
        for (other_accept, other) in &tags {
            assert_eq!(accept == other_accept, tag == other, "{accept:?} {tag} / {other_accept:?} {other}");
        }
    }
    // A name that looks hashed but is no file is the page, never immutable.
    let (h, _) = check(get(&sim, "/gone-0123456789abcdef.js", None).await, None, "text/html").await;
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
}

async fn conditional(sim: &Sim, path: &str, accept: &str, if_none_match: &str) -> Response {
    sim.http
        .get(sim.url(path))
        .header(ACCEPT_ENCODING, accept)
        .header("if-none-match", if_none_match)
        .header("if-modified-since", "Fri, 01 Jan 2100 00:00:00 GMT")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_conditional_request_for_the_page_gets_304() {
    let (sim, d) = serve().await;
    for accept in ["br", "gzip", "identity"] {
        for path in ["/", "/index.html", "/keys/some/deep/link"] {
            let first = get(&sim, path, Some(accept)).await;
            let tag = header(first.headers(), "etag").unwrap().to_string();
            let r = conditional(&sim, path, accept, &tag).await;
            assert_eq!(r.status(), 304, "{path} {accept}");
            let h = r.headers().clone();
            assert_eq!(header(&h, "etag"), Some(tag.as_str()));
            assert_eq!(header(&h, "cache-control"), Some("no-cache"));
            assert_eq!(header(&h, "vary"), Some("accept-encoding"));
            assert_eq!(header(&h, "x-frame-options"), Some("DENY"));
            assert!(r.bytes().await.unwrap().is_empty());
            let r = conditional(&sim, path, accept, &format!("\"other\", W/{tag}")).await;
            assert_eq!(r.status(), 304, "a list with the weak form of the tag, {path} {accept}");
        }
    }
    // Another tag (another encoding, or an older page) gets the page, whatever If-Modified-Since says.
    let br_tag = header(get(&sim, "/", Some("br")).await.headers(), "etag").unwrap().to_string();
    let r = conditional(&sim, "/", "gzip", &br_tag).await;
    let (_, body) = check(r, Some("gzip"), "text/html").await;
    assert_eq!(ungzip(&body), d.raw("/index.html"));
    let r = conditional(&sim, "/", "br", "\"0123456789abcdef\"").await;
    check(r, Some("br"), "text/html").await;
    // A rebuilt page has a new tag.
    let old_tag = tags_of(&sim, "identity").await;
    std::fs::write(d.dir.join("index.html"), "<!doctype html><title>rebuilt</title>").unwrap();
    let new_tag = tags_of(&sim, "identity").await;
    assert_ne!(old_tag, new_tag);
    let (_, body) = check(conditional(&sim, "/", "identity", &old_tag).await, None, "text/html").await;
    assert_eq!(body, b"<!doctype html><title>rebuilt</title>");
    assert_eq!(conditional(&sim, "/", "identity", &new_tag).await.status(), 304);
}

async fn tags_of(sim: &Sim, accept: &str) -> String {
    header(get(sim, "/", Some(accept)).await.headers(), "etag").unwrap().to_string()
}

#[tokio::test]
async fn head_and_other_methods() {
    let (sim, d) = serve().await;
    let r = sim.http.head(sim.url(WASM)).header(ACCEPT_ENCODING, "br").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(header(&h, "content-encoding"), Some("br"));
    assert_eq!(header(&h, "content-type"), Some("application/wasm"));
    assert_eq!(header(&h, "content-length"), Some(d.raw(&format!("{WASM}.br")).len().to_string().as_str()));
    assert_eq!(header(&h, "cache-control"), Some(IMMUTABLE));
    assert_eq!(header(&h, "vary"), Some("accept-encoding"));
    assert!(r.bytes().await.unwrap().is_empty());
    for path in ["/", "/keys/deep"] {
        let r = sim.http.head(sim.url(path)).header(ACCEPT_ENCODING, "gzip").send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(r.headers(), "content-encoding"), Some("gzip"));
        assert_eq!(header(r.headers(), "cache-control"), Some("no-cache"));
        let tag = header(r.headers(), "etag").unwrap().to_string();
        assert_eq!(tag, tags_of(&sim, "gzip").await);
        assert!(r.bytes().await.unwrap().is_empty());
    }
    let r = sim.http.post(sim.url("/")).header(ACCEPT_ENCODING, "br").send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(header(r.headers(), "allow"), Some("GET, HEAD"));
    let r = get(&sim, "/api/v1/nope", Some("br")).await;
    assert_eq!(r.status(), 404);
    assert!(header(r.headers(), "content-type").unwrap().starts_with("application/json"));
    assert_eq!(header(r.headers(), "content-encoding"), None);
}
