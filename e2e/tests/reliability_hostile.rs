//! Issue #6, hostile data and the CSP: hostile key names are shown as text and run nothing;
//! answers that are not JSON, cut short, of the wrong shape, with unknown job states or missing
//! fields give a clear message and the page keeps working; the page runs under the simulator's
//! strict Content-Security-Policy with no violation in the console.
use e2e::reliability::{
    console_problems, job_rows, open_and_login, open_dialog, trap_sinks, trapped_calls, wait_until,
    LoggedSim, LIST_KEYS,
};
use e2e::Browser;
use serde_json::{json, Value};

/// Replaces `window.fetch` (which the page's wasm calls as a global) with one that answers the
/// requests matching a rule itself: `[{method, url (regex), status, body, ct}]`. WebDriver's
/// scripts are not subject to the page's CSP; the page's own code still is.
const FETCH_SHIM: &str = "
  if (!window.__origFetch) { window.__origFetch = window.fetch; }
  window.__rules = arguments[0]; window.__hits = window.__hits || 0;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : input.url;
    const method = typeof input === 'string' ? ((init && init.method) || 'GET') : input.method;
    for (const r of window.__rules) {
      if (method === r.method && new RegExp(r.url).test(url)) {
        window.__hits++;
        return Promise.resolve(new Response(r.body, { status: r.status, headers: { 'Content-Type': r.ct || 'application/json' } }));
      }
    }
    return window.__origFetch.call(window, input, init);
  };
  return true;";

async fn shim(b: &Browser, rules: Value) -> e2e::Result {
    b.client.execute(FETCH_SHIM, vec![rules]).await?;
    Ok(())
}

async fn no_fatal(b: &Browser) -> e2e::Result {
    let fatal = b
        .eval("return document.querySelector('.fatal-banner')?.innerText ?? null;")
        .await?;
    assert_eq!(fatal, Value::Null, "the page hit a panic: {fatal}");
    Ok(())
}

async fn set_page_size(b: &Browser, n: u32) -> e2e::Result {
    b.client
        .execute(
            "const s = document.querySelector('#page-size'); s.value = arguments[0]; s.dispatchEvent(new Event('change', {bubbles: true})); return true;",
            vec![json!(n.to_string())],
        )
        .await?;
    Ok(())
}

#[tokio::test]
async fn hostile_key_names_are_text_run_nothing_and_keep_the_layout() -> e2e::Result {
    // 17 keys: the anchors and every hostile name of the demo data, all on one page.
    let sim = LoggedSim::start(&["--keys", "17", "--job-ms", "1500"])?;
    let b = Browser::start().await?;
    open_and_login(&b, &sim.base).await?;
    trap_sinks(&b).await?;
    set_page_size(&b, 50).await?;
    let all = sim.api_get("/api/v1/cckm/sap/keys?limit=100").await?;
    let names: Vec<String> = all["resources"]
        .as_array()
        .ok_or("no keys")?
        .iter()
        .filter_map(|k| k["name"].as_str().map(str::to_string))
        .collect();
    let hostile: Vec<&String> = names
        .iter()
        .filter(|n| {
            !n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                || n.len() > 100
        })
        .collect();
    assert!(
        hostile.len() >= 9,
        "the demo data has its hostile names: {hostile:?}"
    );
    for n in &hostile {
        b.wait_row(n, 15)
            .await
            .map_err(|e| format!("hostile name {n:?} not shown as text: {e}"))?;
    }
    // Shown as text: no element was made from a name, nothing ran.
    let injected = b
        .eval("return document.querySelectorAll('.keys-table tbody script, .keys-table tbody img, .keys-table tbody iframe, body > img').length;")
        .await?;
    assert_eq!(
        injected,
        json!(0),
        "an element was injected from a key name"
    );
    for cell in ["bdi.key-name"] {
        let n = b
            .eval(&format!(
                "return document.querySelectorAll('.keys-table tbody {cell}').length;"
            ))
            .await?;
        assert_eq!(
            n.as_u64(),
            Some(names.len() as u64),
            "every name sits in its own <bdi> (RTL isolation)"
        );
    }
    // Layout: the table keeps within its panel and within the window; no row explodes.
    let layout = b
        .eval(
            "const t = document.querySelector('.keys-table'), w = document.querySelector('.table-wrap') || t.parentElement;
             const rows = [...t.querySelectorAll('tbody tr')].map(r => r.getBoundingClientRect().height);
             return { table: t.getBoundingClientRect().width, wrap: w.clientWidth, page: document.documentElement.scrollWidth,
                      win: window.innerWidth, tallest: Math.max(...rows), rows: rows.length };",
        )
        .await?;
    let f = |k: &str| layout[k].as_f64().unwrap_or(f64::MAX);
    assert!(
        f("table") <= f("wrap") + 1.0,
        "the table overflows its panel: {layout}"
    );
    assert!(
        f("page") <= f("win") + 1.0,
        "the page scrolls sideways: {layout}"
    );
    assert!(
        f("tallest") <= 260.0,
        "a hostile name blew up a row: {layout}"
    );
    b.screenshot("reliability-hostile-names").await?;

    // Through the whole flow: delete the key named like an <img onerror> and watch its job.
    let img = "<img src=x onerror=alert(1)>";
    e2e::reliability::search(&b, "onerror", img).await?;
    b.select_row(img).await?;
    let out = b
        .confirm_and_post(Some(img), "reliability-hostile-delete")
        .await?;
    assert!(out.contains("job created"), "{out}");
    b.wait_job(img, "delete", "COMPLETED", 20).await?;
    let rows = job_rows(&b).await?;
    assert!(
        rows.iter().any(|r| r.0 == img),
        "the job list shows the name as text: {rows:?}"
    );
    b.screenshot("reliability-hostile-job").await?;

    assert_eq!(
        open_dialog(&b).await,
        None,
        "no alert/confirm/prompt opened"
    );
    assert!(
        trapped_calls(&b).await?.is_empty(),
        "a hostile name called alert/prompt: {:?}",
        trapped_calls(&b).await?
    );
    let problems = console_problems(&b, &[]).await?;
    assert!(
        problems.is_empty(),
        "console errors or CSP violations: {problems:?}"
    );
    no_fatal(&b).await?;
    println!("hostile names tried: {}", hostile.len());
    b.close().await
}

