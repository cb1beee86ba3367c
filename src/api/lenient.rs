//! Lenient field readers for derived `Deserialize` types, used as
//! `#[serde(default, deserialize_with = "lenient::opt")]`: a field of the wrong type reads as
//! absent instead of failing the whole value. Generic over the `Deserializer`, so the same types
//! read through serde_json natively and serde-wasm-bindgen in the browser.
//!
//! No library reads "a string, or a number as its text" or "a boolean, or the word `true`"
//! (serde_with's `DefaultOnError` only turns an error into the default), so these are small
//! visitors. They stream and always read a value to its end, even one they refuse (skipped with
//! `IgnoredAny`): an object whose fields all use them (required strings through [`string`],
//! required words through [`word`]) is left whole when it is refused, so [`Object`] and [`list`]
//! skip it without buffering. serde_with's `VecSkipError`/`DefaultOnError` do the same by
//! buffering each item in a copy of serde's `Content`; measured in the release page, that cost
//! 27 KB of serde_with code and 13 KB of `Content` before wasm-opt (≈ +9 KB brotli) for nothing
//! the visitors do not do. The one thing a refused object can leave half-read is a duplicate
//! field, which serde's derive refuses at its key: serde_json then fails the whole body; in the
//! browser `JSON.parse` has already kept the last of the two.
use std::fmt::{self, Write};
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, StringDeserializer};
use serde::de::{
    DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;

/// The `visit_*` methods of the scalars but strings (and of `null`), each reading as `$value`.
macro_rules! scalars_read_as {
    ($t:ty, $value:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<$t, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<$t, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<$t, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<$t, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<$t, E> {
            Ok($value)
        }
        fn visit_none<E>(self) -> Result<$t, E> {
            Ok($value)
        }
    };
}

/// One JSON value as a scalar reader sees it: arrays and objects are skipped, not kept.
pub enum Scalar {
    Str(String),
    Int(i64),
    Uint(u64),
    Float(f64),
    Bool(bool),
    /// `null`, an array or an object.
    Other,
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Uint(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_none<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

/// A type read leniently from one JSON scalar; `None` when the value cannot be one.
pub trait Lenient: Sized {
    fn from_scalar(s: Scalar) -> Option<Self>;
}

/// A string; a number or a boolean as its text.
impl Lenient for String {
    fn from_scalar(s: Scalar) -> Option<String> {
        match s {
            Scalar::Str(s) => Some(s),
            Scalar::Int(n) => Some(n.to_string()),
            Scalar::Uint(n) => Some(n.to_string()),
            Scalar::Float(f) => Some(float_text(f)),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Other => None,
        }
    }
}

/// A finite number's shortest text. In the wasm the browser writes it (core's float formatting
/// weighs ~11 KB), natively serde_json does; they differ only in exponents (`1e21` / `1e+21`) and
/// in a whole float (`5.0` natively, `5` in the browser, which never knew the `.0`).
#[cfg(target_arch = "wasm32")]
fn float_text(f: f64) -> String {
    js_sys::Number::from(f)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

#[cfg(not(target_arch = "wasm32"))]
fn float_text(f: f64) -> String {
    serde_json::Number::from_f64(f).map_or_else(String::new, |n| n.to_string())
}

/// A count: a non-negative number (a float is truncated) or a string of digits.
impl Lenient for u64 {
    fn from_scalar(s: Scalar) -> Option<u64> {
        match s {
            Scalar::Uint(n) => Some(n),
            Scalar::Int(n) => u64::try_from(n).ok(),
            Scalar::Float(f) => (0.0..1.8e19).contains(&f).then_some(f as u64),
            Scalar::Str(s) => s.trim().parse().ok(),
            Scalar::Bool(_) | Scalar::Other => None,
        }
    }
}

impl Lenient for u32 {
    fn from_scalar(s: Scalar) -> Option<u32> {
        u64::from_scalar(s).and_then(|n| u32::try_from(n).ok())
    }
}

/// An integral number (a float is not one) or a string of digits.
impl Lenient for i64 {
    fn from_scalar(s: Scalar) -> Option<i64> {
        match s {
            Scalar::Int(n) => Some(n),
            Scalar::Uint(n) => i64::try_from(n).ok(),
            Scalar::Str(s) => s.trim().parse().ok(),
            Scalar::Float(_) | Scalar::Bool(_) | Scalar::Other => None,
        }
    }
}

/// A finite number, or a string holding a JSON number.
impl Lenient for f64 {
    fn from_scalar(s: Scalar) -> Option<f64> {
        let f = match s {
            Scalar::Int(n) => n as f64,
            Scalar::Uint(n) => n as f64,
            Scalar::Float(f) => f,
            Scalar::Str(s) => json_number(&s)?,
            Scalar::Bool(_) | Scalar::Other => return None,
        };
        f.is_finite().then_some(f)
    }
}

/// A boolean, or the word `true` / `false` in any case.
impl Lenient for bool {
    fn from_scalar(s: Scalar) -> Option<bool> {
        match s {
            Scalar::Bool(b) => Some(b),
            Scalar::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Scalar::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }
}

/// A string holding a JSON number, read by the browser's own parser in the wasm (not
/// `f64::from_str`, whose tables weigh ~15 KB) and by serde_json natively.
#[cfg(target_arch = "wasm32")]
fn json_number(s: &str) -> Option<f64> {
    js_sys::JSON::parse(s).ok()?.as_f64()
}

#[cfg(not(target_arch = "wasm32"))]
fn json_number(s: &str) -> Option<f64> {
    serde_json::from_str::<f64>(s).ok()
}

/// An optional field of a [`Lenient`] type: a value of the wrong type reads as `None`.
pub fn opt<'de, D: Deserializer<'de>, T: Lenient>(d: D) -> Result<Option<T>, D::Error> {
    Ok(T::from_scalar(d.deserialize_any(ScalarVisitor)?))
}

/// A field of a [`Lenient`] type: a value of the wrong type reads as its default.
pub fn or_default<'de, D: Deserializer<'de>, T: Lenient + Default>(d: D) -> Result<T, D::Error> {
    Ok(opt(d)?.unwrap_or_default())
}

/// A required string: any other value (read to its end) fails the whole value.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match d.deserialize_any(ScalarVisitor)? {
        Scalar::Str(s) => Ok(s),
        _ => Err(serde::de::Error::custom("a string was expected")),
    }
}

/// A required word read by `T`'s own reader (a derived enum, a `FromStr`): any other value, or
/// a word `T` refuses, fails the whole value.
pub fn word<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
    match d.deserialize_any(ScalarVisitor)? {
        Scalar::Str(s) => T::deserialize(StringDeserializer::<D::Error>::new(s)),
        _ => Err(serde::de::Error::custom("a word was expected")),
    }
}

/// A required field of a [`Lenient`] type: a value of the wrong type fails the whole value.
pub(crate) fn required<'de, D: Deserializer<'de>, T: Lenient>(d: D) -> Result<T, D::Error> {
    opt(d)?.ok_or_else(|| serde::de::Error::custom("a field of the wrong type"))
}

/// A string read by `T`'s own reader (a derived enum, say): anything else, or a word `T` does not
/// know, reads as `T`'s default.
pub fn word_or_default<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(match d.deserialize_any(ScalarVisitor)? {
        Scalar::Str(s) => {
            T::deserialize(StringDeserializer::<D::Error>::new(s)).unwrap_or_default()
        }
        _ => T::default(),
    })
}

/// A text: a string as is, `null` as `None`, any other value as its compact JSON text.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let mut out = String::new();
    let is_string = d.deserialize_any(JsonText {
        out: &mut out,
        top: true,
    })?;
    Ok((is_string || out != "null").then_some(out))
}

