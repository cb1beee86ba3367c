//! The Chrome DevTools Protocol, through the e2e library's `Browser::cdp`: CPU time by kind, and
//! the CPU profile printed for `CCKM_BENCH_PROFILE`.
use e2e::Browser;
use serde_json::{json, Value};

use super::Res;

/// One CDP command.
pub async fn cdp(b: &Browser, cmd: &str, params: Value) -> Res<Value> {
    b.cdp(cmd, params).await
}

/// CDP `Performance.getMetrics`: (script, style recalculation, layout) durations in ms so far.
pub async fn cpu_metrics(b: &Browser) -> Res<(f64, f64, f64)> {
    let v = cdp(b, "Performance.getMetrics", json!({})).await?;
    let get = |n: &str| {
        v["metrics"]
            .as_array()
            .and_then(|m| m.iter().find(|x| x["name"] == n))
            .and_then(|x| x["value"].as_f64())
            .unwrap_or(0.0)
            * 1000.0
    };
    Ok((
        get("ScriptDuration"),
        get("RecalcStyleDuration"),
        get("LayoutDuration"),
    ))
}

pub async fn start_profile(b: &Browser, interval_us: u32) -> Res {
    cdp(b, "Profiler.enable", json!({})).await?;
    cdp(
        b,
        "Profiler.setSamplingInterval",
        json!({"interval": interval_us}),
    )
    .await?;
    cdp(b, "Profiler.start", json!({})).await?;
    Ok(())
}

/// Stops the CPU profile and prints its self time by function.
pub async fn stop_profile(b: &Browser) -> Res {
    let p = cdp(b, "Profiler.stop", json!({})).await?;
    print_profile(&p["profile"]);
    Ok(())
}

/// Self time by function of a CDP CPU profile.
fn print_profile(p: &Value) {
    let nodes = p["nodes"].as_array().cloned().unwrap_or_default();
    let samples = p["samples"].as_array().cloned().unwrap_or_default();
    let deltas = p["timeDeltas"].as_array().cloned().unwrap_or_default();
    let mut by_id = std::collections::HashMap::new();
    for n in &nodes {
        by_id.insert(
            n["id"].as_i64().unwrap_or(0),
            n["callFrame"]["functionName"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
    }
    let mut self_us: std::collections::HashMap<String, f64> = std::collections::HashMap::new();
    for (s, d) in samples.iter().zip(deltas.iter()) {
        let name = by_id
            .get(&s.as_i64().unwrap_or(0))
            .cloned()
            .unwrap_or_default();
        *self_us.entry(name).or_default() += d.as_f64().unwrap_or(0.0);
    }
    let mut v: Vec<_> = self_us.into_iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (name, us) in v.iter().take(30) {
        eprintln!(
            "      {:8.2} ms  {}",
            us / 1000.0,
            &name[..name.len().min(140)]
        );
    }
}
