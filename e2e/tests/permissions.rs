//! Issue #13, users and permissions as a real manager has them: an LDAP user and a sub-domain
//! user log in and delete; `custodian` deletes over two groups and only the permitted jobs are
//! posted, the refusals are said per key and then marked in the form; `auditor` is told why it
//! cannot start a job; a refresh refused after the idle limit brings the in-place login.
use std::time::Duration;

use e2e::reliability::{ledger_entries, wait_until, LoggedSim};
use e2e::{login, login_in, Browser, Sim};
use serde_json::Value;

const REFUSED: &str =
    "not permitted: you may not delete keys of group payroll (the manager refused)";

async fn open(b: &Browser, base: &str) -> e2e::Result {
    b.goto(&format!("{base}/")).await?;
    b.wait_for("#login-username", 20).await?;
    Ok(())
}

async fn wait_keys(b: &Browser, shot: &str) -> e2e::Result {
    if let Err(e) = b.wait_for(".keys-table tbody tr", 20).await {
        b.screenshot(shot).await?;
        return Err(format!("{e}; page: {}", b.text("body").await.unwrap_or_default()).into());
    }
    Ok(())
}

/// The simulator's job counters from /sim/stats.
async fn jobs_created(sim: &Sim) -> e2e::Result<u64> {
    let s = sim.stats().await?;
    let v = &s["jobs_created"];
    Ok(v.as_u64()
        .or_else(|| v["total"].as_u64())
        .ok_or(format!("no jobs_created in {s}"))?)
}

async fn posts_refused(sim: &Sim) -> e2e::Result<u64> {
    let s = sim.stats().await?;
    Ok(s["job_posts_refused"]
        .as_u64()
        .ok_or(format!("no job_posts_refused in {s}"))?)
}

