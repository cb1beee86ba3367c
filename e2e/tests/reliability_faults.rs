//! Issue #6, faults: the manager killed mid-job and started again; a job the manager no longer
//! knows (404); 500s and 429 + Retry-After while polling; a POST /keys/jobs that fails with 5xx or
//! times out is not repeated; a slow key page says so, a quick one does not flash "Loading…".
use std::time::{Duration, Instant};

use e2e::reliability::{
    job_rows, ledger_entries, open_and_login, start_job, wait_until, LoggedSim, GET_JOB, GET_KEY,
    LIST_KEYS, POST_JOBS,
};
use e2e::Browser;
use serde_json::json;

/// The banner's text, or `None` when it is not shown.
async fn banner(b: &Browser) -> e2e::Result<Option<String>> {
    let v = b
        .eval("return document.querySelector('#connection-lost')?.innerText ?? null;")
        .await?;
    Ok(v.as_str().map(str::to_string))
}

#[tokio::test]
async fn manager_killed_mid_job_and_restarted_with_state() -> e2e::Result {
    let dir = tempfile::tempdir()?;
    let state = dir.path().join("state.json").display().to_string();
    let args = [
        "--keys",
        "40",
        "--job-ms",
        "7000",
        "--state",
        state.as_str(),
    ];
    let sim = LoggedSim::start(&args)?;
    let b = Browser::start().await?;
    open_and_login(&b, &sim.base).await?;
    start_job(&b, "payroll-master", "delete").await?;
    start_job(&b, "payroll-archive", "delete").await?;
    b.wait_job("payroll-master", "delete", "running", 10)
        .await?;

    // Crash: SIGKILL, no clean shutdown. The page says so and keeps both jobs.
    let addr_args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let mut sim = Some(sim);
    let s = sim.take().ok_or("sim")?;
    let down_at = Instant::now();
    let restart = tokio::spawn(async move {
        s.restart(Duration::from_secs(4), addr_args)
            .await
            .map_err(|e| e.to_string())
    });
    let text = wait_until("the connection-lost banner", 15, || async {
        banner(&b).await
    })
    .await?;
    assert!(
        text.contains("Connection to the manager lost") && text.contains("retrying in"),
        "{text}"
    );
    b.screenshot("reliability-connection-lost").await?;
    let rows = job_rows(&b).await?;
    assert_eq!(
        rows.iter().filter(|r| r.3.contains("running")).count(),
        2,
        "both jobs kept as running: {rows:?}"
    );
    assert_eq!(
        ledger_entries(&b).await?.len(),
        2,
        "both jobs kept in the ledger"
    );
    let sim = restart.await??;
    println!("manager down for {:?}", down_at.elapsed());

    // Back: polling resumes on its own, the banner goes, both jobs end right.
    b.wait_job("payroll-master", "delete", "COMPLETED", 45)
        .await?;
    b.wait_job("payroll-archive", "delete", "COMPLETED", 20)
        .await?;
    b.wait_job(
        "payroll-master",
        "delete",
        "Key re-read: deleted from SAP",
        15,
    )
    .await?;
    wait_until("the banner to go", 15, || async {
        Ok(banner(&b).await?.is_none().then_some(()))
    })
    .await?;
    assert_eq!(sim.key_by_name("payroll-master").await?["gone"], true);
    assert_eq!(sim.key_by_name("payroll-archive").await?["gone"], true);
    assert_eq!(ledger_entries(&b).await?.len(), 2);
    b.screenshot("reliability-restarted").await?;
    b.close().await
}

#[tokio::test]
async fn a_job_the_manager_forgot_stays_marked_unknown() -> e2e::Result {
    // No --state: a restart forgets every job, and (new signing secret) every token.
    let args = ["--keys", "40", "--job-ms", "20000"];
    let sim = LoggedSim::start(&args)?;
    let b = Browser::start().await?;
    open_and_login(&b, &sim.base).await?;
    start_job(&b, "payroll-reporting", "delete").await?;
    b.wait_job("payroll-reporting", "delete", "running", 10)
        .await?;
    let sim = sim
        .restart(
            Duration::from_millis(500),
            args.iter().map(|s| s.to_string()).collect(),
        )
        .await?;
    // The old session is refused: log in again in place, nothing lost.
    b.wait_for("#relogin #login-password", 30).await?;
    assert_eq!(ledger_entries(&b).await?.len(), 1);
    b.type_into("#relogin #login-password", "admin").await?;
    b.click("#relogin #login-submit").await?;
    let t = b
        .wait_job("payroll-reporting", "delete", "unknown to manager", 30)
        .await?;
    b.screenshot("reliability-unknown-to-manager").await?;
    let entries = e2e::reliability::wait_stored(&b, "the job marked unknown", 10, |e| {
        e.len() == 1 && e[0]["phase"].to_string().contains("unknown")
    })
    .await?;
    assert_eq!(entries.len(), 1, "never silently dropped: {entries:?}");
    // It is not polled again.
    let before = sim.count(GET_JOB).await?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        sim.count(GET_JOB).await?,
        before,
        "a 404 job is not polled forever: {t}"
    );
    b.close().await
}

