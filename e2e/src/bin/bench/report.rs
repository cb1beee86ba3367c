//! The report: one row per figure with its median, budget and verdict, printed as a table and
//! written as JSON with the machine it was measured on.
use std::path::Path;

use serde_json::{json, Value};

use super::scenarios::{Load, PageRun, TickRun, TICKS};
use super::slow_link::SlowLink;
use super::Res;

/// The median (NaN for no values).
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// One figure of the table, with its budget when it has one.
pub struct Row {
    pub id: &'static str,
    pub what: String,
    pub value: f64,
    pub unit: &'static str,
    pub runs: Vec<f64>,
    pub budget: Option<(&'static str, f64)>,
}

impl Row {
    pub fn pass(&self) -> Option<bool> {
        self.budget.map(|(op, b)| match op {
            "<=" => self.value <= b,
            "<" => self.value < b,
            _ => false,
        })
    }
    fn margin(&self) -> String {
        match self.budget {
            Some((_, b)) if b > 0.0 => format!("{:+.0}%", (b - self.value) / b * 100.0),
            Some((_, _)) if self.value == 0.0 => "±0".to_string(),
            Some((_, _)) => format!("{:.0} over", self.value),
            None => String::new(),
        }
    }
}

/// Prints the table.
pub fn print_rows(rows: &[Row]) {
    println!(
        "{:<64} {:>12} {:>10} {:>8} {:>6}",
        "figure", "value", "budget", "margin", ""
    );
    println!("{}", "-".repeat(104));
    for r in rows {
        let budget = r
            .budget
            .map(|(op, b)| format!("{op} {}", fmt(b, r.unit)))
            .unwrap_or_default();
        let verdict = match r.pass() {
            Some(true) => "PASS",
            Some(false) => "MISS",
            None => "",
        };
        println!(
            "{:<64} {:>12} {:>10} {:>8} {:>6}",
            r.what,
            fmt(r.value, r.unit),
            budget,
            r.margin(),
            verdict
        );
    }
}

fn fmt(v: f64, unit: &str) -> String {
    match unit {
        "bytes" => format!("{v:.0} B"),
        "ms" => format!("{v:.1} ms"),
        "x" => format!("{v:.2}×"),
        _ => format!("{v:.1}{}{unit}", if unit.is_empty() { "" } else { " " }),
    }
}

fn chromium_version() -> String {
    std::env::var("CHROMIUM")
        .ok()
        .and_then(|c| std::process::Command::new(c).arg("--version").output().ok())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn mem_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_default()
}

fn date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// The cold load's gzip -9 bytes against the floor's.
pub fn size_rows(page_gz: usize, floor_gz: usize) -> Vec<Row> {
    vec![
        Row {
            id: "cold_load_gzip",
            what: "cold load, gzip -9 of every file loaded".into(),
            value: page_gz as f64,
            unit: "bytes",
            runs: vec![],
            budget: Some(("<=", 150_000.0)),
        },
        Row {
            id: "floor_gzip",
            what: "minimal Yew app (floor), same measure".into(),
            value: floor_gz as f64,
            unit: "bytes",
            runs: vec![],
            budget: None,
        },
        Row {
            id: "size_ratio",
            what: "page / floor".into(),
            value: page_gz as f64 / floor_gz as f64,
            unit: "x",
            runs: vec![],
            budget: Some(("<=", 2.5)),
        },
    ]
}

/// The page timings, median of the cold runs.
pub fn page_rows(page_runs: &[PageRun]) -> Vec<Row> {
    let col = |f: fn(&PageRun) -> f64| page_runs.iter().map(f).collect::<Vec<_>>();
    [
        (
            "login_ready_ms",
            "navigation → login form interactive",
            col(|r| r.login_ready),
            300.0,
        ),
        (
            "first_page_ms",
            "login submitted → first 50 keys painted (50,000 keys)",
            col(|r| r.first_page),
            200.0,
        ),
        (
            "search_ms",
            "search sent (after debounce) → rows painted",
            col(|r| r.search),
            100.0,
        ),
        (
            "next_page_ms",
            "Next clicked → next page painted",
            col(|r| r.next_page),
            100.0,
        ),
    ]
    .into_iter()
    .map(|(id, what, v, b)| Row {
        id,
        what: what.into(),
        value: median(&v),
        unit: "ms",
        runs: v,
        budget: Some(("<=", b)),
    })
    .collect()
}

/// The job-list tick: the budgeted figure, then its parts.
pub fn tick_rows(ticks: &[TickRun]) -> Vec<Row> {
    let tcol = |f: fn(&TickRun) -> f64| ticks.iter().map(f).collect::<Vec<_>>();
    let budget_fig = tcol(|t| t.render + t.style_layout);
    let mut rows = vec![Row {
        id: "tick_render_layout_ms",
        what: "tick: render (marks) + style & layout (CDP)".into(),
        value: median(&budget_fig),
        unit: "ms",
        runs: budget_fig,
        budget: Some(("<=", 8.0)),
    }];
    for (id, what, v) in [
        (
            "tick_render_ms",
            "tick: ledger-update → jobs-rendered",
            tcol(|t| t.render),
        ),
        (
            "tick_merge_ms",
            "tick: of which the merge (ledger-update → ledger-merged)",
            tcol(|t| t.merge),
        ),
        (
            "tick_post_rendered_ms",
            "tick: message posted → jobs-rendered (incl. merge)",
            tcol(|t| t.post_to_rendered),
        ),
        (
            "tick_post_painted_ms",
            "tick: message posted → jobs-painted",
            tcol(|t| t.post_to_painted),
        ),
        (
            "tick_cdp_script_ms",
            "tick: all script in the window (CDP)",
            tcol(|t| t.script),
        ),
        (
            "tick_cdp_style_layout_ms",
            "tick: style + layout (CDP)",
            tcol(|t| t.style_layout),
        ),
    ] {
        rows.push(Row {
            id,
            what: what.into(),
            value: median(&v),
            unit: "ms",
            runs: v,
            budget: None,
        });
    }
    rows
}

/// The load on the manager (one run), and the simulator's own list speed.
pub fn load_rows(l: &Load, job_ms: u64, list: (f64, f64)) -> Vec<Row> {
    let (list_median, list_p95) = list;
    vec![
        Row {
            id: "job_gets_max_in_flight",
            what: "job GETs in flight at once (max)".into(),
            value: l.max_in_flight as f64,
            unit: "",
            runs: vec![],
            budget: Some(("<=", 4.0)),
        },
        Row {
            id: "job_gets_per_job",
            what: format!(
                "job GETs per job ({} GETs, 100 jobs of {} s)",
                l.job_gets,
                job_ms / 1000
            ),
            value: l.gets_per_job,
            unit: "",
            runs: vec![],
            budget: Some(("<", 25.0)),
        },
        Row {
            id: "hidden_requests",
            what: format!("requests while hidden for {} s", l.hidden_s),
            value: l.hidden_requests as f64,
            unit: "",
            runs: vec![],
            budget: Some(("<=", 1.0)),
        },
        Row {
            id: "idle_requests_per_min",
            what: "requests per minute after every job ended".into(),
            value: l.idle_requests as f64 * 60.0 / l.idle_s as f64,
            unit: "",
            runs: vec![],
            budget: Some(("<=", 0.0)),
        },
        Row {
            id: "sim_list_ms",
            what: "simulator: key-list page of 50 out of 50,000 (median of 200)".into(),
            value: list_median,
            unit: "ms",
            runs: vec![list_p95],
            budget: Some(("<=", 20.0)),
        },
    ]
}

/// Sizes of the files of a cold load: the list, raw bytes and gzip -9 bytes.
pub type Sizes = (Vec<Value>, usize, usize);

/// Everything a full run measured.
pub struct Summary {
    pub runs: usize,
    pub slow_runs: usize,
    pub job_ms: u64,
    pub rows: Vec<Row>,
    pub page: Sizes,
    pub floor: Sizes,
    pub slow: SlowLink,
    pub tick_info: Value,
    pub load: Load,
    pub list: (f64, f64),
    pub seconds: f64,
}

impl Summary {
    /// Prints the table, the files and the load's details.
    pub fn print(&self) {
        let (runs, slow_runs) = (self.runs, self.slow_runs);
        println!("\ncargo xtask bench — median of {runs} runs for page timings, {slow_runs} on emulated links, of {TICKS} job-list ticks; one run of the load scenario\n");
        print_rows(&self.rows);
        println!("\nfiles of a cold load (gzip -9):");
        for (who, files) in [("page ", &self.page.0), ("floor", &self.floor.0)] {
            for f in files {
                println!(
                    "  {who} {:<48} {:>9} B  gzip {:>8} B",
                    f["file"].as_str().unwrap_or(""),
                    f["bytes"],
                    f["gzip9"]
                );
            }
        }
        println!("files of a cold load as served (loopback):");
        self.slow.files.iter().for_each(|l| println!("{l}"));
        let l = &self.load;
        println!(
            "load details: hidden-tab requests by route {}, idle requests by route {}, visibility {}",
            l.hidden_routes, l.idle_routes, l.visibility
        );
        let met = self.rows.iter().filter(|r| r.pass() == Some(true)).count();
        let budgets = self.rows.iter().filter(|r| r.budget.is_some()).count();
        println!("\n{met} of {budgets} budgets met ({:.0} s)", self.seconds);
    }