/// Writes a value as compact JSON; at the top, a string is written bare (and says so).
struct JsonText<'a> {
    out: &'a mut String,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for JsonText<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl<'de> Visitor<'de> for JsonText<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<bool, E> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(false)
    }
    fn visit_i64<E>(self, v: i64) -> Result<bool, E> {
        let _ = write!(self.out, "{v}");
        Ok(false)
    }
    fn visit_u64<E>(self, v: u64) -> Result<bool, E> {
        let _ = write!(self.out, "{v}");
        Ok(false)
    }
    fn visit_f64<E>(self, v: f64) -> Result<bool, E> {
        if v.is_finite() {
            self.out.push_str(&float_text(v));
        } else {
            self.out.push_str("null");
        }
        Ok(false)
    }
    fn visit_str<E>(self, v: &str) -> Result<bool, E> {
        if self.top {
            self.out.push_str(v);
        } else {
            quote(self.out, v);
        }
        Ok(self.top)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        self.out.push_str("null");
        Ok(false)
    }
    fn visit_none<E>(self) -> Result<bool, E> {
        self.out.push_str("null");
        Ok(false)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        self.out.push('[');
        let mut first = true;
        loop {
            let at = self.out.len();
            if !first {
                self.out.push(',');
            }
            let seed = JsonText {
                out: &mut *self.out,
                top: false,
            };
            if seq.next_element_seed(seed)?.is_none() {
                self.out.truncate(at);
                break;
            }
            first = false;
        }
        self.out.push(']');
        Ok(false)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        self.out.push('{');
        let mut first = true;
        while let Some(k) = map.next_key::<String>()? {
            if !first {
                self.out.push(',');
            }
            first = false;
            quote(self.out, &k);
            self.out.push(':');
            map.next_value_seed(JsonText {
                out: &mut *self.out,
                top: false,
            })?;
        }
        self.out.push('}');
        Ok(false)
    }
}

