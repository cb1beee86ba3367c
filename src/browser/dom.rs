//! Small browser services: local time, downloads, clipboard, notifications, the tab title.
use wasm_bindgen::{JsCast, JsValue};
use web_sys::NotificationPermission;

thread_local! {
    /// One formatter for the page, with `Date.toLocaleString`'s fields in the browser's locale:
    /// `toLocaleString` builds a new formatter on every call (~2 ms each, 50 of them per key page).
    static LOCAL_FORMAT: js_sys::Function = {
        let opts = js_sys::Object::new();
        for field in ["year", "month", "day", "hour", "minute", "second"] {
            let _ = js_sys::Reflect::set(&opts, &field.into(), &"numeric".into());
        }
        js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &opts).format()
    };
}

/// Runs `f` once the next frame has been painted: the animation frame comes before that frame's
/// style, layout and paint; a task queued from it runs after them.
pub(crate) fn after_paint(f: Box<dyn FnOnce()>) {
    let Some(w) = web_sys::window() else { return };
    let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
        gloo_timers::callback::Timeout::new(0, f).forget();
    });
    let _ = w.request_animation_frame(cb.unchecked_ref());
}

/// Builds the cached formatter now.
pub(crate) fn warm_up() {
    LOCAL_FORMAT.with(|_| ());
}

/// A time in the user's locale and time zone.
pub(crate) fn local_time(ms: f64) -> String {
    if !ms.is_finite() || ms <= 0.0 {
        return "—".into();
    }
    let d = js_sys::Date::new(&JsValue::from_f64(ms));
    // A time out of the Date range makes the formatter throw.
    LOCAL_FORMAT
        .with(|f| f.call1(&JsValue::NULL, &d).ok())
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "—".into())
}

/// An RFC 3339 time from the manager in the user's locale, or the text as it came.
pub(crate) fn local_rfc3339(s: &str) -> String {
    match crate::domain::time_fmt::parse_rfc3339_ms(s) {
        Some(ms) => local_time(ms),
        None => s.to_string(),
    }
}

/// Offers `text` as a file download.
pub(crate) fn download(filename: &str, mime: &str, text: &str) -> bool {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return false;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return false;
    };
    let ok = doc
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .map(|a| {
            a.set_href(&url);
            a.set_download(filename);
            a.click();
        })
        .is_some();
    let _ = web_sys::Url::revoke_object_url(&url);
    ok
}

pub(crate) fn copy_to_clipboard(text: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}

/// Writes `text` to the clipboard and waits for the browser's answer: `Err` holds why it refused
/// (no permission, a page not focused, no clipboard at all), in its own words.
pub(crate) async fn copy_text(text: &str) -> Result<(), String> {
    let w = web_sys::window().ok_or("there is no window")?;
    let clipboard = w.navigator().clipboard();
    if clipboard.is_undefined() {
        return Err("this browser offers no clipboard here (it needs HTTPS)".into());
    }
    wasm_bindgen_futures::JsFuture::from(clipboard.write_text(text))
        .await
        .map(|_| ())
        .map_err(|e| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .or_else(|| e.as_string())
                .unwrap_or_else(|| "the browser refused".into())
        })
}

pub(crate) fn set_title(title: &str) {
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        doc.set_title(title);
    }
}

/// The page's notification permission; `None` where the browser has no notifications.
pub(crate) fn notification_permission() -> Option<NotificationPermission> {
    notifications_supported().then(web_sys::Notification::permission)
}

pub(crate) fn notifications_supported() -> bool {
    web_sys::window().is_some_and(|w| {
        js_sys::Reflect::has(&w, &JsValue::from_str("Notification")).unwrap_or(false)
    })
}

/// Asks for permission; `done` gets the answer.
pub(crate) fn request_notifications(done: yew::Callback<Option<NotificationPermission>>) {
    if !notifications_supported() {
        return;
    }
    if let Ok(p) = web_sys::Notification::request_permission() {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(p).await;
            done.emit(notification_permission());
        });
    }
}

pub(crate) fn notify(title: &str, body: &str) {
    if notification_permission() == Some(NotificationPermission::Granted) {
        let opts = web_sys::NotificationOptions::new();
        opts.set_body(body);
        let _ = web_sys::Notification::new_with_options(title, &opts);
    }
}

/// The element that has focus, to give it back when a dialog closes.
pub(crate) fn active_element() -> Option<web_sys::HtmlElement> {
    web_sys::window()?
        .document()?
        .active_element()?
        .dyn_into()
        .ok()
}

pub(crate) fn focus_by_id(id: &str) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}