/// A key of `group` that is present in SAP, by the admin's view of the simulator.
async fn present_key_of(sim: &Sim, group: &str) -> e2e::Result<String> {
    let v = sim
        .api_get(&format!(
            "/api/v1/cckm/sap/keys?sap_group_name={group}&gone=false&limit=50&sort=name"
        ))
        .await?;
    let names: Vec<&str> = v["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["name"].as_str())
        .collect();
    // Plain names only: the demo data also holds hostile ones that are hard to type.
    let name = names
        .iter()
        .find(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .ok_or(format!("no key in {group}"))?;
    Ok(name.to_string())
}

async fn search_select(b: &Browser, name: &str) -> e2e::Result {
    b.search(name, name).await?;
    b.select_row(name).await
}

#[tokio::test]
async fn ldap_and_sub_domain_users_log_in_and_delete() -> e2e::Result {
    let sim = Sim::start(&["--keys", "80", "--job-ms", "1500"])?;
    let b = Browser::start().await?;
    open(&b, &sim.base).await?;

    // Without its connection the LDAP user is refused like a wrong password.
    login(&b, "ldap-custodian", "ldap-custodian").await?;
    b.wait_text("#login-error", "refused", 10).await?;
    b.eval("document.querySelector('#login-username').value = ''; document.querySelector('#login-password').value = ''; return true;").await?;
    login_in(&b, "ldap-custodian", "ldap-custodian", "", "", "corp-ldap").await?;
    wait_keys(&b, "perm-ldap-login").await?;
    assert_eq!(b.text("#current-user").await?, "ldap-custodian");
    assert_eq!(b.text("#current-connection").await?, "corp-ldap");
    search_select(&b, "payroll-archive").await?;
    let out = b
        .confirm_and_post(Some("payroll-archive"), "perm-ldap-delete")
        .await?;
    assert!(out.contains("job created"), "{out}");
    b.wait_job("payroll-archive", "delete", "succeeded", 20)
        .await?;
    b.screenshot("perm-ldap-done").await?;

    // The sub-domain's administrator: the form remembers the connection, so set both again.
    b.click("#logout").await?;
    b.wait_for("#login-username", 10).await?;
    let kept = b
        .eval("return document.querySelector('#login-connection').value;")
        .await?;
    assert_eq!(
        kept, "corp-ldap",
        "the sign-in source is remembered per browser"
    );
    let pw = b
        .eval("return document.querySelector('#login-password').value;")
        .await?;
    assert_eq!(pw, "", "never the password");
    login_in(&b, "eu-admin", "eu-admin", "", "", "local_account").await?;
    b.wait_text("#login-error", "refused", 10).await?;
    b.eval("document.querySelector('#login-username').value = ''; document.querySelector('#login-password').value = ''; return true;").await?;
    login_in(
        &b,
        "eu-admin",
        "eu-admin",
        "eu-payments",
        "",
        "local_account",
    )
    .await?;
    wait_keys(&b, "perm-eu-login").await?;
    assert_eq!(b.text("#current-domain").await?, "domain eu-payments");
    // Another person's ledger: the LDAP user's job is not listed here.
    let jobs = b
        .eval("return document.querySelectorAll('#job-list .job').length;")
        .await?;
    assert_eq!(jobs, 0, "eu-admin sees none of ldap-custodian's jobs");
    search_select(&b, "payroll-reporting").await?;
    let out = b
        .confirm_and_post(Some("payroll-reporting"), "perm-eu-delete")
        .await?;
    assert!(out.contains("job created"), "{out}");
    b.wait_job("payroll-reporting", "delete", "succeeded", 20)
        .await?;
    b.screenshot("perm-eu-done").await?;
    assert_eq!(jobs_created(&sim).await?, 2);

    // The root administrator working in eu-payments (auth_domain root) is a visitor there, with
    // a ledger of their own: not eu-admin's jobs.
    b.click("#logout").await?;
    b.wait_for("#login-username", 10).await?;
    login_in(&b, "admin", "admin", "eu-payments", "root", "local_account").await?;
    wait_keys(&b, "perm-visitor-login").await?;
    assert_eq!(
        b.text("#current-domain").await?,
        "domain eu-payments (home: root)"
    );
    let jobs = b
        .eval("return document.querySelectorAll('#job-list .job').length;")
        .await?;
    assert_eq!(jobs, 0, "the visitor sees none of eu-admin's jobs");
    b.screenshot("perm-visitor").await?;
    b.close().await
}

#[tokio::test]
async fn custodian_bulk_delete_over_two_groups_posts_only_the_permitted() -> e2e::Result {
    let sim = Sim::start(&["--keys", "120", "--job-ms", "1500"])?;
    // Demo ACLs: `custodian` may delete in analytics, crm, finance and hana-prod, only view payroll.
    let allowed = present_key_of(&sim, "analytics").await?;
    let b = Browser::start().await?;
    open(&b, &sim.base).await?;
    login(&b, "custodian", "custodian").await?;
    wait_keys(&b, "perm-custodian-login").await?;
    let names = [
        "payroll-master",
        "crm-disabled-01",
        allowed.as_str(),
        "payroll-archive",
        "payroll-reporting",
    ];
    for n in names {
        search_select(&b, n).await?;
    }
    assert!(b.text("#selected-count").await?.starts_with("5 keys"));
    let out = b
        .confirm_and_post(Some("DELETE 5 KEYS"), "perm-custodian-bulk")
        .await?;
    assert_eq!(out.matches("job created").count(), 2, "{out}");
    assert_eq!(
        out.matches(REFUSED).count(),
        3,
        "every payroll key says why: {out}"
    );
    assert!(
        out.contains("NCERRForbidden"),
        "the manager's error name is shown: {out}"
    );
    assert_eq!(
        jobs_created(&sim).await?,
        2,
        "exactly the permitted jobs were posted"
    );
    let refused = posts_refused(&sim).await?;
    assert!((1..=3).contains(&refused), "{refused} refused posts");
    b.wait_job("crm-disabled-01", "delete", "succeeded", 20)
        .await?;
    b.wait_job(&allowed, "delete", "succeeded", 20).await?;

    // Learned: the next payroll key is marked before anyone clicks.
    search_select(&b, "payroll-ledger").await?;
    let skipped = b.text("#skipped-list").await?;
    assert!(skipped.contains(REFUSED), "{skipped}");
    let note = b.text("#refusals-note").await?;
    assert!(note.contains("delete in group payroll"), "{note}");
    let review = b
        .eval("return document.querySelector('#review').disabled;")
        .await?;
    assert_eq!(review, true, "nothing to post");
    b.screenshot("perm-custodian-learned").await?;
    b.close().await
}

#[tokio::test]
async fn auditor_cannot_start_a_job_and_is_told_why() -> e2e::Result {
    let sim = Sim::start(&["--keys", "80", "--job-ms", "1500"])?;
    let b = Browser::start().await?;
    open(&b, &sim.base).await?;
    login(&b, "auditor", "auditor").await?;
    wait_keys(&b, "perm-auditor-login").await?;
    search_select(&b, "payroll-master").await?;
    let out = b
        .confirm_and_post(Some("payroll-master"), "perm-auditor")
        .await?;
    assert!(out.contains(REFUSED), "{out}");
    assert!(!out.contains("job created"), "{out}");
    assert_eq!(jobs_created(&sim).await?, 0);
    // Said plainly, not as a failure: no red error in the dialog's outcomes.
    search_select(&b, "payroll-master").await?;
    let note = b.text("#refusals-note").await?;
    assert!(note.contains("delete in group payroll"), "{note}");
    let bad = b
        .eval("return document.querySelectorAll('.bad, .form-error').length;")
        .await?;
    assert_eq!(bad, 0);
    b.screenshot("perm-auditor-learned").await?;
    b.close().await
}

#[tokio::test]
async fn a_refresh_refused_after_the_idle_limit_brings_the_in_place_login() -> e2e::Result {
    // A 40-s JWT is refreshed 30 s before it ends, so the refresh token idles 10 s: over the limit.
    let sim = LoggedSim::start(&[
        "--keys",
        "40",
        "--job-ms",
        "60000",
        "--token-ttl",
        "40",
        "--refresh-idle",
        "5",
    ])?;
    let b = Browser::start().await?;
    open(&b, &sim.base).await?;
    login(&b, "admin", "admin").await?;
    wait_keys(&b, "perm-idle-login").await?;
    e2e::reliability::start_job(&b, "payroll-master", "delete").await?;
    b.wait_job("payroll-master", "delete", "running", 10)
        .await?;
    let shown = || async {
        Ok((b
            .eval("return !!document.querySelector('#relogin');")
            .await?
            == Value::Bool(true))
        .then_some(()))
    };
    wait_until("the in-place login", 30, shown).await?;
    b.screenshot("perm-idle-relogin").await?;
    assert_eq!(ledger_entries(&b).await?.len(), 1, "the ledger is intact");
    b.type_into("#relogin #login-password", "admin").await?;
    b.click("#relogin #login-submit").await?;
    let gone = || async {
        Ok((b
            .eval("return !document.querySelector('#relogin');")
            .await?
            == Value::Bool(true))
        .then_some(()))
    };
    wait_until("the prompt to go", 10, gone).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.wait_job("payroll-master", "delete", "running", 10)
        .await?;
    assert_eq!(ledger_entries(&b).await?.len(), 1, "nothing lost");
    b.close().await
}
