//! A key's history panel against the simulator: three jobs on one key (delete, restore, delete,
//! each waited for), the panel opened from the key list lists them in order; the URL holds it
//! (Back reopens it), Escape closes it and focus goes back to the name; opened from a job's detail
//! too; a restore started from it asks the usual confirmation for that one key and lands in it.
use std::time::{Duration, Instant};

use e2e::{login, Browser, Sim};
use serde_json::json;

const KEY: &str = "payroll-master";
const POST_JOBS: &str = "POST /api/v1/cckm/sap/keys/jobs";

/// Waits until `script` returns true.
async fn until(b: &Browser, script: &str, what: &str, secs: u64) -> e2e::Result {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if b.eval(script).await? == json!(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            b.screenshot("key-history-stuck").await?;
            return Err(format!("timed out waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The panel's jobs: (operation, outcome) oldest first.
async fn panel_jobs(b: &Browser) -> e2e::Result<Vec<(String, String)>> {
    let v = b
        .eval(
            "return [...document.querySelectorAll('#key-jobs > li')].map(li =>
                [li.querySelector('.job-op').textContent, li.querySelector('.key-job-outcome').textContent]);",
        )
        .await?;
    Ok(v.as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let s = |i: usize| r[i].as_str().unwrap_or_default().to_string();
                    (s(0), s(1))
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Waits until the panel lists `n` jobs, all ended; returns them.
async fn panel_jobs_ended(b: &Browser, n: usize) -> e2e::Result<Vec<(String, String)>> {
    until(
        b,
        &format!(
            "const o = [...document.querySelectorAll('#key-jobs > li .key-job-outcome')].map(e => e.textContent);
             return o.length === {n} && o.every(t => !t.startsWith('running'));"
        ),
        &format!("{n} ended jobs in the panel"),
        30,
    )
    .await?;
    panel_jobs(b).await
}

/// Clicks the name of the key row named `name` (its history button).
async fn open_from_key_list(b: &Browser, name: &str) -> e2e::Result {
    let ok = b
        .client
        .execute(
            "const r = [...document.querySelectorAll('.keys-table tbody tr')].find(tr => tr.querySelector('.key-name').textContent === arguments[0]);
             if (!r) return false; r.querySelector('button.open-key').focus(); r.querySelector('button.open-key').click(); return true;",
            vec![json!(name)],
        )
        .await?;
    if ok != json!(true) {
        return Err(format!("no row named {name:?}").into());
    }
    b.wait_for("#key-history", 10).await?;
    Ok(())
}

/// Selects the key, confirms `op` (typing the name for a delete) and waits until the key's
/// state in the table shows the job's effect.
async fn run_job(b: &Browser, sim: &Sim, delete: bool, shot: &str) -> e2e::Result {
    b.search(KEY, KEY).await?;
    let want = if delete {
        "Enabled"
    } else {
        "Deleted from SAP"
    };
    until(
        b,
        &format!("const r = [...document.querySelectorAll('.keys-table tbody tr')].find(tr => tr.querySelector('.key-name').textContent === '{KEY}'); return !!r && r.querySelector('.col-state').textContent.includes('{want}');"),
        &format!("the row to show {want}"),
        20,
    )
    .await?;
    b.select_row(KEY).await?;
    let out = b
        .confirm_and_post(if delete { Some(KEY) } else { None }, shot)
        .await?;
    assert!(out.contains("job created"), "{out}");
    let gone = delete;
    let deadline = Instant::now() + Duration::from_secs(30);
    while sim.key_by_name(KEY).await?["gone"] != json!(gone) {
        assert!(Instant::now() < deadline, "the {shot} job never ended");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

#[tokio::test]
async fn a_keys_history_lists_its_jobs_and_starts_a_restore() -> e2e::Result {
    let sim = Sim::start(&["--keys", "80", "--job-ms", "1200"])?;
    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    b.wait_for("#login-username", 20).await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;

    // Three jobs on one key through the page, each waited for.
    run_job(&b, &sim, true, "key-history-1-delete").await?;
    run_job(&b, &sim, false, "key-history-2-restore").await?;
    run_job(&b, &sim, true, "key-history-3-delete").await?;
    assert_eq!(sim.count(POST_JOBS).await?, 3);

    // From the key list: its three jobs in order, the key now, the URL.
    b.search(KEY, KEY).await?;
    open_from_key_list(&b, KEY).await?;
    let jobs = panel_jobs_ended(&b, 3).await?;
    let ops: Vec<&str> = jobs.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(ops, ["delete", "restore", "delete"], "{jobs:?}");
    assert!(
        jobs.iter().all(|(_, o)| o.starts_with("succeeded")),
        "{jobs:?}"
    );
    b.wait_for("#key-fields", 10).await?;
    b.wait_text("#key-state", "Deleted from SAP", 10).await?;
    let title = b.text("#key-history-title").await?;
    assert_eq!(title, format!("Key · {KEY}"));
    let url = b.eval("return location.search;").await?;
    let id = sim.key_by_name(KEY).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        url.as_str()
            .unwrap_or_default()
            .contains(&format!("key={id}")),
        "{url}"
    );
    let fields = b.text("#key-fields").await?;
    assert!(
        fields.contains("CCKM key id") && fields.contains(&id),
        "{fields}"
    );
    let states = b
        .text("#key-jobs > li:nth-child(1) .key-job-states")
        .await?;
    assert!(
        states.contains("PENDING") || states.contains("IN_PROGRESS"),
        "{states}"
    );
    assert!(states.contains("COMPLETED"), "{states}");
    assert!(b.text("#key-jobs").await?.contains("by admin"));
    assert!(b.eval("return !!document.querySelector('#key-restore') && !document.querySelector('#key-delete');").await? == json!(true),
        "a deleted key offers a restore only");
    let violations = b.axe_blocking("{}").await?;
    assert!(violations.is_empty(), "axe: {violations:#?}");
    b.screenshots_in_both_themes("key-history").await?;

    // Escape closes it, focus is back on the name, Back opens it again.
    b.client
        .execute(
            "document.querySelector('#key-history').dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));",
            vec![],
        )
        .await?;
    until(
        &b,
        "return !document.querySelector('#key-history') && !location.search.includes('key=');",
        "the panel to close",
        5,
    )
    .await?;
    assert_eq!(
        b.eval("return document.activeElement.classList.contains('open-key') && document.activeElement.textContent.trim();").await?,
        json!(KEY),
        "focus is back on the key's name"
    );
    b.eval("history.back();").await?;
    b.wait_for("#key-history", 10).await?;
    panel_jobs_ended(&b, 3).await?;
    b.click("#key-history-close").await?;
    until(
        &b,
        "return !document.querySelector('#key-history');",
        "the panel to close",
        5,
    )
    .await?;

    // From a job's detail: the same history, over the detail; closing it goes back to the detail.
    let opened = b
        .client
        .execute(
            "const li = [...document.querySelectorAll('#job-list .job')].find(li => li.querySelector('.job-key').textContent === arguments[0]);
             if (!li) return false; li.querySelector('.job-open').click(); return true;",
            vec![json!(KEY)],
        )
        .await?;
    assert_eq!(opened, json!(true), "a job of {KEY} in the job list");
    b.wait_for("#job-detail", 10).await?;
    b.click("#detail-open-key").await?;
    b.wait_for("#key-history", 10).await?;
    let jobs = panel_jobs_ended(&b, 3).await?;
    assert_eq!(jobs.len(), 3);
    let url = b.eval("return location.search;").await?;
    let url = url.as_str().unwrap_or_default();
    assert!(url.contains("job=") && url.contains("key="), "{url}");
    b.click("#key-history-close").await?;
    until(
        &b,
        "return !document.querySelector('#key-history') && !!document.querySelector('#job-detail') && document.activeElement.id === 'detail-open-key';",
        "the job detail with focus on its key",
        5,
    )
    .await?;
    b.click("#detail-close").await?;

    // A restore from the panel: the usual confirmation, for this one key; another key selected
    // in the table stays selected.
    b.search("payroll-", KEY).await?;
    b.wait_row("payroll-archive", 10).await?;
    b.select_row("payroll-archive").await?;
    b.wait_text("#selected-count", "1 key", 5).await?;
    open_from_key_list(&b, KEY).await?;
    b.wait_for("#key-restore", 10).await?;
    b.click("#key-restore").await?;
    b.wait_for("#confirm-dialog", 10).await?;
    assert_eq!(b.text("#confirm-title").await?, "Restore 1 key to SAP?");
    let names = b
        .eval("return [...document.querySelectorAll('#confirm-dialog .confirm-name')].map(e => e.textContent);")
        .await?;
    assert_eq!(names, json!([KEY]));
    let out = b.post_confirmation(None, "key-history-restore").await?;
    assert!(out.contains("job created"), "{out}");
    assert_eq!(sim.count(POST_JOBS).await?, 4, "exactly one more job");
    assert!(
        b.text("#selected-count").await?.starts_with("1 key"),
        "the table's selection is left alone"
    );
    // The panel is still open and the new job lands in it, then the key shows it.
    let jobs = panel_jobs_ended(&b, 4).await?;
    assert_eq!(jobs[3].0, "restore", "{jobs:?}");
    b.wait_text("#key-state", "Enabled", 15).await?;
    b.screenshot("key-history-after-restore").await?;

    // A 320 px phone: the panel reflows to one column, nothing wider than it.
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 320, "height": 640, "deviceScaleFactor": 1, "mobile": false}),
    )
    .await?;
    b.client
        .execute_async(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await?;
    let fits = b
        .eval(
            "const m = document.querySelector('#key-history'), d = document.documentElement;
             const wide = [...m.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > m.getBoundingClientRect().right + 1).map(e => e.tagName + '.' + e.className);
             return { modal: m.scrollWidth <= m.clientWidth + 1, page: d.scrollWidth <= d.clientWidth + 1, wide: wide.slice(0, 5) };",
        )
        .await?;
    assert_eq!(fits["modal"], json!(true), "{fits}");
    assert_eq!(fits["page"], json!(true), "{fits}");
    assert_eq!(fits["wide"], json!([]), "{fits}");
    b.screenshot("key-history-320").await?;
    b.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
        .await?;
    b.close().await
}
