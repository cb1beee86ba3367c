//! Bench: 50,000 keys, 200 list requests of one page of 50 with various filters and sorts; prints median and p95.
//! Run: cargo run -p cckm-sim --profile sim-release --example list_bench

use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let t0 = Instant::now();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let config = cckm_sim::Config { keys: 50_000, groups: 40, ..cckm_sim::Config::default() };
    let server = cckm_sim::start(config, listener).await?;
    println!("startup with 50000 keys: {:.0} ms", t0.elapsed().as_secs_f64() * 1000.0);
    let base = format!("http://{}", server.addr());
    let http = reqwest::Client::new();
    let tok: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/tokens"))
        .json(&serde_json::json!({"username": "admin", "password": "admin"}))
        .send()
        .await?
        .json()
        .await?;
    let jwt = tok["jwt"].as_str().ok_or("no jwt")?.to_string();
    // One query per line, shared by sim/examples/list_bench.rs and the benchmark driver.
    let queries: Vec<&str> = include_str!("list_queries.txt").lines().filter(|l| !l.is_empty()).collect();
    let mut times = Vec::new();
    let mut per_query: Vec<Vec<f64>> = vec![Vec::new(); queries.len()];
    for i in 0..200 {
        let q = queries[i % queries.len()];
        let t = Instant::now();
        let r = http.get(format!("{base}/api/v1/cckm/sap/keys?{q}")).bearer_auth(&jwt).send().await?;
        let status = r.status();
        let _ = r.bytes().await?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        times.push(ms);
        per_query[i % queries.len()].push(ms);
        if !status.is_success() {
            return Err(format!("{q}: {status}").into());
        }
    }
    for (q, mut t) in queries.iter().zip(per_query) {
        t.sort_by(|a, b| a.total_cmp(b));
        println!("  {q:<50} median {:.2} ms", t[t.len() / 2]);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let median = times[times.len() / 2];
    let p95 = times[times.len() * 95 / 100];
    println!(
        "list bench: 200 requests of 50 keys out of 50000: median {median:.2} ms, p95 {p95:.2} ms, max {:.2} ms",
        times[times.len() - 1]
    );
    drop(server);
    Ok(())
}
