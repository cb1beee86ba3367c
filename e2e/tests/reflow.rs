//! Reflow (WCAG 2.2 AA 1.4.10 Reflow, 1.4.4 Resize text, 2.5.8 Target size): the page at 320 ×
//! 640, 390 × 844, 768 × 1024, 1280 × 800 (and that screen at 200 % zoom: 640 × 400 CSS px) and
//! 1920 × 1080. At each: the document does not scroll sideways, no cell of the key list is clipped
//! or spills into its neighbour, every key name of the first page can be read in full (wrapped, or
//! shown whole while its row has focus), every control is at least 24 × 24 CSS px, and axe-core
//! (with its `target-size` rule on) finds nothing serious or critical. At 390 × 844 the whole
//! flow runs; at 320 the confirmation lists every key and its typed confirmation fits; a raised
//! minimum font size breaks nothing. Screenshots at 390 and 1920, light and dark, go to
//! `e2e/artifacts/` and, with `CCKM_UPDATE_SCREENSHOTS=1`, to `docs/screenshots/` for the README.
use std::time::{Duration, Instant};

use e2e::{login, Browser, Locator, Sim};
use serde_json::{json, Value};

/// Width, height and what the size stands for.
const SIZES: [(u32, u32, &str); 8] = [
    (320, 640, "the narrowest phone (WCAG 1.4.10)"),
    (390, 844, "a phone"),
    (640, 400, "1280 × 800 at 200 % zoom"),
    (768, 1024, "a tablet"),
    (1024, 768, "a small laptop"),
    (1280, 800, "a laptop"),
    (1440, 900, "a wide laptop"),
    (1920, 1080, "a desktop"),
];

/// Makes the viewport (`innerWidth` × `innerHeight`) exactly `w` × `h`: the window is sized through
/// WebDriver, corrected by the difference between window and viewport; if the window cannot get
/// that small, DevTools' device metrics override does it.
async fn set_viewport(b: &Browser, w: u32, h: u32) -> e2e::Result {
    let inner = || async {
        b.eval("return [window.innerWidth, window.innerHeight];")
            .await
    };
    b.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
        .await?;
    b.client.set_window_size(w, h).await?;
    let got = inner().await?;
    let (iw, ih) = (got[0].as_i64().unwrap_or(0), got[1].as_i64().unwrap_or(0));
    if (iw, ih) != (i64::from(w), i64::from(h)) {
        let (ow, oh) = b.client.get_window_size().await?;
        let fix = |outer: u64, want: u32, have: i64| {
            (outer as i64 + i64::from(want) - have).max(1) as u32
        };
        b.client
            .set_window_size(fix(ow, w, iw), fix(oh, h, ih))
            .await?;
    }
    if inner().await? != json!([w, h]) {
        b.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": w, "height": h, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await?;
    }
    let got = inner().await?;
    assert_eq!(
        got,
        json!([w, h]),
        "the viewport could not be made {w} × {h}"
    );
    // Two frames: layout and the container queries settle.
    b.client
        .execute_async(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await?;
    Ok(())
}

/// Layout problems on the page as it is now: sideways scrolling, clipped or spilling boxes in
/// the key list and the dialogs, controls smaller than 24 × 24.
const LAYOUT_JS: &str = r#"
const out = [];
const de = document.documentElement;
if (de.scrollWidth > de.clientWidth) out.push(`the document scrolls sideways: ${de.scrollWidth} > ${de.clientWidth}`);
const visible = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
const label = e => e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + [...e.classList].join('.') + ' ' + (e.textContent || '').trim().slice(0, 40);
// Nothing scrolls or is cut sideways (a <pre> of raw JSON may scroll: data that cannot wrap).
for (const e of document.querySelectorAll('body *')) {
  if (!visible(e) || e.closest('pre, .sr-only') || e.clientWidth <= 1) continue;
  const s = getComputedStyle(e);
  if (s.overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1 && s.display !== 'inline') out.push(`${label(e)} scrolls or is cut sideways (${e.scrollWidth} > ${e.clientWidth})`);
}
// No cell of the key list or the confirmation spills into the next one.
for (const c of document.querySelectorAll('.keys-table th, .keys-table td, .confirm-list td')) {
  if (visible(c) && c.scrollWidth > c.clientWidth + 1) out.push(`${label(c)} spills over (${c.scrollWidth} > ${c.clientWidth})`);
}
// Every control is at least 24 x 24 CSS px (WCAG 2.5.8 without the spacing exception).
for (const e of document.querySelectorAll('button, input, select, summary, a[href]')) {
  if (!visible(e) || e.closest('.sr-only')) continue;
  const r = e.getBoundingClientRect();
  if (r.width < 23.5 || r.height < 23.5) out.push(`${label(e)} is ${r.width.toFixed(1)} x ${r.height.toFixed(1)}`);
  if (r.right > de.clientWidth + 1 || r.left < -1) out.push(`${label(e)} is outside the window (${r.left.toFixed(0)}..${r.right.toFixed(0)})`);
}
return out;
"#;

/// Key names of the page that cannot be read in full, even with their row focused.
const NAMES_JS: &str = r#"
const cut = e => getComputedStyle(e).display !== 'inline' && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1);
const wrap = document.querySelector('.table-wrap').getBoundingClientRect();
const unreadable = (n, td) => {
  const r = n.getBoundingClientRect();
  return cut(n) || cut(td) || r.left < wrap.left - 1 || r.right > wrap.right + 1 || r.right > document.documentElement.clientWidth + 1;
};
const out = []; let clamped = 0;
for (const tr of document.querySelectorAll('.keys-table tbody tr')) {
  const n = tr.querySelector('.key-name'), td = n.closest('td');
  if (!unreadable(n, td)) continue;
  clamped++;
  tr.querySelector('.row-check').focus();
  if (unreadable(n, td)) out.push(n.textContent.slice(0, 60));
  document.activeElement.blur();
}
return { rows: document.querySelectorAll('.keys-table tbody tr').length, clamped, unreadable: out };
"#;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

