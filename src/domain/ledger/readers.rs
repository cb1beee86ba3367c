//! Readers of the stored ledger's own shapes, beside `api::lenient`'s: a list that may not be a
//! list, a list read whole or not at all, and an enum stored as a word or a one-key object.
//! Each reads a value to its end, so that one that does not read costs its entry at most, even
//! from a streaming parser.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, StrDeserializer};
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::api::lenient::{Counted, Object};

/// [`lenient::list`], except that a value that is not a list reads as an empty one (as older
/// pages read it).
pub(super) fn any_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Counted<T>, D::Error> {
    d.deserialize_any(AnyList(PhantomData))
}

struct AnyList<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for AnyList<T> {
    type Value = Counted<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Counted<T>, A::Error> {
        let mut out = Counted::default();
        while let Some(item) = seq.next_element::<Object<T>>()? {
            match item.0 {
                Some(t) => out.items.push(t),
                None => out.skipped += 1,
            }
        }
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Counted<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Counted::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Counted<T>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_none<E>(self) -> Result<Counted<T>, E> {
        Ok(Counted::default())
    }
    fn visit_unit<E>(self) -> Result<Counted<T>, E> {
        Ok(Counted::default())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Counted<T>, E> {
        Ok(Counted::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Counted<T>, E> {
        Ok(Counted::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Counted<T>, E> {
        Ok(Counted::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Counted<T>, E> {
        Ok(Counted::default())
    }
    fn visit_str<E>(self, _: &str) -> Result<Counted<T>, E> {
        Ok(Counted::default())
    }
}

/// A list read whole or not at all: one item that is not an object (or does not read) empties
/// it, and so does a value that is not a list. An entry's states: a partial history would
/// mislead.
pub(super) fn all_or_nothing<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    let list = any_list(d)?;
    Ok(if list.skipped == 0 {
        list.items
    } else {
        Vec::new()
    })
}

/// An enum as stored, a word (`"confirmed"`) or an object of one key (`{"drift": …}`):
/// anything else, or what does not read as `T`, reads as `T`'s default.
pub(super) fn enum_or_default<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(
    d: D,
) -> Result<T, D::Error> {
    d.deserialize_any(EnumOrDefault(PhantomData))
}

struct EnumOrDefault<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned + Default> Visitor<'de> for EnumOrDefault<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a word or an object of one key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::deserialize(StrDeserializer::<E>::new(v)).unwrap_or_default())
    }
    /// Read whole first (a small object), so that a variant that does not read leaves the
    /// reader at its end even when it streams.
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let value = Value::deserialize(MapAccessDeserializer::new(map))?;
        Ok(T::deserialize(value).unwrap_or_default())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(T::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_none<E>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_bool<E>(self, _: bool) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<T, E> {
        Ok(T::default())
    }
}
