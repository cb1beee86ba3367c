//! End-to-end test support: starts `cckm-sim` serving the built page, ChromeDriver and a
//! headless Chromium session, and offers the few waits and reads the tests need.
//!
//! Paths come from the environment that `cargo xtask test` sets: `CCKM_DIST` (the built page),
//! `CCKM_SIM_BIN` (the simulator binary), `CHROMEDRIVER` and `CHROMIUM`.
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use fantoccini::{Client, Locator};
use serde_json::{json, Value};
pub mod ledger;
pub mod nginx;

pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn env_path(name: &str) -> Result<PathBuf> {
    std::env::var_os(name).map(PathBuf::from).ok_or_else(|| {
        format!("{name} is not set: run the end-to-end tests with `cargo xtask test`").into()
    })
}

/// axe-core's script (`AXE_JS`, which `cargo xtask test` installs into `.tools/`).
pub fn axe_source() -> Result<String> {
    let path = env_path("AXE_JS")?;
    Ok(std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?)
}

/// Where screenshots go: `e2e/artifacts/`.
pub fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Starts `$CCKM_SIM_BIN --addr ADDR --static $CCKM_DIST --control ARGS`, its stderr (the request
/// log) going to `stderr`, and waits for its `cckm-sim listening on URL` line.
pub fn spawn_sim(addr: &str, args: &[String], stderr: Stdio) -> Result<(Child, String)> {
    let bin = env_path("CCKM_SIM_BIN")?;
    let dist = env_path("CCKM_DIST")?;
    let mut child = Command::new(bin)
        .arg("--addr")
        .arg(addr)
        .arg("--static")
        .arg(dist)
        .arg("--control")
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()?;
    let out = child.stdout.take().ok_or("no stdout from cckm-sim")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out)
            .lines()
            .map_while(std::result::Result::ok)
        {
            if let Some(url) = line.strip_prefix("cckm-sim listening on ") {
                let _ = tx.send(url.trim().to_string());
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(base) => Ok((child, base)),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            Err("cckm-sim did not start listening".into())
        }
    }
}

/// The simulator's HTTP side, for checks made beside the page: `/sim/*` and the API itself.
#[derive(Clone, Debug)]
pub struct SimApi {
    pub base: String,
}

/// A running simulator; killed on drop. Its HTTP helpers come from [`SimApi`].
pub struct Sim {
    child: Child,
    api: SimApi,
    pub args: Vec<String>,
}

impl std::ops::Deref for Sim {
    type Target = SimApi;
    fn deref(&self) -> &SimApi {
        &self.api
    }
}

impl Sim {
    /// Starts the simulator on a free port with `--static $CCKM_DIST --control` and `args`.
    pub fn start(args: &[&str]) -> Result<Sim> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Self::start_at("127.0.0.1:0", args)
    }

    pub fn start_at(addr: &str, args: Vec<String>) -> Result<Sim> {
        let (child, base) = spawn_sim(addr, &args, Stdio::null())?;
        Ok(Sim {
            child,
            api: SimApi { base },
            args,
        })
    }

    /// The port it listens on, so it can be started again on the same one.
    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SimApi {
    pub async fn stats(&self) -> Result<Value> {
        Ok(reqwest::get(format!("{}/sim/stats", self.base))
            .await?
            .json()
            .await?)
    }

    /// Count of requests to one route pattern, e.g. `POST /api/v1/cckm/sap/keys/jobs`.
    pub async fn count(&self, route: &str) -> Result<u64> {
        Ok(self.stats().await?["requests"][route].as_u64().unwrap_or(0))
    }

    pub async fn set_faults(&self, faults: Value) -> Result {
        let r = reqwest::Client::new()
            .put(format!("{}/sim/faults", self.base))
            .json(&faults)
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("PUT /sim/faults: {}", r.status()).into());
        }
        Ok(())
    }

    /// Logs in through the API (not the page) and returns a bearer token, for checks.
    pub async fn token(&self) -> Result<String> {
        let v: Value = reqwest::Client::new()
            .post(format!("{}/api/v1/auth/tokens", self.base))
            .json(&json!({"grant_type": "password", "username": "admin", "password": "admin"}))
            .send()
            .await?
            .json()
            .await?;
        Ok(v["jwt"].as_str().ok_or("no jwt")?.to_string())
    }

    /// GET an API path with a fresh token.
    pub async fn api_get(&self, path: &str) -> Result<Value> {
        let token = self.token().await?;
        Ok(reqwest::Client::new()
            .get(format!("{}{}", self.base, path))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?)
    }

    /// The first key whose name is exactly `name`.
    pub async fn key_by_name(&self, name: &str) -> Result<Value> {
        let page = self
            .api_get(&format!(
                "/api/v1/cckm/sap/keys?limit=100&name={}",
                urlencode(name)
            ))
            .await?;
        page["resources"]
            .as_array()
            .and_then(|r| r.iter().find(|k| k["name"] == name).cloned())
            .ok_or_else(|| format!("no key named {name}").into())
    }

    pub async fn max_in_flight(&self, route: &str) -> Result<u64> {
        Ok(self.stats().await?["max_in_flight"][route]
            .as_u64()
            .unwrap_or(0))
    }

    /// Forgets every refresh token (`POST /sim/revoke-tokens`).
    pub async fn revoke_tokens(&self) -> Result {
        let r = reqwest::Client::new()
            .post(format!("{}/sim/revoke-tokens", self.base))
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("POST /sim/revoke-tokens: {}", r.status()).into());
        }
        Ok(())
    }

    /// One job as the manager reports it.
    pub async fn job(&self, id: &str) -> Result<Value> {
        self.api_get(&format!("/api/v1/cckm/sap/keys/jobs/{id}"))
            .await
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.kill();
    }
}

