//! The delete-then-restore flow in every dialect of the simulator (`--dialect`), since the real
//! manager's job answer is undocumented: `classic` (PENDING → IN_PROGRESS → COMPLETED, POST 201),
//! `running` (RUNNING → SUCCEEDED, POST 202), `ended` (IN_PROGRESS → DELETED / RESTORED, end
//! words nobody listed, POST 200) and `bare` (key answers without name, gone, type, size…).
//! Both jobs must end as succeeded (in `ended`, "inferred from the key", the raw word shown),
//! and afterwards no job may still be polled: counted at `/sim/stats`.
use std::time::Duration;

use e2e::reliability::GET_JOB;
use e2e::{login, Browser, Sim};
use serde_json::Value;

const KEY: &str = "payroll-master";

/// What a dialect answers, as the test expects to see it.
struct Dialect {
    name: &'static str,
    delete_word: &'static str,
    restore_word: &'static str,
    /// The end words are not ones the page knows: success is inferred from the key.
    inferred: bool,
    /// Key answers carry no `name` (nor `gone`): the row is "(unnamed key <id>)".
    bare: bool,
}

const CLASSIC: Dialect = Dialect {
    name: "classic",
    delete_word: "COMPLETED",
    restore_word: "COMPLETED",
    inferred: false,
    bare: false,
};
const RUNNING: Dialect = Dialect {
    name: "running",
    delete_word: "SUCCEEDED",
    restore_word: "SUCCEEDED",
    inferred: false,
    bare: false,
};
const ENDED: Dialect = Dialect {
    name: "ended",
    delete_word: "DELETED",
    restore_word: "RESTORED",
    inferred: true,
    bare: false,
};
const BARE: Dialect = Dialect {
    name: "bare",
    delete_word: "COMPLETED",
    restore_word: "COMPLETED",
    inferred: false,
    bare: true,
};

#[tokio::test]
async fn classic_dialect_delete_then_restore() -> e2e::Result {
    delete_then_restore(&CLASSIC).await
}

#[tokio::test]
async fn running_dialect_delete_then_restore() -> e2e::Result {
    delete_then_restore(&RUNNING).await
}

#[tokio::test]
async fn ended_dialect_jobs_end_inferred_from_the_key() -> e2e::Result {
    delete_then_restore(&ENDED).await
}

#[tokio::test]
async fn bare_dialect_delete_then_restore_without_names() -> e2e::Result {
    delete_then_restore(&BARE).await
}