    /// Writes the JSON report to `path`.
    pub fn write(&self, path: &Path) -> Res {
        let (l, (page_files, page_raw, page_gz), (floor_files, floor_raw, floor_gz)) =
            (&self.load, &self.page, &self.floor);
        let report = json!({
            "machine": {"cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), "memory": mem_total(),
                        "chromium": chromium_version(), "date": date()},
            "runs": self.runs,
            "figures": self.rows.iter().map(|r| json!({
                "id": r.id, "what": r.what, "value": r.value, "unit": r.unit, "runs": r.runs,
                "budget": r.budget.map(|(op, b)| json!({"op": op, "value": b})),
                "pass": r.pass(),
            })).collect::<Vec<_>>(),
            "sizes": {"page": {"files": page_files, "bytes": page_raw, "gzip9": page_gz},
                      "floor": {"files": floor_files, "bytes": floor_raw, "gzip9": floor_gz},
                      "ratio": *page_gz as f64 / *floor_gz as f64},
            "slow_link": self.slow.json,
            "job_tick": self.tick_info,
            "load": {"job_ms": self.job_ms, "watch_s": l.watch_s, "job_gets": l.job_gets, "max_in_flight": l.max_in_flight,
                     "hidden_s": l.hidden_s, "hidden_requests": l.hidden_requests, "hidden_routes": l.hidden_routes,
                     "visibility": l.visibility, "idle_s": l.idle_s, "idle_requests": l.idle_requests, "idle_routes": l.idle_routes},
            "sim_list": {"median_ms": self.list.0, "p95_ms": self.list.1},
        });
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
        println!("wrote {}", path.display());
        Ok(())
    }
}