/// A value that must be a JSON object readable as `T`: anything else, or an object `T` refuses,
/// reads as `None` (a derived struct alone would also accept an array, field by field).
#[derive(Clone, Debug, PartialEq)]
pub struct Object<T>(pub Option<T>);

impl<T> Default for Object<T> {
    fn default() -> Self {
        Object(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjectVisitor {
            lenient: true,
            t: PhantomData,
        })
        .map(Object)
    }
}

/// A value that must be a JSON object: anything else reads as `None`; an object that `T` refuses
/// is an error (with serde's reason). What a whole body is read as.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonObject<T>(pub Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for JsonObject<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjectVisitor {
            lenient: false,
            t: PhantomData,
        })
        .map(JsonObject)
    }
}

struct ObjectVisitor<T> {
    /// Whether an object `T` refuses reads as `None` rather than failing.
    lenient: bool,
    t: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        match T::deserialize(MapAccessDeserializer::new(&mut map)) {
            Ok(t) => Ok(Some(t)),
            Err(e) if !self.lenient => Err(e),
            Err(_) => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(None)
            }
        }
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<T>, E> {
        Ok(None)
    }
    scalars_read_as!(Option<T>, None);
}

/// A nested object field: anything but an object readable as `T` reads as `None`.
pub fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Object::deserialize(d).map(|o| o.0)
}

/// The items of a list that could be read, and how many could not.
#[derive(Clone, Debug, PartialEq)]
pub struct Counted<T> {
    pub items: Vec<T>,
    pub skipped: usize,
}

impl<T> Default for Counted<T> {
    fn default() -> Self {
        Counted {
            items: Vec::new(),
            skipped: 0,
        }
    }
}

/// A list of objects: an item that is not an object or fails to read as `T` is skipped and
/// counted; `null` is the empty list; anything else but an array is an error.
pub fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Counted<T>, D::Error> {
    let raw: Option<Vec<Object<T>>> = Option::deserialize(d)?;
    let mut out = Counted::default();
    for item in raw.unwrap_or_default() {
        match item.0 {
            Some(t) => out.items.push(t),
            None => out.skipped += 1,
        }
    }
    Ok(out)
}

/// Texts: an array's items as [`text`] gives them (`null` as "null"), a lone string as one
/// text; anything else reads as none.
pub fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct TextsVisitor;
    impl<'de> Visitor<'de> for TextsVisitor {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("texts")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut v = Vec::new();
            loop {
                let mut s = String::new();
                let seed = JsonText {
                    out: &mut s,
                    top: true,
                };
                if seq.next_element_seed(seed)?.is_none() {
                    return Ok(v);
                }
                v.push(s);
            }
        }
        fn visit_str<E>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Vec::new())
        }
        scalars_read_as!(Vec<String>, Vec::new());
    }
    d.deserialize_any(TextsVisitor)
}

#[cfg(test)]
mod tests;