#[tokio::test]
async fn the_page_runs_under_the_strict_csp_without_violations() -> e2e::Result {
    let sim = LoggedSim::start(&["--keys", "40", "--job-ms", "1000"])?;
    let r = reqwest::get(format!("{}/", sim.base)).await?;
    let csp = r
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'")
            && !csp.contains("unsafe-inline")
            && !csp.contains("'unsafe-eval'"),
        "{csp}"
    );
    let html = r.text().await?;
    assert!(
        !html.contains("<script>") && !html.contains("<script type=\"module\">"),
        "index.html has an inline script: {html}"
    );
    assert!(
        !html.contains(" on") || !html.contains("onload="),
        "index.html has an inline handler"
    );
    let b = Browser::start().await?;
    open_and_login(&b, &sim.base).await?;
    e2e::reliability::start_job(&b, "payroll-archive", "delete").await?;
    b.wait_job("payroll-archive", "delete", "COMPLETED", 20)
        .await?;
    let problems = console_problems(&b, &[]).await?;
    assert!(
        problems.is_empty(),
        "CSP violations or errors while working: {problems:?}"
    );
    // The detector works: a violation made on purpose is seen.
    b.eval("const i = document.createElement('img'); i.src = 'http://192.0.2.1/x.png'; document.body.appendChild(i); return true;").await?;
    let seen = wait_until(
        "the deliberate CSP violation in the console",
        10,
        || async {
            let p = console_problems(&b, &[]).await?;
            Ok(p.iter()
                .any(|m| m.contains("Content Security Policy"))
                .then_some(p))
        },
    )
    .await?;
    assert!(!seen.is_empty());
    b.close().await
}

