//! Helpers of the reliability tests (issue #6, `e2e/tests/reliability_*.rs`): a simulator whose
//! log goes to a file and that can be killed and started again on the same port, the page's
//! storage, console problems, dialogs, and bounded waits.
use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{Browser, Result};

pub const POST_JOBS: &str = "POST /api/v1/cckm/sap/keys/jobs";
pub const LIST_KEYS: &str = "GET /api/v1/cckm/sap/keys";
pub const GET_JOB: &str = "GET /api/v1/cckm/sap/keys/jobs/{id}";
pub const GET_KEY: &str = "GET /api/v1/cckm/sap/keys/{id}";
pub const TOKENS: &str = "POST /api/v1/auth/tokens";

/// A simulator like [`crate::Sim`] (`--static $CCKM_DIST --control`), with its stderr (the request
/// log) in a file, so a test can search the log. Killed on drop.
pub struct LoggedSim {
    child: Child,
    api: crate::SimApi,
    pub args: Vec<String>,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl LoggedSim {
    pub fn start(args: &[&str]) -> Result<LoggedSim> {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("sim.log");
        Self::spawn(
            "127.0.0.1:0",
            args.iter().map(|s| s.to_string()).collect(),
            log,
            dir,
        )
    }

    fn spawn(
        addr: &str,
        args: Vec<String>,
        log: PathBuf,
        dir: tempfile::TempDir,
    ) -> Result<LoggedSim> {
        let err = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
        let (child, base) = crate::spawn_sim(addr, &args, Stdio::from(err))?;
        Ok(LoggedSim {
            child,
            api: crate::SimApi { base },
            args,
            log,
            _dir: dir,
        })
    }

    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    /// Kills the process (SIGKILL: no clean shutdown), like a crash of the manager.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills it, waits `down`, and starts it again on the same port with `args` (same log file).
    /// The port may take a moment to be free again: retried for a few seconds.
    pub async fn restart(mut self, down: Duration, args: Vec<String>) -> Result<LoggedSim> {
        self.kill();
        tokio::time::sleep(down).await;
        let addr = self.addr();
        let log = self.log.clone();
        let dir = tempfile::tempdir()?;
        // Keep the old log: move it into the new directory.
        let new_log = dir.path().join("sim.log");
        std::fs::copy(&log, &new_log)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match Self::spawn(&addr, args.clone(), new_log.clone(), tempfile::tempdir()?) {
                Ok(mut s) => {
                    s._dir = dir;
                    return Ok(s);
                }
                Err(e) if Instant::now() > deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    /// The simulator's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Every `GET` the simulator answered so far, as (path, status), from its log.
    pub fn gets(&self) -> Vec<(String, u16)> {
        self.log_text()
            .lines()
            .filter_map(|l| {
                let mut words = l.split_whitespace().skip_while(|w| *w != "GET").skip(1);
                Some((words.next()?.to_string(), words.next()?.parse().ok()?))
            })
            .collect()
    }
}

impl std::ops::Deref for LoggedSim {
    type Target = crate::SimApi;
    fn deref(&self) -> &crate::SimApi {
        &self.api
    }
}

impl Drop for LoggedSim {
    fn drop(&mut self) {
        self.kill();
    }
}

pub use crate::urlencode;

/// Polls `f` every 100 ms until it returns `Some`, for at most `secs`.
pub async fn wait_until<T, F, Fut>(what: &str, secs: u64, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await? {
            return Ok(v);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out after {secs} s waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens the page and logs in as admin; waits for the key table.
pub async fn open_and_login(b: &Browser, base: &str) -> Result {
    b.goto(&format!("{base}/")).await?;
    b.wait_for("#login-username", 20).await?;
    crate::login(b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    Ok(())
}

/// Searches `name`, selects it, chooses delete, opens the confirmation and types the phrase,
/// leaving the post to the caller.
pub async fn review_delete(b: &Browser, name: &str) -> Result {
    search(b, name, name).await?;
    b.select_row(name).await?;
    b.click("#op-delete").await?;
    b.click("#review").await?;
    b.type_into("#confirm-input", name).await
}

/// Searches `name`, selects it, chooses `op` and posts with the confirmation it needs.
pub async fn start_job(b: &Browser, name: &str, op: &str) -> Result<String> {
    search(b, name, name).await?;
    b.select_row(name).await?;
    if op == "restore" {
        b.click("#op-restore").await?;
    } else {
        b.click("#op-delete").await?;
    }
    let phrase = if op == "delete" { Some(name) } else { None };
    b.confirm_and_post(
        phrase,
        &format!(
            "rel-{op}-{}",
            name.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
        ),
    )
    .await
}

/// The ledger as stored (every ledger of this origin, IndexedDB or localStorage, as one array of
/// entries).
pub async fn ledger_entries(b: &Browser) -> Result<Vec<Value>> {
    crate::ledger::stored_entries(b).await
}

/// Every value in localStorage and sessionStorage, as `(area, key, value)`.
pub async fn storage_dump(b: &Browser) -> Result<Vec<(String, String, String)>> {
    let v = b
        .eval(
            "const out = []; for (const [n, s] of [['local', localStorage], ['session', sessionStorage]]) {
               for (let i = 0; i < s.length; i++) { const k = s.key(i); out.push([n, k, s.getItem(k)]); } } return out;",
        )
        .await?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    let t = t.as_array()?;
                    Some((
                        t[0].as_str()?.to_string(),
                        t[1].as_str()?.to_string(),
                        t[2].as_str().unwrap_or("").to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default())
}

/// The jobs of the job list as `(key name, op, raw state, badge text, whole text)`.
pub async fn job_rows(b: &Browser) -> Result<Vec<(String, String, String, String, String)>> {
    let v = b
        .eval(
            "return [...document.querySelectorAll('#job-list .job')].map(li => [
               li.querySelector('.job-key')?.textContent ?? '', li.querySelector('.job-op')?.textContent ?? '',
               li.querySelector('.job-state')?.textContent ?? '', li.querySelector('.badge')?.textContent ?? '', li.innerText]);",
        )
        .await?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    let r = r.as_array()?;
                    let s = |i: usize| r[i].as_str().unwrap_or("").to_string();
                    Some((s(0), s(1), s(2), s(3), s(4)))
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Console entries that mean something went wrong: errors (SEVERE), CSP violations, panics,
/// uncaught exceptions. `allow` lists substrings of expected errors (e.g. failed fetches while
/// the manager is down).
pub async fn console_problems(b: &Browser, allow: &[&str]) -> Result<Vec<String>> {
    let entries = b.console().await?;
    Ok(entries
        .iter()
        .filter_map(|e| {
            let level = e["level"].as_str().unwrap_or("");
            let msg = e["message"].as_str().unwrap_or("").to_string();
            let bad = level == "SEVERE"
                || msg.contains("Content Security Policy")
                || msg.contains("panicked")
                || msg.contains("Uncaught");
            (bad && !allow.iter().any(|a| msg.contains(a))).then_some(msg)
        })
        .collect())
}

/// The text of an open `alert`/`confirm`/`prompt`, if one is open (and dismisses it).
pub async fn open_dialog(b: &Browser) -> Option<String> {
    match b.client.get_alert_text().await {
        Ok(t) => {
            let _ = b.client.dismiss_alert().await;
            Some(t)
        }
        Err(_) => None,
    }
}

/// Makes `window.alert`, `confirm`, `prompt` and `eval`-like sinks record calls in
/// `window.__calls` (the page never calls them; an injected script would).
pub async fn trap_sinks(b: &Browser) -> Result {
    b.eval(
        "window.__calls = window.__calls || [];
         for (const n of ['alert', 'confirm', 'prompt', 'print']) { const o = window[n]; window[n] = function (...a) { window.__calls.push(n + ':' + a.join(',')); }; }
         return true;",
    )
    .await?;
    Ok(())
}

pub async fn trapped_calls(b: &Browser) -> Result<Vec<String>> {
    let v = b.eval("return window.__calls || [];").await?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

/// The page's whole text and HTML (attributes included), for searching secrets.
pub async fn dom_text(b: &Browser) -> Result<String> {
    let v = b.eval("return document.documentElement.outerHTML + '\\n' + document.body.innerText + '\\n' + location.href;").await?;
    Ok(v.as_str().unwrap_or("").to_string())
}

/// Job ids the page's ledger holds, with their stored phase.
pub async fn ledger_ids(b: &Browser) -> Result<Vec<(String, String)>> {
    Ok(ledger_entries(b)
        .await?
        .iter()
        .map(|e| {
            (
                e["job_id"].as_str().unwrap_or("").to_string(),
                e["phase"].to_string(),
            )
        })
        .collect())
}

/// Empties the search box the way typing does: sets the value and fires an `input` event, so the
/// page's state follows (WebDriver's `clear()` fires no `input` event, and a re-render of the
/// controlled field then brings the old text back; Ctrl+A may be taken by the page's shortcuts).
pub async fn clear_search(b: &Browser) -> Result<fantoccini::elements::Element> {
    let input = b.wait_for("#key-search", 10).await?;
    for _ in 0..5 {
        b.eval("const i = document.querySelector('#key-search'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); return true;")
            .await?;
        // Past the page's search debounce (250 ms): the emptied text is now the page's own.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let v = b
            .eval("return document.querySelector('#key-search').value;")
            .await?;
        if v == json!("") {
            return Ok(input);
        }
        eprintln!("note: the search box went back to {v} after being emptied");
    }
    Err("the search box could not be emptied".into())
}

/// Like [`Browser::search`], emptying the box with [`clear_search`] first.
pub async fn search(b: &Browser, text: &str, name: &str) -> Result {
    let input = clear_search(b).await?;
    input.send_keys(&format!("{text}\u{E007}")).await?;
    b.wait_row(name, 15).await
}

/// Waits until the stored ledger (saved at most about a second after a change) satisfies `ok`.
pub async fn wait_stored<F: Fn(&[Value]) -> bool>(
    b: &Browser,
    what: &str,
    secs: u64,
    ok: F,
) -> Result<Vec<Value>> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let entries = ledger_entries(b).await?;
        if ok(&entries) {
            return Ok(entries);
        }
        if Instant::now() > deadline {
            return Err(format!("the stored ledger never showed {what}: {entries:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