async fn delete_then_restore(d: &Dialect) -> e2e::Result {
    let sim = Sim::start(&["--dialect", d.name, "--keys", "40", "--job-ms", "1500"])?;
    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    b.wait_for("#login-username", 20).await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;

    // The name filter works server side even when answers carry no name: one key matches.
    let found = sim
        .api_get(&format!("/api/v1/cckm/sap/keys?limit=10&name={KEY}"))
        .await?;
    let keys = found["resources"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        keys.len(),
        1,
        "{}: the search for {KEY} finds one key: {found}",
        d.name
    );
    let id = keys[0]["id"]
        .as_str()
        .ok_or("a key without id")?
        .to_string();
    assert_eq!(
        keys[0].get("name").is_none(),
        d.bare,
        "{}: name in key answers: {}",
        d.name,
        keys[0]
    );
    let row = if d.bare {
        format!("(unnamed key {id})")
    } else {
        KEY.to_string()
    };
    let shot = |step: &str| format!("dialect-{}-{step}", d.name);

    // Delete: type the name, or "DELETE 1 KEY" for a key without one.
    select_only_row(&b, &row).await?;
    let phrase = if d.bare { "DELETE 1 KEY" } else { KEY };
    let out = b.confirm_and_post(Some(phrase), &shot("delete")).await?;
    assert!(out.contains("job created"), "{}: {out}", d.name);
    let deleted = ended(&b, d, &row, "delete", d.delete_word).await?;
    if !d.bare {
        assert_eq!(sim.key_by_name(KEY).await?["gone"], true, "{}", d.name);
    }

    // Restore: the only operation left for a deleted key (for a bare key, known from the delete
    // this browser saw succeed).
    select_only_row(&b, &row).await?;
    let chosen =
        "const r = document.querySelector('#op-restore'); return !!r && r.checked && !r.disabled;";
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while b.eval(chosen).await? != Value::Bool(true) {
        if std::time::Instant::now() > deadline {
            b.screenshot(&shot("no-restore")).await?;
            let form = b.text(".selection").await.unwrap_or_default();
            return Err(format!(
                "{}: restore is not offered for the deleted key: {form}",
                d.name
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = b.confirm_and_post(None, &shot("restore")).await?;
    assert!(out.contains("job created"), "{}: {out}", d.name);
    let restored = ended(&b, d, &row, "restore", d.restore_word).await?;
    if !d.bare {
        assert_eq!(sim.key_by_name(KEY).await?["gone"], false, "{}", d.name);
    }
    b.screenshot(&shot("done")).await?;

    if d.inferred {
        // The detail says it too, with the raw word in the timeline.
        let open = format!("#job-list .job[data-job-id='{restored}'] .job-open");
        b.click(&open).await?;
        b.wait_text("#job-detail", "succeeded (inferred from the key)", 10)
            .await?;
        let timeline = b.text("#job-timeline").await?;
        assert!(timeline.contains(d.restore_word), "{}: {timeline}", d.name);
        b.screenshot(&shot("detail")).await?;
        b.click("#detail-close").await?;
    }

    // No job is polled once it ended: its GET count stays still, and each job's end was read
    // at most once.
    let before = sim.stats().await?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after = sim.stats().await?;
    let gets = |s: &Value| s["requests"][GET_JOB].as_u64().unwrap_or(0);
    assert_eq!(
        gets(&after),
        gets(&before),
        "{}: jobs still polled after they ended: {after}",
        d.name
    );
    let after_end = after["job_gets_after_end"]
        .as_u64()
        .ok_or("no job_gets_after_end in /sim/stats")?;
    assert!(
        after_end <= 2,
        "{}: {after_end} job GETs after the end of 2 jobs: {after}",
        d.name
    );
    assert_eq!(
        after["job_gets_after_end_seen"].as_u64().unwrap_or(0),
        0,
        "{}: an ended job was read again: {after}",
        d.name
    );

    // The manager's own view of the two jobs (read after the count above, which they would
    // add to): each ended with the dialect's word.
    for (job_id, word) in [(&deleted, d.delete_word), (&restored, d.restore_word)] {
        let job = sim.job(job_id).await?;
        assert_eq!(job["state"], word, "{}: job {job_id}: {job}", d.name);
    }
    b.close().await
}

/// Searches for the key by name and ticks its row, the only one the search leaves.
async fn select_only_row(b: &Browser, row: &str) -> e2e::Result {
    b.search(KEY, row).await?;
    // The unnamed row may already be on the unfiltered first page: wait for the search's answer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let rows = b
            .eval("return document.querySelectorAll('.keys-table tbody tr').length;")
            .await?;
        if rows == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the search for {KEY} leaves one row, not {rows}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    b.select_row(row).await
}

/// Waits until the `op` job of the row `row` succeeded, checks its raw word and whether success
/// was inferred from the key, and returns the job's id.
async fn ended(b: &Browser, d: &Dialect, row: &str, op: &str, word: &str) -> e2e::Result<String> {
    let text = match b.wait_job(row, op, "succeeded", 30).await {
        Ok(t) => t,
        Err(e) => {
            b.screenshot(&format!("dialect-{}-{op}-stuck", d.name))
                .await?;
            return Err(format!("{}: {e}", d.name).into());
        }
    };
    assert!(
        text.contains(word),
        "{}: the raw word {word} is shown: {text}",
        d.name
    );
    assert_eq!(
        text.contains("inferred from the key"),
        d.inferred,
        "{}: {text}",
        d.name
    );
    // The key is re-read after the end; a bare key cannot say whether it is gone.
    let check = if d.bare {
        "does not say whether it is gone"
    } else {
        "Key re-read:"
    };
    b.wait_job(row, op, check, 10).await?;
    let id = b
        .client
        .execute(
            "const li = [...document.querySelectorAll('#job-list .job')].find(li => li.querySelector('.job-key').textContent === arguments[0] && li.querySelector('.job-op').textContent === arguments[1]);
             return li ? li.dataset.jobId : null;",
            vec![Value::from(row), Value::from(op)],
        )
        .await?;
    Ok(id.as_str().ok_or("the job row has no id")?.to_string())
}