/// ChromeDriver plus one headless Chromium session with a fresh profile; closed on drop.
pub struct Browser {
    driver: Child,
    pub client: Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Lets a script run for up to 300 s (axe-core over a whole page at CPU 1× takes tens of
    /// seconds on this machine), page loads 60 s.
    /// axe-core's serious and critical violations on the page as it is, each as
    /// "id [impact] help: targets" (`rules`: axe's rule options as a JS object literal, e.g.
    /// `{ 'target-size': { enabled: true } }`, or `{}`). axe is injected on first use.
    pub async fn axe_blocking(&self, rules: &str) -> Result<Vec<String>> {
        if self.eval("return typeof window.axe === 'object';").await? != json!(true) {
            self.client.execute(&axe_source()?, vec![]).await?;
        }
        let script = format!(
            "const done = arguments[arguments.length - 1];
             window.axe.run(document, {{ resultTypes: ['violations'], rules: {rules} }})
               .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => `${{v.id}} [${{v.impact}}] ${{v.help}}: ${{v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(', ')}}`)))
               .catch(e => done(['axe failed: ' + e]));"
        );
        let out = self.client.execute_async(&script, vec![]).await?;
        Ok(out
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn allow_long_scripts(&self) -> Result {
        self.client
            .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                Some(Duration::from_secs(60)),
                Some(Duration::from_secs(300)),
                Some(Duration::ZERO),
            ))
            .await?;
        Ok(())
    }

    pub async fn start() -> Result<Browser> {
        Self::start_with(|_| {}).await
    }

    /// Starts with extra capabilities, e.g. download preferences: `tweak` edits the capability
    /// object before the session is created.
    pub async fn start_with(tweak: impl FnOnce(&mut Value)) -> Result<Browser> {
        let driver_bin = env_path("CHROMEDRIVER")?;
        let chromium = env_path("CHROMIUM")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        // Its own process group: dropping the Browser kills ChromeDriver and every Chromium
        // process it started, even when a test fails before closing the session.
        let driver = Command::new(driver_bin)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if start.elapsed() > Duration::from_secs(20) {
                return Err("chromedriver did not start".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir()?;
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic", "--window-size=1440,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        });
        let mut caps = caps;
        // `CCKM_CHROME_ARGS`: more Chromium arguments, space-separated (e.g. `--trace-startup=…` to
        // trace a bench run).
        if let (Ok(extra), Some(args)) = (
            std::env::var("CCKM_CHROME_ARGS"),
            caps["goog:chromeOptions"]["args"].as_array_mut(),
        ) {
            args.extend(extra.split_whitespace().map(Value::from));
        }
        tweak(&mut caps);
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!("literal object"),
        };
        let client = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await?;
        Ok(Browser {
            driver,
            client,
            _profile: profile,
        })
    }

    pub async fn goto(&self, url: &str) -> Result {
        Ok(self.client.goto(url).await?)
    }

    /// Waits up to `secs` for an element matching `css`.
    pub async fn wait_for(&self, css: &str, secs: u64) -> Result<fantoccini::elements::Element> {
        Ok(self
            .client
            .wait()
            .at_most(Duration::from_secs(secs))
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| format!("waiting for `{css}`: {e}"))?)
    }

    /// Waits until the text of the first `css` element contains `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str, secs: u64) -> Result<String> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut last = String::new();
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if let Ok(t) = el.text().await {
                    if t.contains(needle) {
                        return Ok(t);
                    }
                    last = t;
                }
            }
            if Instant::now() > deadline {
                return Err(format!("`{css}` never showed {needle:?}; last text: {last:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.client.find(Locator::Css(css)).await?.text().await?)
    }

    pub async fn click(&self, css: &str) -> Result {
        Ok(self.wait_for(css, 10).await?.click().await?)
    }

    pub async fn type_into(&self, css: &str, text: &str) -> Result {
        Ok(self.wait_for(css, 10).await?.send_keys(text).await?)
    }

    /// A screenshot kept as a test artifact, and copied into docs/screenshots when asked to
    /// (`CCKM_UPDATE_SCREENSHOTS=1`), which is how the README's pictures are made.
    pub async fn screenshot_for_docs(&self, name: &str) -> Result {
        let path = self.screenshot(name).await?;
        if std::env::var_os("CCKM_UPDATE_SCREENSHOTS").is_some() {
            let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
            std::fs::create_dir_all(&docs)?;
            std::fs::copy(&path, docs.join(format!("{name}.png")))?;
        }
        Ok(())
    }

    /// Screenshots for the docs in the light and the dark system theme, as `{prefix}-light` and
    /// `{prefix}-dark`, scrolled to the top; the theme is given back to the browser afterwards.
    pub async fn screenshots_in_both_themes(&self, prefix: &str) -> Result {
        for theme in ["light", "dark"] {
            self.cdp(
                "Emulation.setEmulatedMedia",
                json!({"features": [{"name": "prefers-color-scheme", "value": theme}]}),
            )
            .await?;
            self.eval("window.scrollTo(0, 0);").await?;
            self.screenshot_for_docs(&format!("{prefix}-{theme}"))
                .await?;
        }
        self.cdp("Emulation.setEmulatedMedia", json!({"features": []}))
            .await?;
        Ok(())
    }

    /// A Chrome DevTools Protocol command, sent through ChromeDriver (`goog/cdp/execute`).
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        Ok(self
            .client
            .issue_cmd(Cdp(json!({"cmd": cmd, "params": params})))
            .await?)
    }

    pub async fn eval(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Saves a PNG screenshot as `e2e/artifacts/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let path = artifacts().join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Browser console entries (ChromeDriver's log endpoint), drained.
    pub async fn console(&self) -> Result<Vec<Value>> {
        let v = self.client.issue_cmd(ConsoleLog).await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    pub async fn close(self) -> Result {
        let _ = self.client.clone().close().await;
        Ok(())
    }
}

/// `POST /session/{id}/se/log {"type":"browser"}`: ChromeDriver's console log.
#[derive(Debug)]
struct ConsoleLog;

impl fantoccini::wd::WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or("")))
    }
    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(r#"{"type":"browser"}"#.to_string()),
        )
    }
}

/// ChromeDriver's `goog/cdp/execute` command, which fantoccini does not name.
#[derive(Debug)]
struct Cdp(Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or("")
        ))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.0.to_string()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Logs in through the page's form.
pub async fn login(b: &Browser, user: &str, password: &str) -> Result {
    fill_login(b, user, password).await?;
    b.click("#login-submit").await?;
    Ok(())
}

/// Logs in through the page's form into `domain` ("" for root) as a user of `home` ("" for the
/// same domain) through `connection`, typed under the "Domain and sign-in source" disclosure.
pub async fn login_in(
    b: &Browser,
    user: &str,
    password: &str,
    domain: &str,
    home: &str,
    connection: &str,
) -> Result {
    fill_login(b, user, password).await?;
    b.eval("document.querySelector('#login-more').open = true;")
        .await?;
    for (css, text) in [
        ("#login-domain", domain),
        ("#login-auth-domain", home),
        ("#login-connection", connection),
    ] {
        b.client
            .execute("const i = document.querySelector(arguments[0]); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true}));", vec![json!(css)])
            .await?;
        if !text.is_empty() {
            b.type_into(css, text).await?;
        }
    }
    b.click("#login-submit").await?;
    Ok(())
}

/// Types the login form's fields without sending it.
pub async fn fill_login(b: &Browser, user: &str, password: &str) -> Result {
    b.type_into("#login-username", user).await?;
    b.type_into("#login-password", password).await?;
    Ok(())
}

impl Browser {
    /// Types a search and waits until the table shows a row named exactly `name`.
    pub async fn search(&self, text: &str, name: &str) -> Result {
        let input = self.wait_for("#key-search", 10).await?;
        // WebDriver's clear() fires no input event; empty the box the way typing would.
        self.eval("const i = document.querySelector('#key-search'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true}));")
            .await?;
        input.send_keys(text).await?;
        input.send_keys("\u{E007}").await?; // Enter: search now
        self.wait_row(name, 15).await
    }

    /// Waits until the key table shows a row whose name is exactly `name`.
    pub async fn wait_row(&self, name: &str, secs: u64) -> Result {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let found = self
                .client
                .execute(
                    "return [...document.querySelectorAll('.keys-table tbody tr .key-name')].some(e => e.textContent === arguments[0]);",
                    vec![json!(name)],
                )
                .await?;
            if found == json!(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                self.screenshot(&format!("no-row-{safe}")).await?;
                let search = self
                    .eval("return document.querySelector('#key-search').value;")
                    .await?;
                return Err(
                    format!("no row named {name:?} appeared (search box: {search})").into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ticks the checkbox of the row named exactly `name`.
    pub async fn select_row(&self, name: &str) -> Result {
        let ok = self
            .client
            .execute(
                "const r = [...document.querySelectorAll('.keys-table tbody tr')].find(tr => tr.querySelector('.key-name').textContent === arguments[0]);
                 if (!r) return false; const c = r.querySelector('.row-check'); if (!c.checked) c.click(); return true;",
                vec![json!(name)],
            )
            .await?;
        if ok != json!(true) {
            return Err(format!("no row named {name:?} to select").into());
        }
        Ok(())
    }

    /// The state column's text for the row named `name`.
    pub async fn row_state(&self, name: &str) -> Result<String> {
        let v = self
            .client
            .execute(
                "const r = [...document.querySelectorAll('.keys-table tbody tr')].find(tr => tr.querySelector('.key-name').textContent === arguments[0]);
                 return r ? r.querySelector('.col-state').textContent : null;",
                vec![json!(name)],
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// Waits until the job list has a job for `key_name` of `op` whose text contains `needle`.
    pub async fn wait_job(
        &self,
        key_name: &str,
        op: &str,
        needle: &str,
        secs: u64,
    ) -> Result<String> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut last = String::new();
        loop {
            let v = self
                .client
                .execute(
                    "return [...document.querySelectorAll('#job-list .job')]
                        .filter(li => li.querySelector('.job-key').textContent === arguments[0] && li.querySelector('.job-op').textContent === arguments[1])
                        .map(li => li.innerText);",
                    vec![json!(key_name), json!(op)],
                )
                .await?;
            if let Some(texts) = v.as_array() {
                for t in texts.iter().filter_map(Value::as_str) {
                    if t.contains(needle) {
                        return Ok(t.to_string());
                    }
                    last = t.to_string();
                }
            }
            if Instant::now() > deadline {
                return Err(
                    format!("job {op} {key_name} never showed {needle:?}; last: {last:?}").into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Opens the confirmation for the chosen operation, types what it asks, confirms, waits for
    /// every outcome and closes it. Returns the dialog's text after the outcomes.
    pub async fn confirm_and_post(&self, phrase: Option<&str>, shot: &str) -> Result<String> {
        self.click("#review").await?;
        self.wait_for("#confirm-dialog", 10).await?;
        self.post_confirmation(phrase, shot).await
    }

    /// In the open confirmation: types what it asks, confirms, waits for every outcome and
    /// closes it. Returns the dialog's text after the outcomes.
    pub async fn post_confirmation(&self, phrase: Option<&str>, shot: &str) -> Result<String> {
        if let Some(p) = phrase {
            self.type_into("#confirm-input", p).await?;
        }
        self.screenshot(&format!("{shot}-confirm")).await?;
        self.click("#confirm-submit").await?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let enabled = self.eval("const b = document.querySelector('#confirm-close'); return !!b && !b.disabled;").await?;
            if enabled == json!(true) {
                break;
            }
            if Instant::now() > deadline {
                self.screenshot(&format!("{shot}-stuck")).await?;
                let text = self.text("#confirm-dialog").await.unwrap_or_default();
                return Err(format!("the posting never finished: {text}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let text = self.text("#confirm-dialog").await?;
        self.screenshot(&format!("{shot}-outcome")).await?;
        self.click("#confirm-close").await?;
        Ok(text)
    }
}
pub mod reliability;
