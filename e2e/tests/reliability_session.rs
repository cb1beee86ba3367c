//! Issue #6, sessions and secrets: the JWT expires while jobs poll (silent refreshes, then a
//! refused refresh, the in-place login, polling resumes); the token lives in memory and
//! sessionStorage only and never shows in the ledger, a URL, the DOM, the console or the
//! simulator's log; logging out clears it and stops polling, the ledger stays.
use std::time::Duration;

use e2e::reliability::{
    console_problems, dom_text, ledger_entries, open_and_login, start_job, storage_dump,
    wait_until, LoggedSim, GET_JOB, TOKENS,
};
use e2e::{login, Browser};
use serde_json::Value;

async fn relogin_shown(b: &Browser) -> e2e::Result<bool> {
    Ok(b.eval("return !!document.querySelector('#relogin');")
        .await?
        == Value::Bool(true))
}

#[tokio::test]
async fn jwt_expiry_while_polling_refresh_then_login_again() -> e2e::Result {
    let sim = LoggedSim::start(&["--keys", "40", "--job-ms", "40000", "--token-ttl", "5"])?;
    let b = Browser::start().await?;
    open_and_login(&b, &sim.base).await?;
    start_job(&b, "payroll-master", "delete").await?;
    let tokens0 = sim.count(TOKENS).await?;
    let polls0 = sim.count(GET_JOB).await?;

    // 12 s, more than two token lifetimes: silent refreshes, polling goes on, no prompt.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let refreshes = sim.count(TOKENS).await? - tokens0;
    let polls = sim.count(GET_JOB).await? - polls0;
    println!("in 12 s with a 5 s JWT: {refreshes} refreshes, {polls} polls");
    assert!(refreshes >= 2, "the JWT was refreshed silently");
    assert!(polls >= 2, "polling went on");
    assert!(
        !relogin_shown(&b).await?,
        "no login prompt while refreshes work"
    );
    b.wait_job("payroll-master", "delete", "running", 5).await?;

    // The manager refuses the refresh token: the page asks for the password, in place.
    sim.revoke_tokens().await?;
    wait_until("the login prompt", 20, || async {
        Ok(relogin_shown(&b).await?.then_some(()))
    })
    .await?;
    b.screenshot("reliability-relogin").await?;
    assert_eq!(ledger_entries(&b).await?.len(), 1, "the ledger is kept");
    let polls_at_prompt = sim.count(GET_JOB).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        sim.count(GET_JOB).await? <= polls_at_prompt + 1,
        "nothing is sent while the session is gone"
    );
    b.type_into("#relogin #login-password", "admin").await?;
    b.click("#relogin #login-submit").await?;
    wait_until("the prompt to go", 10, || async {
        Ok((!relogin_shown(&b).await?).then_some(()))
    })
    .await?;
    wait_until("polling to resume", 20, || async {
        Ok((sim.count(GET_JOB).await? > polls_at_prompt + 1).then_some(()))
    })
    .await?;
    b.wait_job("payroll-master", "delete", "running", 5).await?;
    assert_eq!(ledger_entries(&b).await?.len(), 1, "nothing lost");
    let problems = console_problems(&b, &["401", "Unauthorized"]).await?;
    assert!(
        problems.iter().all(|p| !p.contains("panicked")),
        "{problems:?}"
    );
    b.close().await
}

#[tokio::test]
async fn no_secret_in_storage_urls_dom_console_or_log_and_logout_stops_polling() -> e2e::Result {
    let password = "Pa55-w0rd-7f3a9c";
    let sim = LoggedSim::start(&["--keys", "40", "--job-ms", "30000", "--password", password])?;
    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    b.wait_for("#login-username", 20).await?;
    // A wrong password first: its error must not echo it either.
    login(&b, "admin", "wrong-Pa55-guess").await?;
    b.wait_text("#login-error", "refused", 10).await?;
    // The user name typed stays after a refusal (it used to be wiped by the re-render).
    let typed = b
        .eval("return document.querySelector('#login-username').value;")
        .await?;
    assert_eq!(
        typed, "admin",
        "the user name was kept after a refused password"
    );
    b.eval("document.querySelector('#login-password').value = ''; return true;")
        .await?;
    b.type_into("#login-password", password).await?;
    b.click("#login-submit").await?;
    if let Err(e) = b.wait_for(".keys-table tbody tr", 20).await {
        b.screenshot("reliability-secrets-login").await?;
        return Err(format!("{e}; page: {}", b.text("body").await?).into());
    }
    start_job(&b, "payroll-master", "delete").await?;
    // Let a refresh-free while of polling pass, and one forced error for good measure.
    b.wait_job("payroll-master", "delete", "running", 10)
        .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let storage = storage_dump(&b).await?;
    let session: Value = storage
        .iter()
        .find(|(area, k, _)| area == "session" && k == "cckm-sap-session")
        .map(|(_, _, v)| serde_json::from_str(v))
        .transpose()?
        .ok_or("no session in sessionStorage")?;
    let jwt = session["jwt"].as_str().ok_or("no jwt")?.to_string();
    let refresh = session["refresh_token"]
        .as_str()
        .ok_or("no refresh token")?
        .to_string();
    let secrets = [
        ("jwt", jwt.as_str()),
        ("refresh token", refresh.as_str()),
        ("password", password),
        ("wrong password", "wrong-Pa55-guess"),
    ];

    for (area, key, value) in &storage {
        for (what, s) in &secrets {
            let allowed = area == "session"
                && key == "cckm-sap-session"
                && (*what == "jwt" || *what == "refresh token");
            assert!(
                allowed || !value.contains(s),
                "the {what} is in {area}Storage[{key}]"
            );
        }
        assert!(
            area == "session" || !key.contains("session"),
            "the session went to localStorage: {key}"
        );
    }
    let ledger = ledger_entries(&b).await?;
    assert_eq!(ledger.len(), 1);
    let url = b.client.current_url().await?.to_string();
    let dom = dom_text(&b).await?;
    let console: Vec<String> = b.console().await?.iter().map(|e| e.to_string()).collect();
    let log = sim.log_text();
    assert!(
        log.contains("POST /api/v1/auth/tokens"),
        "the log is captured"
    );
    for (what, s) in &secrets {
        assert!(!url.contains(s), "the {what} is in the URL");
        assert!(!dom.contains(s), "the {what} is in the DOM");
        assert!(
            !console.iter().any(|l| l.contains(s)),
            "the {what} is in the console"
        );
        assert!(!log.contains(s), "the {what} is in the simulator's log");
        assert!(
            !serde_json::to_string(&ledger)?.contains(s),
            "the {what} is in the ledger"
        );
    }

    // Log out: token gone from sessionStorage, polling stops, the ledger stays.
    b.click("#logout").await?;
    b.wait_for("#login-username", 10).await?;
    let storage = storage_dump(&b).await?;
    assert!(
        !storage
            .iter()
            .any(|(_, _, v)| v.contains(&jwt) || v.contains(&refresh)),
        "the token survived logout: {storage:?}"
    );
    let polls = sim.count(GET_JOB).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        sim.count(GET_JOB).await?,
        polls,
        "polling stopped at logout"
    );
    assert_eq!(
        ledger_entries(&b).await?.len(),
        1,
        "the ledger stays after logout"
    );
    // The old token still works at the manager only until it expires; the page no longer holds it.
    let held = b.eval("return JSON.stringify(Object.assign({}, sessionStorage)) + JSON.stringify(Object.assign({}, localStorage));").await?;
    assert!(!held.as_str().unwrap_or("").contains(&jwt));
    b.close().await
}