/// `(seconds since midnight, status)` of every `GET /api/v1/cckm/sap/keys/jobs/…` in the log.
fn job_polls(log: &str) -> Vec<(f64, u16)> {
    log.lines()
        .filter_map(|l| {
            let ts = l.split_whitespace().next()?;
            let time = ts.split('T').nth(1)?.trim_end_matches('Z');
            let mut hms = time.split(':');
            let (h, m, s): (f64, f64, f64) = (
                hms.next()?.parse().ok()?,
                hms.next()?.parse().ok()?,
                hms.next()?.parse().ok()?,
            );
            let mut words = l.split_whitespace().skip_while(|w| *w != "GET");
            words.next()?;
            let path = words.next()?;
            if !path.starts_with("/api/v1/cckm/sap/keys/jobs/") {
                return None;
            }
            Some((h * 3600.0 + m * 60.0 + s, words.next()?.parse().ok()?))
        })
        .collect()
}

#[tokio::test]
async fn errors_and_429_while_polling_back_off_and_drop_nothing() -> e2e::Result {
    let sim = LoggedSim::start(&["--keys", "40", "--job-ms", "30000"])?;
    let b = Browser::start().await?;
    open_and_login(&b, &sim.base).await?;
    for name in ["payroll-archive", "payroll-reporting", "payroll-ledger"] {
        start_job(&b, name, "delete").await?;
    }
    b.wait_job("payroll-ledger", "delete", "running", 10)
        .await?;

    // 500 on every poll for 10 s: the shared backoff (2, 4, 8 s) keeps it to a few requests.
    let before = sim.count(GET_JOB).await?;
    sim.set_faults(json!({"error_rate": 1.0, "routes": ["GET /api/v1/cckm/sap/keys/jobs/{id}"]}))
        .await?;
    let text = wait_until("the connection-lost banner", 10, || async {
        banner(&b).await
    })
    .await?;
    assert!(text.contains("retrying in"), "{text}");
    tokio::time::sleep(Duration::from_secs(9)).await;
    let during_500 = sim.count(GET_JOB).await? - before;
    println!("polls during 10 s of 500s, 3 jobs: {during_500}");
    assert!(
        during_500 <= 12,
        "a request storm: {during_500} polls in 10 s of 500s"
    );

    // 429 with Retry-After: 5 s for 12 s: after a 429 the next poll waits 5 s.
    sim.set_faults(json!({"rate_limit_per_sec": 0.001, "retry_after_secs": 5, "routes": ["GET /api/v1/cckm/sap/keys/jobs/{id}"]})).await?;
    let before = sim.count(GET_JOB).await?;
    tokio::time::sleep(Duration::from_secs(12)).await;
    let during_429 = sim.count(GET_JOB).await? - before;
    println!("polls during 12 s of 429 + Retry-After 5, 3 jobs: {during_429}");
    assert!(
        during_429 <= 12,
        "Retry-After not honoured: {during_429} polls in 12 s"
    );
    let polls = job_polls(&sim.log_text());
    let limited: Vec<f64> = polls.iter().filter(|p| p.1 == 429).map(|p| p.0).collect();
    assert!(limited.len() >= 2, "the page met 429s: {polls:?}");
    for w in limited.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            !(0.5..4.7).contains(&gap),
            "a poll {gap:.2} s after a 429 with Retry-After 5: {limited:?}"
        );
    }

    // Faults off: every job is still there and ends.
    sim.set_faults(json!({})).await?;
    assert!(
        sim.max_in_flight(GET_JOB).await? <= 4,
        "at most four polls in flight"
    );
    for name in ["payroll-archive", "payroll-reporting", "payroll-ledger"] {
        b.wait_job(name, "delete", "COMPLETED", 40).await?;
    }
    assert_eq!(ledger_entries(&b).await?.len(), 3, "no job dropped");
    b.close().await
}

/// Posts a delete of `name` and waits until the dialog says what re-reading the key showed.
async fn post_expecting_unknown(b: &Browser, name: &str, secs: u64) -> e2e::Result<String> {
    e2e::reliability::review_delete(b, name).await?;
    b.click("#confirm-submit").await?;
    let text = b
        .wait_text("#confirm-dialog", "Check the job list", secs)
        .await?;
    b.screenshot(&format!("reliability-unknown-{name}")).await?;
    b.click("#confirm-close").await?;
    Ok(text)
}

