//! Issue 7's features in the browser: deep links with Back/Forward, the remembered page size,
//! the keyboard-only flow and its shortcuts, the job detail panel, exports, the live region,
//! tab-title counts and notifications while hidden, themes, and the README screenshots.
use std::time::{Duration, Instant};

use e2e::{login, Browser, Locator, Sim};
use serde_json::{json, Value};

async fn url(b: &Browser) -> e2e::Result<String> {
    Ok(b.client.current_url().await?.to_string())
}

async fn wait_until(b: &Browser, js: &str, what: &str, secs: u64) -> e2e::Result {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if b.eval(js).await? == json!(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn active_id(b: &Browser) -> e2e::Result<String> {
    let v = b
        .eval(
            "const a = document.activeElement; return a ? (a.id || a.className || a.tagName) : '';",
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_string())
}

/// Types `k` as real key presses on whatever has focus (WebDriver actions, so the page's
/// keydown handlers run exactly as for a person).
async fn press(b: &Browser, k: &str) -> e2e::Result {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut seq = KeyActions::new("keyboard".to_string());
    for c in k.chars() {
        seq = seq
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
    }
    b.client.perform_actions(seq).await?;
    Ok(())
}

/// Presses keys on whatever has focus.
async fn keys(b: &Browser, k: &str) -> e2e::Result {
    let el = b.client.active_element().await?;
    el.send_keys(k).await?;
    Ok(())
}

/// Tabs forward until `done` (JS returning true) holds; at most `max` presses.
async fn tab_until(b: &Browser, done: &str, max: usize) -> e2e::Result {
    for _ in 0..max {
        if b.eval(done).await? == json!(true) {
            return Ok(());
        }
        keys(b, "\u{E004}").await?; // Tab
    }
    Err(format!("never reached focus target after {max} Tabs: {done}").into())
}

async fn select_value(b: &Browser, css: &str, value: &str) -> e2e::Result {
    b.wait_for(css, 10).await?.select_by_value(value).await?;
    Ok(())
}

#[tokio::test]
async fn deep_links_back_forward_and_remembered_page_size() -> e2e::Result {
    let sim = Sim::start(&["--keys", "150"])?;
    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;

    select_value(&b, "#filter-state", "present").await?;
    wait_until(
        &b,
        "return location.search.includes('state=present');",
        "state in the URL",
        10,
    )
    .await?;
    b.click(".col-updated button.sort").await?;
    wait_until(
        &b,
        "return location.search.includes('sort=updated');",
        "sort in the URL",
        10,
    )
    .await?;
    select_value(&b, "#page-size", "10").await?;
    wait_until(
        &b,
        "return location.search.includes('size=10');",
        "page size in the URL",
        10,
    )
    .await?;
    b.click("#page-next").await?;
    wait_until(
        &b,
        "return location.search.includes('page=2');",
        "page in the URL",
        10,
    )
    .await?;
    b.wait_text("#range-label", "11–20 of", 10).await?;
    let link = url(&b).await?;

    // Back: page 1 again; Forward: page 2 again.
    b.client.back().await?;
    b.wait_text("#range-label", "1–10 of", 10).await?;
    assert!(!url(&b).await?.contains("page=2"));
    b.client.forward().await?;
    b.wait_text("#range-label", "11–20 of", 10).await?;

    // The pasted link opens the same view in a fresh browser (a colleague's).
    let other = Browser::start().await?;
    other.goto(&link).await?;
    login(&other, "admin", "admin").await?;
    other.wait_text("#range-label", "11–20 of", 20).await?;
    assert_eq!(
        other
            .eval("return document.querySelector('#filter-state').value;")
            .await?,
        json!("present")
    );
    assert_eq!(
        other
            .eval("return document.querySelector('.col-updated').getAttribute('aria-sort');")
            .await?,
        json!("ascending")
    );
    let states = other.eval("return [...document.querySelectorAll('.keys-table .col-state')].slice(1).map(e => e.textContent);").await?;
    assert!(
        states.as_array().is_some_and(|a| !a.is_empty()
            && a.iter()
                .all(|s| !s.as_str().unwrap_or("").contains("Deleted"))),
        "{states}"
    );
    other.close().await?;

    // The page size is remembered for a plain URL.
    b.goto(&format!("{}/", sim.base)).await?;
    b.wait_text("#range-label", "1–10 of", 20).await?;
    assert_eq!(
        b.eval("return document.querySelector('#page-size').value;")
            .await?,
        json!("10")
    );
    b.close().await
}

#[tokio::test]
async fn keyboard_flow_detail_panel_exports_and_live_region() -> e2e::Result {
    let sim = Sim::start(&["--keys", "60", "--job-ms", "1500"])?;
    let downloads = tempfile::tempdir()?;
    let dir = downloads.path().to_string_lossy().to_string();
    let b = Browser::start_with(|caps| {
        caps["goog:chromeOptions"]["prefs"] = json!({
            "download.default_directory": dir,
            "download.prompt_for_download": false,
        });
    })
    .await?;
    b.goto(&format!("{}/", sim.base)).await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    b.cdp(
        "Browser.setDownloadBehavior",
        json!({"behavior": "allow", "downloadPath": downloads.path()}),
    )
    .await?;

    // "/" focuses the search; type, Enter.
    b.client.find(Locator::Css("body")).await?.click().await?;
    press(&b, "/").await?;
    assert_eq!(active_id(&b).await?, "key-search");
    keys(&b, "payroll-master\u{E007}").await?;
    b.wait_row("payroll-master", 15).await?;
    // Tab to the row's checkbox, Space ticks it.
    tab_until(&b, "return document.activeElement.classList.contains('row-check') && document.activeElement.closest('tr').querySelector('.key-name').textContent === 'payroll-master';", 40).await?;
    keys(&b, " ").await?;
    b.wait_text("#selected-count", "1 key selected", 5).await?;
    tab_until(&b, "return document.activeElement.id === 'review';", 40).await?;
    keys(&b, "\u{E007}").await?;
    b.wait_for("#confirm-dialog", 5).await?;
    assert_eq!(
        active_id(&b).await?,
        "confirm-input",
        "focus moves into the dialog"
    );
    // Tab and Shift+Tab stay inside the dialog.
    for _ in 0..7 {
        keys(&b, "\u{E004}").await?;
        assert_eq!(
            b.eval("return !!document.activeElement.closest('#confirm-dialog');")
                .await?,
            json!(true),
            "focus left the dialog"
        );
    }
    keys(&b, "\u{E008}\u{E004}\u{E000}").await?; // Shift+Tab, then release Shift
    assert_eq!(
        b.eval("return !!document.activeElement.closest('#confirm-dialog');")
            .await?,
        json!(true)
    );
    b.eval("document.querySelector('#confirm-input').focus();")
        .await?;
    keys(&b, "payroll-master\u{E007}").await?;
    wait_until(
        &b,
        "const c = document.querySelector('#confirm-close'); return !!c && !c.disabled;",
        "the outcome",
        20,
    )
    .await?;
    tab_until(
        &b,
        "return document.activeElement.id === 'confirm-close';",
        10,
    )
    .await?;
    keys(&b, "\u{E007}").await?;
    let done = b
        .wait_job("payroll-master", "delete", "COMPLETED", 20)
        .await?;
    assert!(done.contains("succeeded"));
    b.wait_text("#live-region", "payroll-master: delete completed", 10)
        .await?;
    // Times are in the browser's locale and time zone.
    let local = e2e::ledger::stored_picks(
        &b,
        "'started ' + new Date(e.created_ms).toLocaleString(navigator.language)",
    )
    .await?
    .first()
    .cloned()
    .unwrap_or_default();
    let meta = b.text("#job-list .job .job-meta").await?;
    assert!(
        meta.contains(local.as_str().unwrap_or("-")),
        "{meta} / {local}"
    );

    // Detail panel from the keyboard: its URL, timeline, key, raw JSON and curl.
    tab_until(
        &b,
        "return document.activeElement.classList.contains('job-open');",
        80,
    )
    .await?;
    keys(&b, "\u{E007}").await?;
    b.wait_for("#job-detail", 5).await?;
    assert!(
        url(&b).await?.contains("job="),
        "the opened job is in the URL"
    );
    let timeline = b.text("#job-timeline").await?;
    assert!(
        timeline.contains("posted") && timeline.contains("COMPLETED"),
        "{timeline}"
    );
    b.wait_text("#job-key", "Deleted from SAP", 10).await?;
    let raw = b.text("#job-raw").await?;
    assert!(
        raw.contains("\"cckm_key_id\"") && raw.contains("COMPLETED"),
        "{raw}"
    );
    let curl = b.text("#job-curl").await?;
    assert!(
        curl.contains("$TOKEN") && curl.contains("/api/v1/cckm/sap/keys/jobs"),
        "{curl}"
    );
    let token = b
        .eval("return JSON.parse(sessionStorage.getItem('cckm-sap-session')).jwt;")
        .await?;
    assert!(
        !curl.contains(token.as_str().unwrap_or("-")),
        "no token in the curl text"
    );
    b.screenshot("features-detail").await?;
    keys(&b, "\u{E00C}").await?; // Escape
    wait_until(
        &b,
        "return !document.querySelector('#job-detail') && !location.search.includes('job=');",
        "the panel to close",
        5,
    )
    .await?;

    // Exports land as files.
    b.click("#export-json").await?;
    b.click("#export-csv").await?;
    let deadline = Instant::now() + Duration::from_secs(15);
    let (json_file, csv_file) = loop {
        let names: Vec<_> = std::fs::read_dir(downloads.path())?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect();
        let j = names
            .iter()
            .find(|p| p.extension().is_some_and(|x| x == "json"))
            .cloned();
        let c = names
            .iter()
            .find(|p| p.extension().is_some_and(|x| x == "csv"))
            .cloned();
        // Chrome may show the file under its final name before its bytes are written.
        let written = |p: &std::path::PathBuf| std::fs::metadata(p).is_ok_and(|m| m.len() > 0);
        if let (Some(j), Some(c)) = (j, c) {
            if written(&j) && written(&c) {
                break (j, c);
            }
        }
        assert!(
            Instant::now() < deadline,
            "downloads never appeared: {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(json_file)?)?;
    assert_eq!(exported["entries"][0]["key_name"], "payroll-master");
    let csv = std::fs::read_to_string(csv_file)?;
    assert!(csv.starts_with("job_id,cckm_key_id,key_name"));
    assert!(csv.contains("\"payroll-master\"") && csv.contains("COMPLETED"));

    // "?" opens the help; shortcuts can be turned off, and then "/" does nothing. A click on a
    // heading leaves the focus on nothing (the body's centre may be a control).
    b.client
        .find(Locator::Css("#keys-title"))
        .await?
        .click()
        .await?;
    press(&b, "?").await?;
    b.wait_for("#help", 5).await?;
    b.click("#shortcuts-toggle").await?;
    b.click("#help-close").await?;
    b.client
        .find(Locator::Css("#keys-title"))
        .await?
        .click()
        .await?;
    press(&b, "/").await?;
    assert_ne!(active_id(&b).await?, "key-search");
    b.close().await
}

#[tokio::test]
async fn hidden_tab_counts_in_title_and_notifies() -> e2e::Result {
    let sim = Sim::start(&["--keys", "60", "--job-ms", "3000"])?;
    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    b.cdp(
        "Browser.grantPermissions",
        json!({"origin": sim.base, "permissions": ["notifications"]}),
    )
    .await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    let tab_a = b.client.window().await?;
    // Record the notifications this tab shows.
    b.eval("window.__notified = []; const N = window.Notification; window.Notification = class extends N { constructor(t, o) { super(t, o); window.__notified.push(o && o.body); } };").await?;
    b.search("payroll-master", "payroll-master").await?;
    b.select_row("payroll-master").await?;
    b.confirm_and_post(Some("payroll-master"), "features-hidden")
        .await?;
    // Tab A goes to the background: hidden, so it stops polling.
    let hide = "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'}); \
                Object.defineProperty(document, 'hidden', {configurable: true, get: () => true}); \
                document.dispatchEvent(new Event('visibilitychange'));";
    b.eval(hide).await?;
    // Tab B, in the same browser, shares the ledger, polls the job to its end and tells tab A.
    let tab_b = b.client.new_window(true).await?;
    b.client.switch_to_window(tab_b.handle).await?;
    b.goto(&format!("{}/", sim.base)).await?;
    login(&b, "admin", "admin").await?;
    b.wait_job("payroll-master", "delete", "COMPLETED", 20)
        .await?;
    b.client.switch_to_window(tab_a).await?;
    b.eval(hide).await?;
    wait_until(
        &b,
        "return document.title === '(1✓) SAP key jobs · CipherTrust Manager';",
        "the count in tab A's title",
        10,
    )
    .await?;
    let notified = b.eval("return window.__notified;").await?;
    assert_eq!(notified, json!(["payroll-master: delete completed"]));
    // Seen again: the count goes.
    b.eval("delete document.visibilityState; delete document.hidden; document.dispatchEvent(new Event('visibilitychange'));").await?;
    wait_until(
        &b,
        "return document.title === 'SAP key jobs · CipherTrust Manager';",
        "the title to reset",
        5,
    )
    .await?;
    b.close().await
}

#[tokio::test]
async fn themes_follow_the_system_and_the_toggle_and_screenshots() -> e2e::Result {
    let sim = Sim::start(&["--keys", "40", "--job-ms", "1500"])?;
    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    let bg = "return getComputedStyle(document.body).backgroundColor;";
    b.cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
    )
    .await?;
    assert_eq!(b.eval(bg).await?, json!("rgb(18, 22, 28)"), "system dark");
    b.cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-color-scheme", "value": "light"}]}),
    )
    .await?;
    assert_eq!(
        b.eval(bg).await?,
        json!("rgb(244, 246, 249)"),
        "system light"
    );
    b.wait_text("#theme-toggle", "Switch to dark theme", 5)
        .await?; // the other look than the system's
    b.click("#theme-toggle").await?; // dark
    b.wait_text("#theme-toggle", "Switch to light theme", 5)
        .await?; // dark now
    assert_eq!(
        b.eval(bg).await?,
        json!("rgb(18, 22, 28)"),
        "forced dark over a light system"
    );
    b.goto(&format!("{}/", sim.base)).await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    assert_eq!(
        b.eval("return document.documentElement.dataset.theme;")
            .await?,
        json!("dark"),
        "remembered"
    );

    // Screenshots for the README, dark then light: key list, confirm dialog, live job list.
    for theme in ["dark", "light"] {
        if theme == "light" {
            b.click("#theme-toggle").await?; // light
        }
        b.search("payroll-", "payroll-archive").await?;
        b.select_row("payroll-archive").await?;
        b.select_row("payroll-reporting").await?;
        b.screenshot_for_docs(&format!("keys-{theme}")).await?;
        b.click("#review").await?;
        b.wait_for("#confirm-dialog", 5).await?;
        b.screenshot_for_docs(&format!("confirm-{theme}")).await?;
        b.type_into("#confirm-input", "DELETE 2 KEYS").await?;
        b.click("#confirm-submit").await?;
        wait_until(
            &b,
            "const c = document.querySelector('#confirm-close'); return !!c && !c.disabled;",
            "the outcome",
            20,
        )
        .await?;
        b.click("#confirm-close").await?;
        b.wait_job("payroll-archive", "delete", "IN_PROGRESS", 10)
            .await
            .ok();
        b.screenshot_for_docs(&format!("jobs-{theme}")).await?;
        for n in ["payroll-archive", "payroll-reporting"] {
            b.wait_job(n, "delete", "COMPLETED", 20).await?;
        }
        if theme == "dark" {
            // Put the keys back for the light round.
            b.search("payroll-", "payroll-archive").await?;
            b.select_row("payroll-archive").await?;
            b.select_row("payroll-reporting").await?;
            b.confirm_and_post(None, "features-restore").await?;
            for n in ["payroll-archive", "payroll-reporting"] {
                b.wait_job(n, "restore", "COMPLETED", 20).await?;
            }
        }
    }
    b.close().await
}
