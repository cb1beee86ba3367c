//! JSON text into derived types and back. In the browser the text is parsed by `JSON.parse` and
//! read by serde-wasm-bindgen, and written by serde-wasm-bindgen and `JSON.stringify`, so no JSON
//! parser or printer of our own ships in the wasm; natively (tests, tools) serde_json does both.
use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

#[cfg(not(target_arch = "wasm32"))]
use crate::api::lenient::JsonObject;
#[cfg(not(target_arch = "wasm32"))]
use crate::api::text::excerpt;

/// Why a body could not be read as the expected JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Not JSON at all; holds a short, sanitized excerpt of the body.
    NotJson(String),
    /// JSON that stops early (or an empty body): most likely a cut connection.
    Truncated,
    /// JSON, but not the expected shape; holds the reader's message.
    WrongShape(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotJson(x) if x.is_empty() => write!(f, "it is not JSON"),
            DecodeError::NotJson(x) => write!(f, "it is not JSON (\"{x}\")"),
            DecodeError::Truncated => write!(f, "it was cut short"),
            DecodeError::WrongShape(m) => write!(f, "it has an unexpected shape ({m})"),
        }
    }
}

/// Parses a body that must be one JSON object, read as `T`.
#[cfg(not(target_arch = "wasm32"))]
pub fn parse_json<T: DeserializeOwned>(body: &str) -> Result<T, DecodeError> {
    parse::<JsonObject<T>>(body)?
        .0
        .ok_or_else(|| DecodeError::WrongShape("expected a JSON object".into()))
}

/// Parses a body that must be one JSON object, read as `T`. The browser says whether it is an
/// object, so serde-wasm-bindgen reads it by `T`'s field names (3 KB less on the wire than a
/// visitor per type that asks the value what it is).
#[cfg(target_arch = "wasm32")]
pub fn parse_json<T: DeserializeOwned>(body: &str) -> Result<T, DecodeError> {
    let v = js_object(body)?;
    serde_wasm_bindgen::from_value(v).map_err(wrong_shape)
}

#[cfg(target_arch = "wasm32")]
#[inline(never)]
fn js_object(body: &str) -> Result<wasm_bindgen::JsValue, DecodeError> {
    let v = js_parse(body)?;
    if v.is_object() && !js_sys::Array::is_array(&v) {
        Ok(v)
    } else {
        Err(DecodeError::WrongShape("expected a JSON object".into()))
    }
}

/// Parses a body as any JSON value.
pub fn parse_value(body: &str) -> Result<Value, DecodeError> {
    parse(body)
}

/// A value as compact JSON text (`None` only if it cannot be JSON).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    write(value, false)
}

/// A value as JSON text indented by two spaces, for people to read.
pub fn to_json_pretty<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    write(value, true)
}

#[cfg(not(target_arch = "wasm32"))]
fn parse<T: DeserializeOwned>(body: &str) -> Result<T, DecodeError> {
    use serde_json::error::Category;
    serde_json::from_str(body).map_err(|e| match e.classify() {
        Category::Eof => DecodeError::Truncated,
        Category::Data => DecodeError::WrongShape(e.to_string()),
        Category::Syntax | Category::Io => DecodeError::NotJson(excerpt(body, 200)),
    })
}

#[cfg(not(target_arch = "wasm32"))]
fn write<T: Serialize + ?Sized>(value: &T, pretty: bool) -> Option<String> {
    if pretty {
        serde_json::to_string_pretty(value).ok()
    } else {
        serde_json::to_string(value).ok()
    }
}

#[cfg(target_arch = "wasm32")]
fn parse<T: DeserializeOwned>(body: &str) -> Result<T, DecodeError> {
    serde_wasm_bindgen::from_value(js_parse(body)?).map_err(wrong_shape)
}

/// The part of [`parse`] that does not depend on `T`, kept out of its copies.
#[cfg(target_arch = "wasm32")]
#[inline(never)]
fn js_parse(body: &str) -> Result<wasm_bindgen::JsValue, DecodeError> {
    js_sys::JSON::parse(body).map_err(|_| {
        if cut_short(body) {
            DecodeError::Truncated
        } else {
            DecodeError::NotJson(crate::api::text::excerpt(body, 200))
        }
    })
}

#[cfg(target_arch = "wasm32")]
#[inline(never)]
fn wrong_shape(e: serde_wasm_bindgen::Error) -> DecodeError {
    let m = e.to_string();
    DecodeError::WrongShape(m.strip_prefix("Error: ").unwrap_or(&m).to_string())
}

#[cfg(target_arch = "wasm32")]
fn write<T: Serialize + ?Sized>(value: &T, pretty: bool) -> Option<String> {
    let v = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()?;
    let text = if pretty {
        js_sys::JSON::stringify_with_replacer_and_space(
            &v,
            &wasm_bindgen::JsValue::NULL,
            &wasm_bindgen::JsValue::from(2),
        )
    } else {
        js_sys::JSON::stringify(&v)
    };
    text.ok()?.as_string()
}

/// Whether text that `JSON.parse` refused looks like the start of a JSON object or array (or is
/// empty): a string or a bracket still open at the end. The browser's error messages differ from
/// one engine to the next, so the text is looked at instead.
#[cfg(any(target_arch = "wasm32", test))]
fn cut_short(body: &str) -> bool {
    let t = body.trim_start();
    if t.is_empty() {
        return true;
    }
    if !t.starts_with(['{', '[']) {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0i64, false, false);
    for c in t.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth -= 1;
                if depth <= 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    in_string || depth > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"{"skip":0,"limit":10,"total":1,"resources":[{"id":"a\"}{","n":[1,2.5,true,null]}],"messages":["w"]}"#;

    #[test]
    fn a_cut_body_is_told_from_one_that_is_not_json() {
        // Every cut of a real answer is what serde_json calls the end of the input too.
        for n in 0..LIST.len() {
            let cut = &LIST[..n];
            assert!(cut_short(cut), "{cut}");
            assert_eq!(parse_value(cut), Err(DecodeError::Truncated), "{cut}");
        }
        assert!(!cut_short(LIST));
        for not_json in ["<html>{", "nope", "{\"a\":1}}", "]", "{}x", "  tru"] {
            assert!(!cut_short(not_json), "{not_json}");
        }
        assert!(cut_short("  \n"));
    }

    #[test]
    fn three_ways_to_fail() {
        assert_eq!(parse_json::<Value>(""), Err(DecodeError::Truncated));
        assert!(matches!(
            parse_json::<Value>("<html>"),
            Err(DecodeError::NotJson(x)) if x == "<html>"
        ));
        assert!(matches!(
            parse_json::<Value>("[1]"),
            Err(DecodeError::WrongShape(_))
        ));
        assert!(matches!(
            parse_json::<u8>(r#"{"a":1}"#),
            Err(DecodeError::WrongShape(_))
        ));
        assert_eq!(parse_value("[1]"), Ok(serde_json::json!([1])));
    }

    #[test]
    fn not_json_excerpt_is_short_and_clean() {
        let body = format!("<html>\u{0}\u{7}{}</html>", "x".repeat(5000));
        match parse_value(&body) {
            Err(DecodeError::NotJson(x)) => {
                assert!(x.chars().count() <= 200);
                assert!(!x.chars().any(char::is_control));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decode_error_display() {
        assert_eq!(DecodeError::Truncated.to_string(), "it was cut short");
        assert_eq!(
            DecodeError::NotJson(String::new()).to_string(),
            "it is not JSON"
        );
        assert!(DecodeError::WrongShape("m".into())
            .to_string()
            .contains("(m)"));
    }
}
