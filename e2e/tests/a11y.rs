//! Accessibility: axe-core (the npm package `cargo xtask test` installs into `.tools/`, path in
//! `AXE_JS`) checks the page in each state a custodian sees: the login form, the key list, the
//! confirmation dialog and the job list (also in the dark theme). No violation of impact "serious" or "critical" may remain;
//! every violation found is printed with its rule, impact, help and first targets.
//!
//! axe is injected with WebDriver's execute: ChromeDriver runs it through DevTools, outside the
//! page's CSP (which forbids eval and inline scripts), so the page's real headers stay on.
use std::time::Duration;

use e2e::{axe_source, login, Browser, Sim};
use serde_json::{json, Value};

/// One violation, as printed.
struct Violation {
    id: String,
    impact: String,
    help: String,
    targets: Vec<String>,
    nodes: usize,
    summary: String,
}

impl Violation {
    fn blocking(&self) -> bool {
        self.impact == "serious" || self.impact == "critical"
    }
}

/// Injects axe (once per document) and runs it on the whole page.
async fn axe_run(b: &Browser, source: &str) -> e2e::Result<Vec<Violation>> {
    let present = b
        .eval("return typeof window.axe === 'object' && typeof window.axe.run === 'function';")
        .await?;
    if present != json!(true) {
        b.client.execute(source, vec![]).await?;
        let present = b
            .eval("return typeof window.axe === 'object' && typeof window.axe.run === 'function';")
            .await?;
        if present != json!(true) {
            return Err("axe-core did not load into the page".into());
        }
    }
    let out = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.axe.run(document, { resultTypes: ['violations'] })
               .then(r => done({ violations: r.violations.map(v => ({
                   id: v.id, impact: v.impact, help: v.help,
                   targets: v.nodes.map(n => n.target.join(' ')),
                   summary: v.nodes.length ? (v.nodes[0].failureSummary || '') : '' })) }))
               .catch(e => done({ error: String(e && e.stack || e) }));",
            vec![],
        )
        .await?;
    if let Some(e) = out.get("error") {
        return Err(format!("axe.run failed: {e}").into());
    }
    let list = out["violations"].as_array().cloned().unwrap_or_default();
    Ok(list
        .iter()
        .map(|v| {
            let targets: Vec<String> = v["targets"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            Violation {
                id: v["id"].as_str().unwrap_or_default().to_string(),
                impact: v["impact"].as_str().unwrap_or("none").to_string(),
                help: v["help"].as_str().unwrap_or_default().to_string(),
                nodes: targets.len(),
                targets,
                summary: v["summary"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('\n', " | "),
            }
        })
        .collect())
}

/// Checks one state: screenshot, axe, print; returns the blocking violations as report lines.
async fn check(b: &Browser, source: &str, state: &str) -> e2e::Result<Vec<String>> {
    b.screenshot(&format!("a11y-{state}")).await?;
    let violations = axe_run(b, source).await?;
    println!("axe: {state}: {} violation(s)", violations.len());
    let mut blocking = Vec::new();
    for v in &violations {
        let first: Vec<&str> = v.targets.iter().take(4).map(String::as_str).collect();
        let line = format!(
            "{state}: {} [{}] {} ({} node(s); e.g. {}) -- {}",
            v.id,
            v.impact,
            v.help,
            v.nodes,
            first.join(", "),
            v.summary
        );
        println!("  {line}");
        if v.blocking() {
            blocking.push(line);
        }
    }
    Ok(blocking)
}

#[tokio::test]
async fn no_serious_or_critical_axe_violations() -> e2e::Result {
    let source = axe_source()?;
    let sim = Sim::start(&["--keys", "80", "--job-ms", "1500"])?;
    let b = Browser::start().await?;
    b.allow_long_scripts().await?;
    let mut blocking = Vec::new();

    b.goto(&format!("{}/", sim.base)).await?;
    b.wait_for("#login-username", 20).await?;
    blocking.extend(check(&b, &source, "login").await?);

    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    blocking.extend(check(&b, &source, "keys").await?);

    b.search("payroll-master", "payroll-master").await?;
    b.select_row("payroll-master").await?;
    b.click("#review").await?;
    b.wait_for("#confirm-dialog", 10).await?;
    b.wait_for("#confirm-input", 10).await?;
    blocking.extend(check(&b, &source, "confirm").await?);

    b.type_into("#confirm-input", "payroll-master").await?;
    b.click("#confirm-submit").await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while b
        .eval("const c = document.querySelector('#confirm-close'); return !!c && !c.disabled;")
        .await?
        != json!(true)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the posting never finished"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.click("#confirm-close").await?;
    b.wait_job("payroll-master", "delete", "COMPLETED", 30)
        .await?;
    blocking.extend(check(&b, &source, "jobs").await?);

    // The same screen in the dark theme (what the theme toggle or a dark system setting shows).
    b.eval("document.documentElement.setAttribute('data-theme', 'dark'); return true;")
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    blocking.extend(check(&b, &source, "jobs-dark").await?);

    // A batch of two, open, with its filters; then the undo's typed confirmation.
    b.eval("document.documentElement.removeAttribute('data-theme'); return true;")
        .await?;
    b.search("payroll-", "payroll-archive").await?;
    for name in ["payroll-archive", "payroll-reporting"] {
        b.select_row(name).await?;
    }
    b.confirm_and_post(Some("DELETE 2 KEYS"), "a11y-batch")
        .await?;
    for name in ["payroll-archive", "payroll-reporting"] {
        b.wait_job(name, "delete", "COMPLETED", 30).await?;
    }
    b.wait_for("#job-list li.batch .batch-undo", 10).await?;
    blocking.extend(check(&b, &source, "jobs-batch").await?);
    b.eval("document.documentElement.setAttribute('data-theme', 'dark'); return true;")
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    blocking.extend(check(&b, &source, "jobs-batch-dark").await?);
    b.click("#job-list li.batch .batch-undo").await?;
    b.wait_for("#confirm-input", 20).await?;
    blocking.extend(check(&b, &source, "undo-confirm").await?);

    b.close().await?;
    assert!(
        blocking.is_empty(),
        "serious or critical accessibility violations:\n{}",
        blocking.join("\n")
    );
    Ok(())
}
