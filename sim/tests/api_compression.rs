//! API answers are compressed by the request's `Accept-Encoding` (br over gzip), and sent as they
//! are to a client that asks for nothing; errors keep the manager's shape either way.

mod common;

use common::{config, start};
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, VARY};
use serde_json::Value;
use std::io::Read;

const KEYS: &str = "/api/v1/cckm/sap/keys?limit=50&sort=name";

async fn get(sim: &common::Sim, jwt: &str, path: &str, encoding: Option<&str>) -> reqwest::Response {
    let mut req = sim.http.get(sim.url(path)).bearer_auth(jwt);
    if let Some(e) = encoding {
        req = req.header(ACCEPT_ENCODING, e);
    }
    req.send().await.unwrap()
}

fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out).unwrap(),
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out).unwrap(),
        other => panic!("unexpected encoding {other}"),
    };
    out
}

#[tokio::test]
async fn key_lists_are_compressed_by_accept_encoding() {
    let sim = start(config()).await;
    let jwt = sim.jwt().await;
    let plain = get(&sim, &jwt, KEYS, None).await;
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get(CONTENT_ENCODING).is_none(), "nothing asked, nothing compressed");
    let plain: Value = serde_json::from_slice(&plain.bytes().await.unwrap()).unwrap();
    assert_eq!(plain["resources"].as_array().map(Vec::len), Some(50));
    for (asked, sent) in [("br", "br"), ("gzip", "gzip"), ("gzip, deflate, br", "br"), ("br;q=0, gzip", "gzip")] {
        let r = get(&sim, &jwt, KEYS, Some(asked)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers().get(CONTENT_ENCODING).and_then(|v| v.to_str().ok()), Some(sent), "{asked}");
        let vary = r.headers().get(VARY).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        assert!(vary.contains("accept-encoding"), "{asked}: vary {vary:?}");
        let body = r.bytes().await.unwrap();
        let json: Value = serde_json::from_slice(&decode(sent, &body)).unwrap();
        assert!(
            body.len() * 3 < serde_json::to_vec(&json).unwrap().len(),
            "{asked}: {} bytes is not compressed",
            body.len()
        );
        let names =
            |v: &Value| v["resources"].as_array().unwrap().iter().map(|k| k["name"].clone()).collect::<Vec<_>>();
        assert_eq!(names(&json), names(&plain), "{asked}: the same answer");
    }
}

#[tokio::test]
async fn a_compressed_error_keeps_the_managers_shape() {
    let sim = start(config()).await;
    let jwt = sim.jwt().await;
    let r = get(&sim, &jwt, "/api/v1/cckm/sap/keys/00000000-0000-0000-0000-000000000000", Some("gzip")).await;
    assert_eq!(r.status(), 404);
    let enc = r.headers().get(CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = r.bytes().await.unwrap();
    let body = match enc.as_deref() {
        Some(e) => decode(e, &body),
        None => body.to_vec(),
    };
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["code"], 16);
    assert!(v["requestID"].is_string());
}
