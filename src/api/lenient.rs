//! Lenient field readers for derived `Deserialize` types, used as
//! `#[serde(default, deserialize_with = "lenient::opt")]`: a field of the wrong type reads as
//! absent instead of failing the whole value. Generic over the `Deserializer`, so the same types
//! read through serde_json natively and serde-wasm-bindgen in the browser.
//!
//! The scalar readers are small visitors: no library reads "a string, or a number as its text"
//! or "a boolean, or the word `true`" (serde_with's `DefaultOnError` only turns an error into the
//! default). They stream: nothing is buffered, a value of the wrong shape is skipped with
//! `IgnoredAny`. A list item that may fail must be buffered before it is tried, so [`list`] uses
//! serde_with's `DefaultOnError` (its own copy of serde's private `Content`) rather than a
//! hand-written buffer.
use std::fmt::{self, Write};
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, StringDeserializer};
use serde::de::{
    DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;
use serde_with::{As, DefaultOnError};

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
            Scalar::Float(f) => Some(f.to_string()),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Other => None,
        }
    }
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

/// A required field of a [`Lenient`] type: a value of the wrong type fails the whole value.
pub fn required<'de, D: Deserializer<'de>, T: Lenient>(d: D) -> Result<T, D::Error> {
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
            let _ = write!(self.out, "{v}");
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

/// A value that must be a JSON object: anything else reads as `None` (a derived struct alone
/// would also accept an array, field by field).
#[derive(Clone, Debug, PartialEq)]
pub struct Object<T>(pub Option<T>);

impl<T> Default for Object<T> {
    fn default() -> Self {
        Object(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| Object(Some(t)))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Object<T>, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Object<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Object(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
            fn visit_unit<E>(self) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
            fn visit_none<E>(self) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
        }
        d.deserialize_any(ObjectVisitor(PhantomData))
    }
}

/// A nested object field: anything but an object reads as `None`.
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
    let raw: Option<Vec<Object<T>>> = As::<Option<Vec<DefaultOnError>>>::deserialize(d)?;
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
        fn visit_bool<E>(self, _: bool) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_i64<E>(self, _: i64) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_u64<E>(self, _: u64) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_f64<E>(self, _: f64) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_unit<E>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(TextsVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::from_str;

    #[derive(Debug, Default, PartialEq, Deserialize)]
    struct Inner {
        #[serde(default, deserialize_with = "opt")]
        n: Option<u64>,
    }

    #[derive(Debug, Default, PartialEq, Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "opt")]
        s: Option<String>,
        #[serde(default, deserialize_with = "or_default")]
        d: String,
        #[serde(default, deserialize_with = "opt")]
        u: Option<u64>,
        #[serde(default, deserialize_with = "opt")]
        u32: Option<u32>,
        #[serde(default, deserialize_with = "opt")]
        i: Option<i64>,
        #[serde(default, deserialize_with = "opt")]
        f: Option<f64>,
        #[serde(default, deserialize_with = "or_default")]
        z: f64,
        #[serde(default, deserialize_with = "opt")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "text")]
        t: Option<String>,
        #[serde(default, deserialize_with = "object")]
        o: Option<Inner>,
        #[serde(default, deserialize_with = "texts")]
        m: Vec<String>,
    }

    fn probe(json: &str) -> Probe {
        from_str(json).unwrap()
    }

    #[test]
    fn strings_take_numbers_and_booleans_as_text() {
        assert_eq!(probe(r#"{"s":"x"}"#).s.as_deref(), Some("x"));
        assert_eq!(probe(r#"{"s":42}"#).s.as_deref(), Some("42"));
        assert_eq!(probe(r#"{"s":-3}"#).s.as_deref(), Some("-3"));
        assert_eq!(probe(r#"{"s":1.5}"#).s.as_deref(), Some("1.5"));
        assert_eq!(probe(r#"{"s":true}"#).s.as_deref(), Some("true"));
        for odd in ["null", "[1]", r#"{"a":{"b":[]}}"#] {
            let p = probe(&format!(r#"{{"s":{odd},"d":{odd},"u":7}}"#));
            assert_eq!((p.s, p.d.as_str(), p.u), (None, "", Some(7)), "{odd}");
        }
    }

    #[test]
    fn numbers_from_numbers_and_numeric_strings() {
        let p = probe(r#"{"u":" 12 ","u32":4294967296,"i":"-5","f":" 1.5e3 ","z":"x"}"#);
        assert_eq!(
            (p.u, p.u32, p.i, p.f, p.z),
            (Some(12), None, Some(-5), Some(1500.0), 0.0)
        );
        let p = probe(r#"{"u":300.9,"u32":-1,"i":2.5,"f":"1e999","z":7}"#);
        assert_eq!(
            (p.u, p.u32, p.i, p.f, p.z),
            (Some(300), None, None, None, 7.0)
        );
        let p = probe(r#"{"u":"300.0x","f":"+1","i":true}"#);
        assert_eq!((p.u, p.f, p.i), (None, None, None));
        assert_eq!(probe(r#"{"u":-4}"#).u, None);
    }

    #[test]
    fn booleans_from_words() {
        assert_eq!(probe(r#"{"b":"FALSE"}"#).b, Some(false));
        assert_eq!(probe(r#"{"b":"True"}"#).b, Some(true));
        assert_eq!(probe(r#"{"b":true}"#).b, Some(true));
        assert_eq!(probe(r#"{"b":"yes"}"#).b, None);
        assert_eq!(probe(r#"{"b":1}"#).b, None);
    }

    #[test]
    fn text_keeps_strings_and_writes_the_rest_as_json() {
        assert_eq!(
            probe(r#"{"t":"no backup"}"#).t.as_deref(),
            Some("no backup")
        );
        assert_eq!(probe(r#"{"t":null}"#).t, None);
        assert_eq!(probe(r#"{"t":"null"}"#).t.as_deref(), Some("null"));
        assert_eq!(
            probe(r#"{"t":{"code":5,"why":["a\"b",null,true,-1.5]}}"#)
                .t
                .as_deref(),
            Some(r#"{"code":5,"why":["a\"b",null,true,-1.5]}"#)
        );
        assert_eq!(probe(r#"{"t":[]}"#).t.as_deref(), Some("[]"));
        assert_eq!(probe(r#"{"t":{}}"#).t.as_deref(), Some("{}"));
        assert_eq!(probe(r#"{"t":"\n"}"#).t.as_deref(), Some("\n"));
        assert_eq!(
            probe(r#"{"t":["\n\u0001"]}"#).t.as_deref(),
            Some(r#"["\n\u0001"]"#)
        );
        assert_eq!(
            probe(r#"{"m":["a",3,null,{"x":1}]}"#).m,
            ["a", "3", "null", r#"{"x":1}"#]
        );
        assert_eq!(probe(r#"{"m":"one"}"#).m, ["one"]);
        assert!(probe(r#"{"m":{"a":1}}"#).m.is_empty());
    }

    #[test]
    fn nested_objects_only() {
        assert_eq!(
            probe(r#"{"o":{"n":"3","x":1}}"#).o,
            Some(Inner { n: Some(3) })
        );
        for odd in ["\"oops\"", "[1]", "null", "5", "true"] {
            let p = probe(&format!(r#"{{"o":{odd},"u":1}}"#));
            assert_eq!((p.o, p.u), (None, Some(1)), "{odd}");
        }
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Item {
        id: String,
    }

    #[derive(Debug, Deserialize)]
    struct Page {
        #[serde(default, deserialize_with = "list")]
        items: Counted<Item>,
    }

    #[test]
    fn lists_skip_and_count_what_they_cannot_read() {
        let p: Page =
            from_str(r#"{"items":[{"id":"a"},{"name":"no id"},7,null,["b"],{"id":5},{"id":"c"}]}"#)
                .unwrap();
        let ids: Vec<&str> = p.items.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!((ids, p.items.skipped), (vec!["a", "c"], 5));
        let p: Page = from_str(r#"{"items":null}"#).unwrap();
        assert_eq!(p.items, Counted::default());
        let p: Page = from_str("{}").unwrap();
        assert_eq!(p.items, Counted::default());
        assert!(from_str::<Page>(r#"{"items":{}}"#).is_err());
        assert!(from_str::<Page>(r#"{"items":"x"}"#).is_err());
    }

    #[test]
    fn an_object_at_the_top() {
        assert_eq!(from_str::<Object<Inner>>("[1, 2]").unwrap(), Object(None));
        assert_eq!(
            from_str::<Object<Inner>>("{}").unwrap(),
            Object(Some(Inner::default()))
        );
    }
}
