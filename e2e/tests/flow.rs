//! The whole job of the page, as a custodian does it: log in, search, delete with confirmation,
//! watch it end, reload, restore, a restore without backup, and a bulk delete of three keys.
use e2e::{login, Browser, Sim};

const POST_JOBS: &str = "POST /api/v1/cckm/sap/keys/jobs";

#[tokio::test]
async fn delete_restore_and_bulk_through_the_page() -> e2e::Result {
    let sim = Sim::start(&["--keys", "80", "--job-ms", "1500"])?;
    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    b.wait_for("#login-username", 20).await?;
    b.screenshot("flow-01-login").await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    b.screenshot("flow-02-keys").await?;

    // Delete one key, typing its name to confirm.
    b.search("payroll-master", "payroll-master").await?;
    b.select_row("payroll-master").await?;
    let out = b
        .confirm_and_post(Some("payroll-master"), "flow-03-delete")
        .await?;
    assert!(out.contains("job created"), "{out}");
    let first = b.wait_job("payroll-master", "delete", "PENDING", 10).await;
    let first = match first {
        Ok(t) => t,
        // The first poll may already have moved it on; the ledger keeps every state seen.
        Err(_) => {
            b.wait_job("payroll-master", "delete", "IN_PROGRESS", 5)
                .await?
        }
    };
    assert!(first.contains("running"), "{first}");
    b.screenshot("flow-04-running").await?;
    let done = b
        .wait_job("payroll-master", "delete", "COMPLETED", 20)
        .await?;
    assert!(done.contains("succeeded"), "{done}");
    b.wait_job(
        "payroll-master",
        "delete",
        "Key re-read: deleted from SAP",
        10,
    )
    .await?;
    assert_eq!(sim.key_by_name("payroll-master").await?["gone"], true);
    b.screenshot("flow-05-deleted").await?;

    // Reload: the session and the job are still there.
    b.goto(&format!("{}/", sim.base)).await?;
    b.wait_job("payroll-master", "delete", "COMPLETED", 20)
        .await?;
    b.screenshot("flow-06-reloaded").await?;

    // Restore it (a plain confirm).
    b.search("payroll-master", "payroll-master").await?;
    let state = b.row_state("payroll-master").await?;
    assert!(state.contains("Deleted from SAP"), "{state}");
    b.select_row("payroll-master").await?;
    let out = b.confirm_and_post(None, "flow-07-restore").await?;
    assert!(out.contains("job created"), "{out}");
    b.wait_job("payroll-master", "restore", "COMPLETED", 20)
        .await?;
    b.wait_job(
        "payroll-master",
        "restore",
        "Key re-read: present in SAP again",
        10,
    )
    .await?;
    assert_eq!(sim.key_by_name("payroll-master").await?["gone"], false);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !b.row_state("payroll-master").await?.contains("Enabled") {
        assert!(
            std::time::Instant::now() < deadline,
            "the table row never showed the key enabled again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    b.screenshot("flow-08-restored").await?;

    // A key with no backup: the restore job fails and says why.
    b.search("hr-archive-2019", "hr-archive-2019").await?;
    b.select_row("hr-archive-2019").await?;
    b.confirm_and_post(None, "flow-09-nobackup").await?;
    let failed = b
        .wait_job("hr-archive-2019", "restore", "FAILED", 20)
        .await?;
    assert!(failed.contains("failed"), "{failed}");
    assert!(
        failed.to_lowercase().contains("backup"),
        "the error text is shown: {failed}"
    );
    b.screenshot("flow-10-failed").await?;

    // Bulk delete of three keys: exactly three POSTs.
    let before = sim.count(POST_JOBS).await?;
    b.search("payroll-", "payroll-archive").await?;
    for name in ["payroll-archive", "payroll-reporting", "payroll-ledger"] {
        b.select_row(name).await?;
    }
    assert!(b.text("#selected-count").await?.starts_with("3 keys"));
    let out = b
        .confirm_and_post(Some("DELETE 3 KEYS"), "flow-11-bulk")
        .await?;
    assert_eq!(out.matches("job created").count(), 3, "{out}");
    for name in ["payroll-archive", "payroll-reporting", "payroll-ledger"] {
        b.wait_job(name, "delete", "COMPLETED", 30).await?;
    }
    assert_eq!(sim.count(POST_JOBS).await? - before, 3);
    b.screenshot("flow-12-bulk-done").await?;
    b.close().await
}
