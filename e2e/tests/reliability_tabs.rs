//! Issue #6, double submits and two tabs: a double click, Enter held down and a second tab each
//! give exactly one `POST /keys/jobs` per key (counted by the simulator's /sim/stats); two tabs
//! polling and writing one ledger lose and duplicate nothing; ledger messages merge as JSON text
//! or as objects (an older page), and anything else is ignored.
use std::time::Duration;

use e2e::reliability::{job_rows, open_and_login, wait_until, LoggedSim, POST_JOBS};
use e2e::Browser;
use fantoccini::actions::InputSource;
use serde_json::json;

/// Selects `name`, chooses delete and opens the confirmation with the phrase typed.
async fn ready_to_confirm(b: &Browser, name: &str) -> e2e::Result {
    if let Err(e) = e2e::reliability::review_delete(b, name).await {
        b.screenshot("reliability-tabs-debug").await?;
        let search = b
            .eval("return document.querySelector('#key-search')?.value;")
            .await?;
        return Err(format!("{e}; search box {search}; page: {}", b.text("body").await?).into());
    }
    Ok(())
}

async fn close_when_done(b: &Browser) -> e2e::Result<String> {
    wait_until("the posting to finish", 20, || async {
        let v = b
            .eval("const c = document.querySelector('#confirm-close'); return !!c && !c.disabled;")
            .await?;
        Ok((v == json!(true)).then_some(()))
    })
    .await?;
    let text = b.text("#confirm-dialog").await?;
    b.click("#confirm-close").await?;
    Ok(text)
}

#[tokio::test]
async fn double_click_enter_held_and_a_second_tab_post_once_per_key() -> e2e::Result {
    let sim = LoggedSim::start(&["--keys", "40", "--job-ms", "20000"])?;
    let b = Browser::start().await?;
    open_and_login(&b, &sim.base).await?;

    // Double click, both clicks in one task (no render between them), then a WebDriver double click.
    ready_to_confirm(&b, "payroll-master").await?;
    let before = sim.count(POST_JOBS).await?;
    b.eval("const s = document.querySelector('#confirm-submit'); s.click(); s.click(); s.click(); return true;").await?;
    let out = close_when_done(&b).await?;
    assert_eq!(out.matches("job created").count(), 1, "{out}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sim.count(POST_JOBS).await? - before,
        1,
        "a triple click posted more than once"
    );

    ready_to_confirm(&b, "payroll-archive").await?;
    let before = sim.count(POST_JOBS).await?;
    let submit = b.wait_for("#confirm-submit", 5).await?;
    let actions = fantoccini::actions::MouseActions::new("mouse".to_string())
        .then(fantoccini::actions::PointerAction::MoveToElement {
            element: submit,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(fantoccini::actions::PointerAction::Down {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        })
        .then(fantoccini::actions::PointerAction::Up {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        })
        .then(fantoccini::actions::PointerAction::Down {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        })
        .then(fantoccini::actions::PointerAction::Up {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        });
    b.client.perform_actions(actions).await?;
    close_when_done(&b).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sim.count(POST_JOBS).await? - before,
        1,
        "a double click posted more than once"
    );

    // Enter held down in the confirmation field: twenty Enters.
    ready_to_confirm(&b, "payroll-reporting").await?;
    let before = sim.count(POST_JOBS).await?;
    let input = b.wait_for("#confirm-input", 5).await?;
    let _ = input.send_keys(&"\u{E007}".repeat(20)).await;
    close_when_done(&b).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sim.count(POST_JOBS).await? - before,
        1,
        "Enter held down posted more than once"
    );

    // Two tabs: the second tab had the key selected; once the first started its job, the second
    // tab's review skips it (the ledger is shared), so it posts nothing.
    let first = b.client.window().await?;
    let second = b.client.new_window(false).await?;
    b.client.switch_to_window(second.handle.clone()).await?;
    open_and_login(&b, &sim.base).await?;
    e2e::reliability::search(&b, "payroll-ledger", "payroll-ledger").await?;
    b.select_row("payroll-ledger").await?;
    b.client.switch_to_window(first.clone()).await?;
    ready_to_confirm(&b, "payroll-ledger").await?;
    let before = sim.count(POST_JOBS).await?;
    b.click("#confirm-submit").await?;
    close_when_done(&b).await?;
    b.client.switch_to_window(second.handle.clone()).await?;
    b.wait_job("payroll-ledger", "delete", "running", 10)
        .await?;
    b.click("#op-delete").await?;
    b.click("#review").await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let dialog = b
        .eval("return document.querySelector('#confirm-dialog')?.innerText ?? null;")
        .await?;
    if let Some(text) = dialog.as_str() {
        // If it opened at all, it lists the key as skipped and offers nothing to post for it.
        if b.eval("return !!document.querySelector('#confirm-submit');")
            .await?
            == json!(true)
        {
            assert!(
                !text.contains("payroll-ledger") || text.contains("Skipped"),
                "{text}"
            );
        }
        let _ = b.click("#confirm-cancel").await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sim.count(POST_JOBS).await? - before,
        1,
        "the second tab posted again"
    );
    assert_eq!(
        sim.count(POST_JOBS).await?,
        4,
        "exactly one POST per key, four keys"
    );
    b.screenshot("reliability-double-submit").await?;
    b.close().await
}

