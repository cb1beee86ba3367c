//! The page's start on an emulated slow link (issue #14): bytes on the wire as the simulator
//! serves them, and navigation → login form usable, cold and on a second visit, and login → first
//! 50 keys painted, under DevTools' network and CPU emulation; the floor app's cold start beside it.
//!
//! Each run opens a fresh Chromium profile (an empty HTTP cache) and sets, through ChromeDriver's
//! `goog/cdp/execute`, `Network.emulateNetworkConditions` and `Emulation.setCPUThrottlingRate`.
//! The cold visit logs in and waits for the first key page; the second visit is a new tab of the
//! same profile (same HTTP cache, fresh sessionStorage, so the login form shows again), emulated
//! the same way. The floor has no marks of its own: a script added before its document loads
//! (`Page.addScriptToEvaluateOnNewDocument`, exempt from the CSP) marks `floor:ready` when its
//! button appears.
use std::time::{Duration, Instant};

use e2e::Browser;
use serde_json::{json, Value};

use super::cdp::cdp;
use super::report::{median, Row};
use super::scenarios::{fill_login, submit_login};
use super::sizes::loaded_files;
use super::timeline::{eval_u64, mark_after, ROWS};
use super::Res;

/// One network and CPU condition. Rates are DevTools' nominal figures for its presets.
#[derive(Clone, Copy)]
struct Link {
    id: &'static str,
    name: &'static str,
    /// `None`: no emulation at all (loopback, CPU 1×).
    net: Option<Net>,
    cpu: f64,
    /// Budgets in ms: cold login form, second-visit login form, first key page.
    budgets: [Option<f64>; 3],
    /// Row ids of its figures, in the order of [`FIGURES`].
    ids: [&'static str; 4],
}

#[derive(Clone, Copy)]
struct Net {
    rtt_ms: f64,
    down_kbit: f64,
    up_kbit: f64,
    /// DevTools' own presets scale the nominal RTT by this (and the rates by 0.9) because its
    /// throttling delays each request once rather than each packet; `CCKM_BENCH_DEVTOOLS_PRESETS=1`
    /// applies that instead of the nominal figures.
    devtools_latency_factor: f64,
}

const LINKS: [Link; 3] = [
    Link {
        id: "slow4g",
        name: "Slow 4G (150 ms, 1.6 Mbit/s down, 750 kbit/s up), CPU 4×",
        net: Some(Net {
            rtt_ms: 150.0,
            down_kbit: 1600.0,
            up_kbit: 750.0,
            devtools_latency_factor: 3.75,
        }),
        cpu: 4.0,
        budgets: [Some(1600.0), Some(400.0), Some(800.0)],
        ids: [
            "slow4g_login_cold_ms",
            "slow4g_login_second_ms",
            "slow4g_first_page_ms",
            "slow4g_floor_cold_ms",
        ],
    },
    Link {
        id: "fast4g",
        name: "Fast 4G (60 ms, 9 Mbit/s down, 1.5 Mbit/s up), CPU 4×",
        net: Some(Net {
            rtt_ms: 60.0,
            down_kbit: 9000.0,
            up_kbit: 1500.0,
            devtools_latency_factor: 2.75,
        }),
        cpu: 4.0,
        budgets: [Some(700.0), None, None],
        ids: [
            "fast4g_login_cold_ms",
            "fast4g_login_second_ms",
            "fast4g_first_page_ms",
            "fast4g_floor_cold_ms",
        ],
    },
    Link {
        id: "loopback",
        name: "loopback, CPU 1×",
        net: None,
        cpu: 1.0,
        budgets: [None, None, None],
        ids: [
            "loopback_login_cold_ms",
            "loopback_login_second_ms",
            "loopback_first_page_ms",
            "loopback_floor_cold_ms",
        ],
    },
];

/// What each link's rows say.
const FIGURES: [&str; 4] = [
    "navigation → login form, cold",
    "navigation → login form, second visit",
    "login → first 50 keys painted",
    "floor: navigation → app mounted, cold",
];

/// Marks `floor:ready` when the floor's button is in the document.
const FLOOR_READY: &str = "new MutationObserver((_, o) => { if (document.getElementById('increment')) { performance.mark('floor:ready'); o.disconnect(); } }).observe(document, {childList: true, subtree: true});";

/// The API requests since `from` (page time): when each started and ended, and its bytes.
const API_REPORT: &str = "function report(from) { return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/') && e.startTime >= from).map(e => `      ${e.name.replace(/^.*\\/api/, '')}: ${(e.startTime - from).toFixed(0)} → ${(e.responseEnd - from).toFixed(0)} ms, ${e.transferSize} B (${e.decodedBodySize} B decoded)`).join('\\n'); }";

/// The document and its files: when each was fetched (from the cache: 0 B) and when the
/// `cckm:` marks fell, for `CCKM_BENCH_DEBUG`.
const LOAD_REPORT: &str = "return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].filter(e => !e.name.includes('/api/')).map(e => `      ${new URL(e.name).pathname}: ${e.startTime.toFixed(0)} → ${e.responseStart.toFixed(0)} … ${e.responseEnd.toFixed(0)} ms, ${e.transferSize} B`).concat(performance.getEntriesByType('mark').map(m => `      mark ${m.name} ${m.startTime.toFixed(0)} ms`)).join('\\n');";

/// `Network.emulateNetworkConditions`'s parameters for a link (`None`: no network emulation).
fn network(link: &Link) -> Option<Value> {
    let n = link.net?;
    let devtools = std::env::var_os("CCKM_BENCH_DEVTOOLS_PRESETS").is_some();
    let (latency, rate) = if devtools {
        (n.rtt_ms * n.devtools_latency_factor, 0.9)
    } else {
        (n.rtt_ms, 1.0)
    };
    Some(
        json!({"offline": false, "latency": latency, "downloadThroughput": n.down_kbit * 1000.0 / 8.0 * rate,
                "uploadThroughput": n.up_kbit * 1000.0 / 8.0 * rate}),
    )
}

async fn emulate(b: &Browser, link: &Link) -> Res {
    if let Some(params) = network(link) {
        cdp(b, "Network.enable", json!({})).await?;
        cdp(b, "Network.emulateNetworkConditions", params).await?;
    }
    if link.cpu != 1.0 {
        cdp(
            b,
            "Emulation.setCPUThrottlingRate",
            json!({"rate": link.cpu}),
        )
        .await?;
    }
    Ok(())
}

/// The document and every file it loaded, once the load event has passed (and the icon with it).
async fn settled_files(b: &Browser) -> Res<Vec<Value>> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while b.eval("return document.readyState;").await? != json!("complete") {
        if Instant::now() > deadline {
            return Err("the document did not finish loading within 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    loaded_files(b).await
}

/// Bytes on the wire of a load, without Chromium's own `/favicon.ico` guess on a page that names
/// no icon (the floor): the simulator answers it with the index page, which is no file of the app.
fn wire(files: &[Value]) -> u64 {
    files
        .iter()
        .filter(|f| {
            !f["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("/favicon.ico"))
        })
        .filter_map(|f| f["transfer"].as_u64())
        .sum()
}

struct PageStart {
    cold: f64,
    second: f64,
    first_page: f64,
    cold_files: Vec<Value>,
    second_files: Vec<Value>,
}

async fn page_start(base: &str, link: &Link) -> Res<PageStart> {
    let b = Browser::start().await?;
    emulate(&b, link).await?;
    b.goto(&format!("{base}/")).await?;
    let cold = mark_after(&b, "cckm:login-ready", -1.0, 60).await?;
    let cold_files = settled_files(&b).await?;
    if std::env::var_os("CCKM_BENCH_DEBUG").is_some() {
        eprintln!(
            "    {} cold visit:\n{}",
            link.id,
            b.eval(LOAD_REPORT).await?.as_str().unwrap_or("")
        );
    }
    fill_login(&b).await?;
    let submit = submit_login(&b).await?;
    let painted = mark_after(&b, "cckm:keys-painted", submit, 60).await?;
    if std::env::var_os("CCKM_BENCH_DEBUG").is_some() {
        let api = b
            .eval(&format!("{API_REPORT}; return report({submit});"))
            .await?;
        eprintln!(
            "    {} after login, painted at {:.0} ms:\n{}",
            link.id,
            painted - submit,
            api.as_str().unwrap_or("")
        );
    }
    let rows = eval_u64(&b, ROWS).await?;
    if rows != 50 {
        return Err(format!("{}: first page shows {rows} rows, not 50", link.id).into());
    }

    let tab = b.client.new_window(true).await?;
    b.client.close_window().await?;
    b.client.switch_to_window(tab.handle).await?;
    emulate(&b, link).await?;
    b.goto(&format!("{base}/")).await?;
    let second = mark_after(&b, "cckm:login-ready", -1.0, 60).await?;
    let second_files = settled_files(&b).await?;
    if std::env::var_os("CCKM_BENCH_DEBUG").is_some() {
        eprintln!(
            "    {} second visit:\n{}",
            link.id,
            b.eval(LOAD_REPORT).await?.as_str().unwrap_or("")
        );
    }
    b.close().await?;
    Ok(PageStart {
        cold,
        second,
        first_page: painted - submit,
        cold_files,
        second_files,
    })
}

async fn floor_start(base: &str, link: &Link) -> Res<(f64, Vec<Value>)> {
    let b = Browser::start().await?;
    emulate(&b, link).await?;
    cdp(&b, "Page.enable", json!({})).await?;
    cdp(
        &b,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": FLOOR_READY}),
    )
    .await?;
    b.goto(&format!("{base}/")).await?;
    let ready = mark_after(&b, "floor:ready", -1.0, 60).await?;
    let files = settled_files(&b).await?;
    b.close().await?;
    Ok((ready, files))
}

/// The figures of this part: table rows, the JSON, and the lines printed under the table.
pub struct SlowLink {
    pub rows: Vec<Row>,
    pub json: Value,
    pub files: Vec<String>,
}

#[derive(Default)]
struct Runs {
    cold: Vec<f64>,
    second: Vec<f64>,
    first_page: Vec<f64>,
    floor: Vec<f64>,
    second_bytes: Vec<f64>,
}

/// `runs` rounds; each round measures every link in turn, page then floor, so that a slower
/// moment of the machine falls on all of them alike.
pub async fn measure(page_base: &str, floor_base: &str, runs: usize) -> Res<SlowLink> {
    let mut by_link: Vec<Runs> = LINKS.iter().map(|_| Runs::default()).collect();
    let (mut page_files, mut floor_files) = (Vec::new(), Vec::new());
    for run in 0..runs {
        for (link, r) in LINKS.iter().zip(by_link.iter_mut()) {
            let p = page_start(page_base, link).await?;
            let (floor, f_files) = floor_start(floor_base, link).await?;
            eprintln!(
                "    run {} {:<8}: login form cold {:.0} ms · second visit {:.0} ms ({} B) · first page {:.0} ms · floor cold {:.0} ms · wire {} B (floor {} B)",
                run + 1,
                link.id,
                p.cold,
                p.second,
                wire(&p.second_files),
                p.first_page,
                floor,
                wire(&p.cold_files),
                wire(&f_files)
            );
            r.cold.push(p.cold);
            r.second.push(p.second);
            r.first_page.push(p.first_page);
            r.floor.push(floor);
            r.second_bytes.push(wire(&p.second_files) as f64);
            if link.net.is_none() && page_files.is_empty() {
                page_files = p.cold_files;
                floor_files = f_files;
            }
        }
    }
    Ok(report(&by_link, &page_files, &floor_files, runs))
}

fn report(by_link: &[Runs], page_files: &[Value], floor_files: &[Value], runs: usize) -> SlowLink {
    let (page_wire, floor_wire) = (wire(page_files), wire(floor_files));
    let mut rows = vec![
        Row {
            id: "cold_load_wire",
            what: "cold load, bytes on the wire (transferSize, as served)".into(),
            value: page_wire as f64,
            unit: "bytes",
            runs: vec![],
            budget: Some(("<=", 170_000.0)),
        },
        Row {
            id: "floor_wire",
            what: "minimal Yew app (floor), same measure".into(),
            value: floor_wire as f64,
            unit: "bytes",
            runs: vec![],
            budget: None,
        },
        Row {
            id: "wire_ratio",
            what: "page / floor, on the wire".into(),
            value: page_wire as f64 / floor_wire.max(1) as f64,
            unit: "x",
            runs: vec![],
            budget: None,
        },
    ];
    let mut links = Vec::new();
    for (link, r) in LINKS.iter().zip(by_link) {
        let short = link.name.split(" (").next().unwrap_or(link.name);
        let short = if link.net.is_some() {
            format!("{short}, CPU {}×", link.cpu)
        } else {
            short.to_string()
        };
        let budgets = link
            .budgets
            .iter()
            .map(|b| b.map(|v| ("<=", v)))
            .chain([None]);
        for (((id, what), v), budget) in link
            .ids
            .into_iter()
            .zip(FIGURES)
            .zip([&r.cold, &r.second, &r.first_page, &r.floor])
            .zip(budgets)
        {
            rows.push(Row {
                id,
                what: format!("{short}: {what}"),
                value: median(v),
                unit: "ms",
                runs: v.clone(),
                budget,
            });
        }
        links.push(json!({
            "id": link.id, "name": link.name, "network": network(link), "cpu_slowdown": link.cpu,
            "login_cold_ms": r.cold, "login_second_ms": r.second, "first_page_ms": r.first_page,
            "floor_cold_ms": r.floor, "second_visit_bytes": r.second_bytes,
        }));
    }
    if let Some(r) = by_link
        .iter()
        .zip(LINKS)
        .find(|(_, l)| l.net.is_none())
        .map(|(r, _)| r)
    {
        rows.push(Row {
            id: "second_visit_wire",
            what: "second visit, bytes on the wire".into(),
            value: median(&r.second_bytes),
            unit: "bytes",
            runs: r.second_bytes.clone(),
            budget: None,
        });
    }
    let line = |who: &str, f: &Value| {
        format!(
            "  {who} {:<48} {:>8} B on the wire  ({:>7} B encoded, {:>7} B decoded)",
            f["url"]
                .as_str()
                .and_then(|u| url::Url::parse(u).ok())
                .map(|u| u.path().to_string())
                .unwrap_or_default(),
            f["transfer"],
            f["encoded"],
            f["decoded"]
        )
    };
    let files = page_files
        .iter()
        .map(|f| line("page ", f))
        .chain(floor_files.iter().map(|f| line("floor", f)))
        .collect();
    let json = json!({
        "runs": runs,
        "devtools_presets": std::env::var_os("CCKM_BENCH_DEVTOOLS_PRESETS").is_some(),
        "links": links,
        "wire": {"page": {"bytes": page_wire, "files": page_files}, "floor": {"bytes": floor_wire, "files": floor_files}},
    });
    SlowLink { rows, json, files }
}
