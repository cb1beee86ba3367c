//! Transitional: the hand-written readers the stored ledger still uses (`domain/ledger.rs`), and
//! the derived readers of the api types behind the old trait. Delete once the ledger derives
//! `Deserialize` with `api::lenient`.
use serde::Deserialize;
use serde_json::Value;

use crate::api::jobs::{Job, Operation};
use crate::api::keys::SapKey;
use crate::api::lenient::Object;

/// A type read leniently from a JSON value: `None` when the value is not one (not an object,
/// or a required field missing or of the wrong type).
pub trait FromJson: Sized {
    /// What the value should have been, for the error message.
    const SHAPE: &'static str;
    fn from_json(v: Value) -> Option<Self>;
}

/// A JSON object whose fields are taken out one by one. Held as a list: a handful of fields are
/// found faster by a scan than the map's removal code weighs in the wasm (~10 KB).
pub struct Obj(Vec<(String, Value)>);

impl Obj {
    /// `None` unless `v` is an object.
    pub fn new(v: Value) -> Option<Obj> {
        match v {
            Value::Object(m) => Some(Obj(m.into_iter().collect())),
            _ => None,
        }
    }

    pub fn take(&mut self, k: &str) -> Option<Value> {
        let i = self.0.iter().position(|(name, _)| name == k)?;
        Some(self.0.swap_remove(i).1)
    }

    pub fn get(&self, k: &str) -> Option<&Value> {
        self.0.iter().find(|(name, _)| name == k).map(|(_, v)| v)
    }

    /// A field that must be a JSON string.
    pub fn req_string(&mut self, k: &str) -> Option<String> {
        match self.take(k)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A string; a number or a boolean as its text.
    pub fn opt_string(&mut self, k: &str) -> Option<String> {
        match self.take(k)? {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn string(&mut self, k: &str) -> String {
        self.opt_string(k).unwrap_or_default()
    }

    /// A string as is; any other non-null JSON value as its JSON text.
    pub fn opt_text(&mut self, k: &str) -> Option<String> {
        match self.take(k)? {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(json_text(&other)),
        }
    }

    pub fn opt_u64(&mut self, k: &str) -> Option<u64> {
        self.take(k).as_ref().and_then(value_u64)
    }

    pub fn opt_u32(&mut self, k: &str) -> Option<u32> {
        self.opt_u64(k).and_then(|n| u32::try_from(n).ok())
    }

    pub fn opt_i64(&mut self, k: &str) -> Option<i64> {
        match self.take(k)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn opt_bool(&mut self, k: &str) -> Option<bool> {
        match self.take(k)? {
            Value::Bool(b) => Some(b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    pub fn opt_f64(&mut self, k: &str) -> Option<f64> {
        match self.take(k)? {
            Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
            // serde_json's number reader, not `f64::from_str` (whose tables weigh ~15 KB).
            Value::String(s) => serde_json::from_str::<Value>(&s)
                .ok()?
                .as_f64()
                .filter(|f| f.is_finite()),
            _ => None,
        }
    }

    pub fn f64_or_zero(&mut self, k: &str) -> f64 {
        self.opt_f64(k).unwrap_or(0.0)
    }

    /// A field that is an object.
    pub fn obj(&mut self, k: &str) -> Option<Obj> {
        Obj::new(self.take(k)?)
    }
}

/// A value as compact JSON text. Not `Value`'s `Display`, whose io adapter brings std's error
/// and `Debug` machinery (and Unicode tables) into the wasm.
pub fn json_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A count: a non-negative number (a float is truncated) or a string of digits.
pub fn value_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1.8e19)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl FromJson for Operation {
    const SHAPE: &'static str = "\"delete\" or \"restore\"";
    fn from_json(v: Value) -> Option<Self> {
        Operation::deserialize(v).ok()
    }
}

impl FromJson for Job {
    const SHAPE: &'static str = "a job object with a string \"id\"";
    fn from_json(v: Value) -> Option<Self> {
        Object::<Job>::deserialize(v).ok()?.0
    }
}

impl FromJson for SapKey {
    const SHAPE: &'static str = "a key object with a string \"id\"";
    fn from_json(v: Value) -> Option<Self> {
        Object::<SapKey>::deserialize(v).ok()?.0
    }
}