#[tokio::test]
async fn broken_answers_give_a_message_and_the_page_keeps_working() -> e2e::Result {
    let sim = LoggedSim::start(&["--keys", "40", "--job-ms", "2500"])?;
    let b = Browser::start().await?;
    open_and_login(&b, &sim.base).await?;
    let mut tried = 0;

    // The simulator's own faults on the key list: an HTML error page, then a body cut in half.
    for (fault, needle) in [
        (json!({"garbage_rate": 1.0}), "not JSON"),
        (json!({"truncate_rate": 1.0}), "cut short"),
    ] {
        let mut f = fault.clone();
        f["routes"] = json!([LIST_KEYS]);
        sim.set_faults(f).await?;
        let input = e2e::reliability::clear_search(&b).await?;
        input.send_keys(&format!("payroll-{tried}\u{E007}")).await?;
        let msg = b.wait_text("#keys-error", needle, 15).await?;
        assert!(
            msg.contains("could not be read") || msg.contains(needle),
            "{msg}"
        );
        no_fatal(&b).await?;
        tried += 1;
    }
    sim.set_faults(json!({})).await?;
    e2e::reliability::search(&b, "payroll-master", "payroll-master").await?;

    // Wrong shapes and missing fields, answered by a fetch shim in the page.
    let list = "/api/v1/cckm/sap/keys\\?";
    for (body, needle) in [
        (json!({"resources": "nope"}).to_string(), "unexpected shape"),
        (json!([1, 2, 3]).to_string(), "unexpected shape"),
        ("".to_string(), "cut short"),
        ("\u{0}\u{1}<html>".to_string(), "not JSON"),
    ] {
        shim(
            &b,
            json!([{"method": "GET", "url": list, "status": 200, "body": body}]),
        )
        .await?;
        let input = e2e::reliability::clear_search(&b).await?;
        input
            .send_keys(&format!("payroll-x{tried}\u{E007}"))
            .await?;
        b.wait_text("#keys-error", needle, 15)
            .await
            .map_err(|e| format!("body {body:?}: {e}"))?;
        no_fatal(&b).await?;
        tried += 1;
    }
    // A list whose items lack every optional field, or are not keys at all: the readable ones show.
    let sparse = json!({"resources": [
        {"id": "11111111-2222-4333-8444-555555555555"},
        {"id": "11111111-2222-4333-8444-666666666666", "name": "sparse-key", "gone": "maybe", "sap_param": [1]},
        {"name": "no-id"}, 7, null
    ], "total": "lots"});
    shim(
        &b,
        json!([{"method": "GET", "url": list, "status": 200, "body": sparse.to_string()}]),
    )
    .await?;
    let input = e2e::reliability::clear_search(&b).await?;
    input.send_keys("sparse\u{E007}").await?;
    b.wait_row("sparse-key", 15).await?;
    b.wait_row("(unnamed key 11111111-2222-4333-8444-555555555555)", 5)
        .await?;
    no_fatal(&b).await?;
    tried += 1;
    shim(&b, json!([])).await?;
    e2e::reliability::search(&b, "payroll-master", "payroll-master").await?;

    // A running job whose answers turn strange: an unknown state with no other field, then not
    // JSON, then an error body that is HTML. The job stays, shows the raw state, and ends right
    // once the answers are sane again.
    e2e::reliability::start_job(&b, "payroll-master", "delete").await?;
    let job = "/api/v1/cckm/sap/keys/jobs/[0-9a-f-]+$";
    let job_id = e2e::reliability::ledger_entries(&b)
        .await?
        .first()
        .and_then(|e| e["job_id"].as_str().map(str::to_string))
        .ok_or("no job in the ledger")?;
    shim(&b, json!([{"method": "GET", "url": job, "status": 200, "body": json!({"id": job_id, "state": "QUANTUM_FLUX"}).to_string()}])).await?;
    let t = b
        .wait_job("payroll-master", "delete", "QUANTUM_FLUX", 20)
        .await?;
    assert!(
        t.contains("running"),
        "an unknown state counts as still running: {t}"
    );
    tried += 1;
    for (status, body) in [
        (200, "<<not json>>"),
        (502, "<html><body>Bad gateway</body></html>"),
        (200, "{\"id\":"),
    ] {
        shim(
            &b,
            json!([{"method": "GET", "url": job, "status": status, "body": body}]),
        )
        .await?;
        let before: u64 = b.eval("return window.__hits;").await?.as_u64().unwrap_or(0);
        wait_until("the page to poll the broken answer", 30, || async {
            Ok(
                (b.eval("return window.__hits;").await?.as_u64().unwrap_or(0) > before)
                    .then_some(()),
            )
        })
        .await?;
        let rows = job_rows(&b).await?;
        assert!(
            rows.iter()
                .any(|r| r.0 == "payroll-master" && r.1 == "delete"),
            "the job stayed: {rows:?}"
        );
        no_fatal(&b).await?;
        tried += 1;
    }
    shim(&b, json!([])).await?;
    b.wait_job("payroll-master", "delete", "COMPLETED", 40)
        .await?;
    b.screenshot("reliability-broken-answers").await?;
    let problems = console_problems(&b, &["502", "Bad Gateway"]).await?;
    assert!(
        problems.iter().all(|p| !p.contains("panicked")),
        "{problems:?}"
    );
    println!("broken answers tried: {tried}");
    b.close().await
}
