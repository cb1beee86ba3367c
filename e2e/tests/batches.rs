//! Batches end to end: a 6-key delete where 2 fail (the simulator's `fail_keys` fault), "Retry
//! failed" posts exactly those 2, and the undo of the 4 that succeeded restores exactly those 4.
use std::time::{Duration, Instant};

use e2e::{login, Browser, Sim};
use serde_json::{json, Value};

const POST_JOBS: &str = "POST /api/v1/cckm/sap/keys/jobs";
const OK: [&str; 4] = [
    "payroll-master",
    "payroll-archive",
    "payroll-ledger",
    "crm-disabled-01",
];
const FAIL: [&str; 2] = ["payroll-reporting", "empty-description"];

/// Types `phrase` into the open confirmation, confirms, waits for every outcome and closes it.
/// Returns the dialog's title and its text after the outcomes.
async fn confirm_open_dialog(
    b: &Browser,
    phrase: &str,
    shot: &str,
) -> e2e::Result<(String, String)> {
    b.wait_for("#confirm-dialog", 20).await?;
    let title = b.text("#confirm-title").await?;
    b.type_into("#confirm-input", phrase).await?;
    b.screenshot(&format!("{shot}-confirm")).await?;
    b.click("#confirm-submit").await?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let done = b
            .eval("const b = document.querySelector('#confirm-close'); return !!b && !b.disabled;")
            .await?;
        if done == json!(true) {
            break;
        }
        if Instant::now() > deadline {
            b.screenshot(&format!("{shot}-stuck")).await?;
            return Err("the posting never finished".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = b.text("#confirm-dialog").await?;
    b.click("#confirm-close").await?;
    Ok((title, text))
}

/// The batch ids in the job list, newest first.
async fn batch_ids(b: &Browser) -> e2e::Result<Vec<String>> {
    let v = b
        .eval("return [...document.querySelectorAll('#job-list li.batch')].map(li => li.dataset.batchId);")
        .await?;
    Ok(serde_json::from_value(v)?)
}

async fn gone(sim: &Sim, id: &str) -> e2e::Result<Value> {
    Ok(sim.api_get(&format!("/api/v1/cckm/sap/keys/{id}")).await?["gone"].clone())
}

#[tokio::test]
async fn retry_the_failed_and_undo_the_succeeded_of_a_batch() -> e2e::Result {
    let sim = Sim::start(&["--keys", "80", "--job-ms", "800"])?;
    let mut ids = std::collections::HashMap::new();
    for name in OK.iter().chain(&FAIL) {
        let k = sim.key_by_name(name).await?;
        ids.insert(*name, k["id"].as_str().ok_or("a key id")?.to_string());
    }
    sim.set_faults(json!({"fail_keys": FAIL.iter().map(|n| ids[n].clone()).collect::<Vec<_>>()}))
        .await?;
    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;

    // One delete of six keys: one batch.
    b.search("payroll-", "payroll-archive").await?;
    for name in [
        "payroll-master",
        "payroll-archive",
        "payroll-ledger",
        "payroll-reporting",
    ] {
        b.select_row(name).await?;
    }
    for name in ["crm-disabled-01", "empty-description"] {
        b.search(name, name).await?;
        b.select_row(name).await?;
    }
    assert!(b.text("#selected-count").await?.starts_with("6 keys"));
    let out = b
        .confirm_and_post(Some("DELETE 6 KEYS"), "batches-01")
        .await?;
    assert_eq!(out.matches("job created").count(), 6, "{out}");
    for name in OK {
        b.wait_job(name, "delete", "COMPLETED", 30).await?;
    }
    for name in FAIL {
        b.wait_job(name, "delete", "simulated SAP failure", 30)
            .await?;
    }
    let first = batch_ids(&b).await?;
    assert_eq!(first.len(), 1, "{first:?}");
    let batch = format!("#job-list li.batch[data-batch-id='{}']", first[0]);
    let counts = b.text(&format!("{batch} .batch-counts")).await?;
    assert!(
        counts.contains("4 succeeded") && counts.contains("2 failed"),
        "{counts}"
    );
    assert_eq!(
        b.text(&format!("{batch} .batch-retry")).await?,
        "Retry failed (2)"
    );
    assert_eq!(b.text(&format!("{batch} .batch-undo")).await?, "Undo (4)");

    // Retry the failed: exactly two POSTs, once the fault is cleared. A key selected meanwhile
    // stays selected: a retry does not post the selection.
    b.select_row("empty-description").await?;
    sim.set_faults(json!({})).await?;
    let before = sim.count(POST_JOBS).await?;
    b.click(&format!("{batch} .batch-retry")).await?;
    let (title, text) = confirm_open_dialog(&b, "DELETE 2 KEYS", "batches-02-retry").await?;
    assert_eq!(
        title,
        format!("Retry 2 failed deletes of batch {}", &first[0][..8])
    );
    assert_eq!(text.matches("job created").count(), 2, "{text}");
    assert_eq!(sim.count(POST_JOBS).await? - before, 2);
    let selected = b.text("#selected-count").await?;
    assert!(selected.starts_with("1 key"), "{selected}");
    for name in FAIL {
        b.wait_job(name, "delete", "COMPLETED", 30).await?;
        assert_eq!(gone(&sim, &ids[name]).await?, true, "{name}");
    }

    // Undo the succeeded: a restore of exactly those four, typed like a delete.
    let before = sim.count(POST_JOBS).await?;
    b.click(&format!("{batch} .batch-undo")).await?;
    let (title, text) = confirm_open_dialog(&b, "RESTORE 4 KEYS", "batches-03-undo").await?;
    assert_eq!(
        title,
        format!("Undo: restore 4 keys of batch {}", &first[0][..8])
    );
    assert_eq!(text.matches("job created").count(), 4, "{text}");
    assert_eq!(sim.count(POST_JOBS).await? - before, 4);
    for name in OK {
        b.wait_job(name, "restore", "COMPLETED", 30).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for name in OK {
        while gone(&sim, &ids[name]).await? != json!(false) {
            assert!(Instant::now() < deadline, "{name} is not back");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for name in FAIL {
        assert_eq!(
            gone(&sim, &ids[name]).await?,
            true,
            "{name} was not part of the undo"
        );
    }

    // Three batches, linked both ways.
    let all = batch_ids(&b).await?;
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(all[2], first[0], "newest first");
    let meta = b.text(&format!("{batch} .job-meta")).await?;
    assert!(
        meta.contains(&format!("undone by batch {}", &all[0][..8])),
        "{meta}"
    );
    assert!(
        meta.contains(&format!("retried by batch {}", &all[1][..8])),
        "{meta}"
    );
    let retry_meta = b
        .text(&format!(
            "#job-list li.batch[data-batch-id='{}'] .job-meta",
            all[1]
        ))
        .await?;
    assert!(
        retry_meta.contains(&format!("retry of batch {}", &first[0][..8])),
        "{retry_meta}"
    );

    // The filters: failed jobs only, in the URL.
    b.eval("const s = document.querySelector('#jobs-phase'); s.value = 'failed'; s.dispatchEvent(new Event('change', {bubbles: true}));")
        .await?;
    b.wait_text("#jobs-filter-count", "2 of 12 jobs match.", 10)
        .await?;
    let url = b.client.current_url().await?;
    assert!(url.as_str().contains("jphase=failed"), "{url}");
    assert_eq!(batch_ids(&b).await?, [first[0].clone()]);
    b.click("#jobs-filter-clear").await?;
    b.wait_for("#job-list li.batch", 10).await?;

    // The first batch open, for the docs, without the selection made above.
    b.eval("[...document.querySelectorAll('.job-form button.link')].find(x => x.textContent === 'Clear selection').click();")
        .await?;
    b.eval(&format!(
        "document.querySelector(\"{batch}\").scrollIntoView();"
    ))
    .await?;
    b.screenshots_in_both_themes("batch").await?;
    b.close().await
}