async fn wait_until(b: &Browser, js: &str, what: &str, secs: u64) -> e2e::Result {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while b.eval(js).await? != json!(true) {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Layout, names and (with `axe`) axe-core, `target-size` switched on, at the current size;
/// problems as report lines.
async fn check_here(b: &Browser, what: &str, axe: bool) -> e2e::Result<Vec<String>> {
    let mut problems: Vec<String> = strings(&b.eval(LAYOUT_JS).await?)
        .into_iter()
        .map(|p| format!("{what}: {p}"))
        .collect();
    if b.client
        .find(Locator::Css(".keys-table tbody tr"))
        .await
        .is_ok()
    {
        let names = b.eval(NAMES_JS).await?;
        println!(
            "{what}: {} rows, {} names shown whole only on focus",
            names["rows"], names["clamped"]
        );
        problems.extend(
            strings(&names["unreadable"])
                .into_iter()
                .map(|n| format!("{what}: the name {n:?} cannot be read in full")),
        );
    }
    if axe {
        problems.extend(
            b.axe_blocking("{ 'target-size': { enabled: true } }")
                .await?
                .into_iter()
                .map(|v| format!("{what}: axe: {v}")),
        );
    }
    Ok(problems)
}

#[tokio::test]
async fn every_width_reflows_with_readable_names_and_no_serious_axe_violation() -> e2e::Result {
    let sim = Sim::start(&["--keys", "80", "--job-ms", "1500"])?;
    let b = Browser::start().await?;
    b.allow_long_scripts().await?;
    let mut problems = Vec::new();
    b.goto(&format!("{}/", sim.base)).await?;
    b.wait_for("#login-username", 20).await?;
    for (w, h, _) in SIZES {
        set_viewport(&b, w, h).await?;
        problems.extend(check_here(&b, &format!("login at {w}×{h}"), w == 320).await?);
        if w == 320 {
            b.screenshot("reflow-login-320x640").await?;
        }
    }
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    // One page of all 80 keys: the hostile names and the 500-character one among them.
    b.wait_for("#page-size", 10)
        .await?
        .select_by_value("100")
        .await?;
    b.wait_text("#range-label", "1–80 of 80", 10).await?;
    for (w, h, what) in SIZES {
        set_viewport(&b, w, h).await?;
        let found = check_here(&b, &format!("keys at {w}×{h} ({what})"), true).await?;
        println!("keys at {w}×{h}: {} problem(s)", found.len());
        b.screenshot(&format!("reflow-keys-{w}x{h}")).await?;
        problems.extend(found);
    }
    // Cards below the breakpoint, the table above it; the sort and select-all work as cards.
    set_viewport(&b, 320, 640).await?;
    let mode = "return getComputedStyle(document.querySelector('.keys-table tbody tr')).display;";
    assert_eq!(b.eval(mode).await?, json!("grid"), "key cards at 320 px");
    b.click(".keys-table th.col-group button.sort").await?;
    wait_until(
        &b,
        "return location.search.includes('sort=group');",
        "the sort by group from a card's sort button",
        10,
    )
    .await?;
    b.click("#select-page").await?;
    b.wait_text("#selection-bar-count", "80 keys selected", 5)
        .await?;
    b.click("#select-page").await?;
    set_viewport(&b, 1920, 1080).await?;
    assert_eq!(
        b.eval(mode).await?,
        json!("table-row"),
        "a table at 1920 px"
    );
    b.close().await?;
    assert!(
        problems.is_empty(),
        "reflow problems:\n{}",
        problems.join("\n")
    );
    Ok(())
}

#[tokio::test]
async fn at_390_the_whole_flow_works_and_the_screenshots_are_taken() -> e2e::Result {
    let sim = Sim::start(&["--keys", "80", "--job-ms", "1500"])?;
    let b = Browser::start().await?;
    set_viewport(&b, 390, 844).await?;
    b.goto(&format!("{}/", sim.base)).await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    b.search("payroll-", "payroll-archive").await?;
    // Real clicks, on a card scrolled to the middle as a person would: WebDriver refuses to
    // click a box that something else covers.
    for name in ["payroll-archive", "payroll-reporting"] {
        let id = b
            .client
            .execute(
                "const r = [...document.querySelectorAll('.keys-table tbody tr')].find(tr => tr.querySelector('.key-name').textContent === arguments[0]);
                 if (!r) return null; r.querySelector('.row-check').scrollIntoView({block: 'center'}); return r.dataset.id;",
                vec![json!(name)],
            )
            .await?;
        let id = id.as_str().ok_or(format!("no card for {name}"))?;
        b.click(&format!("tr[data-id='{id}'] .row-check")).await?;
    }
    // Tabbing through the cards, the focused box is never under the sticky bar (WCAG 2.4.11).
    b.eval("document.querySelector('#key-search').focus();")
        .await?;
    for _ in 0..12 {
        b.client
            .active_element()
            .await?
            .send_keys("\u{E004}")
            .await?;
        let hidden = b
            .eval("const a = document.activeElement, r = a.getBoundingClientRect();
                   const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                   return top === a || a.contains(top) ? null : (a.id || a.getAttribute('aria-label') || a.tagName) + ' is under ' + (top ? top.id || top.className : 'nothing');")
            .await?;
        assert_eq!(hidden, Value::Null, "a focused control is obscured");
    }
    b.wait_text("#selection-bar-count", "2 keys selected", 5)
        .await?;
    b.wait_text("#selected-count", "2 keys selected", 5).await?;
    b.screenshots_in_both_themes("reflow-390").await?;
    // The bar leads to the form: focus lands on the operation, the form is in view.
    b.click("#selection-bar-go").await?;
    wait_until(
        &b,
        "return !!document.activeElement.closest('#job-form');",
        "focus in the form",
        5,
    )
    .await?;
    let in_view = b.eval("const r = document.querySelector('#job-form').getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight;").await?;
    assert_eq!(in_view, json!(true), "the form is scrolled into view");
    b.click("#review").await?;
    b.wait_for("#confirm-dialog", 10).await?;
    let title = b.text("#confirm-title").await?;
    assert_eq!(title, "Delete 2 keys from SAP?");
    b.type_into("#confirm-input", "DELETE 2 KEYS").await?;
    let fits = b.eval(LAYOUT_JS).await?;
    assert_eq!(fits, json!([]), "the confirmation at 390 px");
    b.screenshot("reflow-390-confirm").await?;
    b.click("#confirm-submit").await?;
    wait_until(
        &b,
        "const c = document.querySelector('#confirm-close'); return !!c && !c.disabled;",
        "the outcome",
        20,
    )
    .await?;
    let out = b.text("#confirm-dialog").await?;
    assert_eq!(out.matches("job created").count(), 2, "{out}");
    b.click("#confirm-close").await?;
    for n in ["payroll-archive", "payroll-reporting"] {
        let done = b.wait_job(n, "delete", "COMPLETED", 30).await?;
        assert!(done.contains("succeeded"), "{done}");
    }
    assert_eq!(sim.key_by_name("payroll-archive").await?["gone"], true);
    let counts = b.text(".jobs-head .muted").await?;
    assert_eq!(counts, "2 jobs, 2 finished");
    b.client.find(Locator::Css("#job-list")).await?;
    b.screenshot("reflow-390-jobs").await?;
    // A job's detail panel fits too (its raw JSON may scroll inside its own box).
    b.click("#job-list .job .job-open").await?;
    b.wait_for("#job-detail", 10).await?;
    b.wait_text("#job-key", "Deleted from SAP", 10).await?;
    assert_eq!(
        b.eval(LAYOUT_JS).await?,
        json!([]),
        "the job detail at 390 px"
    );
    b.screenshot("reflow-390-detail").await?;
    b.click("#detail-close").await?;
    assert_eq!(
        b.eval(LAYOUT_JS).await?,
        json!([]),
        "the job list at 390 px"
    );

    // 1920 wide: the table, the form beside it, light and dark.
    set_viewport(&b, 1920, 1080).await?;
    b.search("payroll-", "payroll-master").await?;
    b.select_row("payroll-master").await?;
    b.select_row("payroll-ledger").await?;
    b.eval("document.activeElement.blur();").await?;
    b.screenshots_in_both_themes("reflow-1920").await?;
    b.close().await
}

#[tokio::test]
async fn at_320_the_confirmation_lists_every_key_and_the_typed_phrase_fits() -> e2e::Result {
    let sim = Sim::start(&["--keys", "80"])?;
    let b = Browser::start().await?;
    set_viewport(&b, 320, 640).await?;
    b.goto(&format!("{}/", sim.base)).await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    // The 500-character name and two ordinary ones.
    let long: String = "very-long-key-name-".repeat(30).chars().take(500).collect();
    b.search("very-long", &long).await?;
    b.select_row(&long).await?;
    b.search("payroll-", "payroll-archive").await?;
    b.select_row("payroll-archive").await?;
    b.select_row("payroll-master").await?;
    b.click("#selection-bar-go").await?;
    b.click("#review").await?;
    b.wait_for("#confirm-input", 10).await?;
    b.type_into("#confirm-input", "DELETE 3 KEYS").await?;
    let listed = b
        .eval("return [...document.querySelectorAll('.confirm-list tbody .confirm-name')].map(e => e.textContent);")
        .await?;
    let mut listed = strings(&listed);
    listed.sort();
    let mut want = vec![
        long.clone(),
        "payroll-archive".to_string(),
        "payroll-master".to_string(),
    ];
    want.sort();
    assert_eq!(listed, want, "every key is listed, in full");
    let geometry = b
        .eval(
            "const m = document.querySelector('#confirm-dialog').getBoundingClientRect();
             const i = document.querySelector('#confirm-input').getBoundingClientRect();
             const s = document.querySelector('#confirm-submit').getBoundingClientRect();
             return { modal: [m.left, m.right], input: [i.left, i.right, i.width], submit: [s.left, s.right], win: innerWidth };",
        )
        .await?;
    let n = |p: &str| {
        geometry
            .pointer(p)
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN)
    };
    assert!(
        n("/modal/0") >= 0.0 && n("/modal/1") <= n("/win"),
        "the dialog fits the window: {geometry}"
    );
    assert!(
        n("/input/0") >= n("/modal/0") && n("/input/1") <= n("/modal/1") && n("/input/2") >= 200.0,
        "the typed confirmation fits: {geometry}"
    );
    assert!(
        n("/submit/1") <= n("/modal/1"),
        "the confirm button fits: {geometry}"
    );
    assert_eq!(
        b.eval(LAYOUT_JS).await?,
        json!([]),
        "the confirmation at 320 px"
    );
    assert_eq!(
        b.eval("return !document.querySelector('#confirm-submit').disabled;")
            .await?,
        json!(true)
    );
    b.screenshot("reflow-320-confirm").await?;
    b.click("#confirm-cancel").await?;
    b.click("#help-open").await?;
    b.wait_for("#help", 5).await?;
    assert_eq!(
        b.eval(LAYOUT_JS).await?,
        json!([]),
        "the keyboard help at 320 px"
    );
    b.click("#help-close").await?;
    b.close().await
}

#[tokio::test]
async fn a_raised_minimum_font_size_keeps_every_control_usable() -> e2e::Result {
    let sim = Sim::start(&["--keys", "80"])?;
    let b = Browser::start_with(|caps| {
        caps["goog:chromeOptions"]["prefs"] =
            json!({"webkit": {"webprefs": {"minimum_font_size": 24}}})
    })
    .await?;
    b.goto(&format!("{}/", sim.base)).await?;
    login(&b, "admin", "admin").await?;
    b.wait_for(".keys-table tbody tr", 20).await?;
    let small = b
        .eval(
            "return parseFloat(getComputedStyle(document.querySelector('.col-updated')).fontSize);",
        )
        .await?;
    assert!(
        small.as_f64().unwrap_or(0.0) >= 24.0,
        "the minimum font size is in force: {small}"
    );
    let mut problems = Vec::new();
    for (w, h) in [(390, 844), (1280, 800)] {
        set_viewport(&b, w, h).await?;
        problems.extend(check_here(&b, &format!("24 px minimum font at {w}×{h}"), false).await?);
        b.screenshot(&format!("reflow-minfont-{w}x{h}")).await?;
    }
    b.close().await?;
    assert!(
        problems.is_empty(),
        "with a 24 px minimum font size:\n{}",
        problems.join("\n")
    );
    Ok(())
}