#[tokio::test]
async fn a_failed_or_timed_out_post_is_not_repeated_and_the_key_is_reread() -> e2e::Result {
    let sim = LoggedSim::start(&["--keys", "40", "--job-ms", "2000"])?;
    let b = Browser::start().await?;
    open_and_login(&b, &sim.base).await?;

    // 5xx: one POST, "Outcome unknown", the key re-read, no job in the ledger.
    sim.set_faults(json!({"error_rate": 1.0, "routes": [POST_JOBS]}))
        .await?;
    let (posts, keys) = (sim.count(POST_JOBS).await?, sim.count(GET_KEY).await?);
    let out = post_expecting_unknown(&b, "payroll-master", 15).await?;
    assert!(out.contains("Outcome unknown"), "{out}");
    assert!(out.contains("not repeated"), "{out}");
    assert!(out.contains("the key is now"), "the key was re-read: {out}");
    assert_eq!(
        sim.count(POST_JOBS).await? - posts,
        1,
        "a 5xx POST is not retried"
    );
    assert!(sim.count(GET_KEY).await? > keys, "the key was re-read");
    assert!(ledger_entries(&b).await?.is_empty(), "no job was made up");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sim.count(POST_JOBS).await? - posts, 1, "nor retried later");

    // Timeout: the manager takes 25 s, the page gives up at 20 s; the job does get created.
    sim.set_faults(json!({"latency_ms": 25_000, "routes": [POST_JOBS]}))
        .await?;
    let posts = sim.count(POST_JOBS).await?;
    let out = post_expecting_unknown(&b, "payroll-archive", 35).await?;
    assert!(
        out.contains("Outcome unknown") && out.contains("did not answer"),
        "{out}"
    );
    assert!(out.contains("the key is now"), "{out}");
    sim.set_faults(json!({})).await?;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        sim.count(POST_JOBS).await? - posts,
        1,
        "a timed-out POST is not retried"
    );
    // The user decides: the key is there to look at and act on again.
    e2e::reliability::search(&b, "payroll-archive", "payroll-archive").await?;
    b.screenshot("reliability-outcome-unknown").await?;
    b.close().await
}

/// The table's first key name and whether it is marked loading (`.busy-note`, `.is-loading`).
async fn table_now(b: &Browser) -> e2e::Result<(String, bool, bool)> {
    let v = b
        .eval("return [document.querySelector('.keys-table tbody .key-name')?.textContent ?? '', !!document.querySelector('.busy-note'), !!document.querySelector('.keys-table.is-loading')];")
        .await?;
    Ok((
        v[0].as_str().unwrap_or("").to_string(),
        v[1] == json!(true),
        v[2] == json!(true),
    ))
}

#[tokio::test]
async fn a_slow_key_page_says_loading_and_a_quick_one_does_not_flash() -> e2e::Result {
    let sim = LoggedSim::start(&["--keys", "200"])?;
    let b = Browser::start().await?;
    open_and_login(&b, &sim.base).await?;
    b.wait_text("#range-label", "1–50 of 200", 10).await?;
    b.eval("window.sawLoading = false; new MutationObserver(() => { if (document.querySelector('.busy-note, .is-loading')) window.sawLoading = true; }).observe(document.body, {subtree: true, childList: true, attributes: true}); return true;")
        .await?;

    // Quick: the next page replaces this one, with no "Loading…" in between.
    b.click("#page-next").await?;
    b.wait_text("#range-label", "51–100", 10).await?;
    assert_eq!(
        b.eval("return window.sawLoading;").await?,
        json!(false),
        "a quick page flashed Loading"
    );

    // Slow (1.5 s): the rows stay, marked loading, until the new page arrives.
    sim.set_faults(json!({"latency_ms": 1500, "routes": [LIST_KEYS]}))
        .await?;
    let (before, ..) = table_now(&b).await?;
    b.click("#page-next").await?;
    let (during, busy, dimmed) = wait_until("Loading… on a slow page", 2, || async {
        let t = table_now(&b).await?;
        Ok((t.1 && t.2).then_some(t))
    })
    .await?;
    assert!(busy && dimmed);
    assert_eq!(during, before, "the old rows stay while the new page loads");
    let label = b.text("#range-label").await?;
    assert!(
        label.starts_with("Loading 101–150"),
        "the pager says the page is on its way: {label}"
    );
    b.screenshot("keys-slow-page-loading").await?;
    let (after, busy, dimmed) = wait_until("the slow page", 10, || async {
        let t = table_now(&b).await?;
        Ok((t.0 != before).then_some(t))
    })
    .await?;
    assert!(!busy && !dimmed, "Loading… goes with the answer");
    assert!(
        b.text("#range-label").await?.starts_with("101–150"),
        "page 3 shown, {after}"
    );
    sim.set_faults(json!({})).await?;
    b.close().await
}