#[tokio::test]
async fn two_tabs_polling_one_ledger_lose_and_duplicate_nothing() -> e2e::Result {
    let sim = LoggedSim::start(&["--keys", "40", "--job-ms", "6000"])?;
    let b = Browser::start().await?;
    open_and_login(&b, &sim.base).await?;
    let first = b.client.window().await?;
    let second = b.client.new_window(false).await?;
    b.client.switch_to_window(second.handle.clone()).await?;
    open_and_login(&b, &sim.base).await?;

    // Each tab starts two jobs, interleaved, so both write the ledger while both poll.
    let plan = [
        (&first, "payroll-master"),
        (&second.handle, "payroll-archive"),
        (&first, "payroll-reporting"),
        (&second.handle, "payroll-ledger"),
    ];
    for (tab, name) in plan {
        b.client.switch_to_window((*tab).clone()).await?;
        e2e::reliability::start_job(&b, name, "delete").await?;
    }
    for tab in [&first, &second.handle] {
        b.client.switch_to_window(tab.clone()).await?;
        for (_, name) in plan {
            b.wait_job(name, "delete", "COMPLETED", 40).await?;
        }
        let rows = job_rows(&b).await?;
        assert_eq!(rows.len(), 4, "each tab lists the four jobs once: {rows:?}");
    }
    let entries = e2e::reliability::wait_stored(&b, "four succeeded jobs", 10, |e| {
        e.len() == 4
            && e.iter()
                .all(|x| x["phase"].to_string().contains("succeeded"))
    })
    .await?;
    let mut ids: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["job_id"].as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        (entries.len(), ids.len()),
        (4, 4),
        "four distinct jobs in the stored ledger: {entries:?}"
    );
    assert_eq!(sim.count(POST_JOBS).await?, 4);
    b.close().await
}

/// Another tab's ledger message is merged whether it is JSON text (this page) or an object (as an
/// older version of the page posted it during an upgrade); a message that is neither is ignored.
#[tokio::test]
async fn ledger_messages_from_other_tabs_merge_as_text_or_object() -> e2e::Result {
    let sim = LoggedSim::start(&["--keys", "10"])?;
    let b = Browser::start().await?;
    open_and_login(&b, &sim.base).await?;
    b.wait_for("#jobs-empty", 10).await?;
    b.eval(
        "const ch = new BroadcastChannel(`cckm-sap-ledger:v1:${location.origin}:admin:bc`);
         const entry = (job_id, key_name) => ({job_id, id: '11111111-2222-4333-8444-555555555555', key_name,
           operation: 'delete', created_ms: Date.now(), states: [{state: 'COMPLETED', at_ms: Date.now()}],
           phase: 'succeeded', verification: 'confirmed', last_change_ms: Date.now()});
         ch.postMessage(42);
         ch.postMessage('not json');
         ch.postMessage(JSON.stringify({version: 1, entries: [entry('5db60499-9f4f-4143-b963-370459d3cef1', 'sent-as-text')], cleared: []}));
         ch.postMessage({version: 1, entries: [entry('6db60499-9f4f-4143-b963-370459d3cef2', 'sent-as-object')], cleared: []});
         ch.close();
         return true;",
    )
    .await?;
    b.wait_text("#job-list", "sent-as-object", 10).await?;
    let list = b.text("#job-list").await?;
    assert!(
        list.contains("sent-as-text") && list.contains("sent-as-object"),
        "{list}"
    );
    assert_eq!(job_rows(&b).await?.len(), 2);
    b.close().await
}
