//! The items of a `POST /v1/orders` body, kept as borrowed text until they are typed.
//!
//! The contract's answers were defined by parsing each item into a `serde_json::Value` and
//! typing it from there: fields are judged in key order, a repeated key keeps its last value,
//! and every number and string of the body is checked while the body is parsed. Building that
//! tree (a `BTreeMap`, a `String` per key and per value) cost more per order than everything
//! else on the worker but signer recovery. A [`WireItem`] keeps the same parse (every value
//! goes through the same `deserialize_any` calls a `Value` does) but holds an object's strings
//! borrowed from the body, in a flat list; [`WireItem::order_item`] types it in one pass.
//! Whenever that pass fails (or meets a repeated key, which a `Value` would have merged), the
//! item is rebuilt as the `Value` it would have been and typed by [`OrderItem::from_json`], so
//! a refused item gets the very error it always got.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde::Deserialize;
use serde_json::{Map, Number, Value};

use crate::error::OrderError;
use crate::validate::{ItemSource, OrderItem};

/// An order item carries 16 to 18 fields; more only if the client adds its own.
const USUAL_FIELDS: usize = 18;

/// One element of the `orders` array, as parsed from the body.
#[derive(Debug, Clone, PartialEq)]
pub struct WireItem<'a>(Shape<'a>);

#[derive(Debug, Clone, PartialEq)]
enum Shape<'a> {
    /// A JSON object: its entries in body order, repeats included.
    Object(Vec<(Cow<'a, str>, Field<'a>)>),
    /// Anything else: typed as a `Value`, which refuses it (or, for an array, reads it as
    /// the fields in declaration order, as it always did).
    Other(Value),
}

/// One value of an item's object.
#[derive(Debug, Clone, PartialEq)]
enum Field<'a> {
    Str(Cow<'a, str>),
    /// A number, `true`/`false`, `null`, or a nested array or object: no string to borrow.
    Other(Value),
}

impl WireItem<'_> {
    /// Types the item; an error names the failing field (`price: invalid type: ...`).
    pub fn order_item(&self) -> Result<OrderItem, OrderError> {
        match &self.0 {
            Shape::Object(entries) => {
                OrderItem::deserialize(ObjectDeserializer(entries)).or_else(|_| {
                    let mut map = Map::new();
                    for (key, field) in entries {
                        // In body order, so a repeated key keeps its last value, as in a Value.
                        map.insert(key.to_string(), field.to_value());
                    }
                    OrderItem::from_json(&Value::Object(map))
                })
            }
            Shape::Other(value) => OrderItem::from_json(value),
        }
    }
}

impl ItemSource for WireItem<'_> {
    fn order_item(&self) -> Result<OrderItem, OrderError> {
        WireItem::order_item(self)
    }
}

impl Field<'_> {
    fn to_value(&self) -> Value {
        match self {
            Field::Str(s) => Value::String(s.to_string()),
            Field::Other(v) => v.clone(),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for WireItem<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ItemVisitor).map(WireItem)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldVisitor)
    }
}

/// `serde_json`'s own `Value` visitor, step for step, which its `Value` type does not export.
struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value::<Value>()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// Forwards every non-string visit to [`ValueVisitor`], wrapped by `$wrap`.
macro_rules! like_a_value {
    ($wrap:path) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            ValueVisitor.visit_bool(v).map($wrap)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            ValueVisitor.visit_i64(v).map($wrap)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            ValueVisitor.visit_u64(v).map($wrap)
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            ValueVisitor.visit_f64(v).map($wrap)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            ValueVisitor.visit_none().map($wrap)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            ValueVisitor.visit_some(d).map($wrap)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            ValueVisitor.visit_unit().map($wrap)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            ValueVisitor.visit_seq(seq).map($wrap)
        }
    };
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    like_a_value!(Field::Other);

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Field<'de>, E> {
        Ok(Field::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Field<'de>, E> {
        Ok(Field::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Field<'de>, E> {
        Ok(Field::Str(Cow::Owned(v)))
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Field<'de>, A::Error> {
        ValueVisitor.visit_map(access).map(Field::Other)
    }
}

struct ItemVisitor;

fn other<'a>(value: Value) -> Shape<'a> {
    Shape::Other(value)
}

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Shape<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    like_a_value!(other);

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Shape<'de>, E> {
        ValueVisitor.visit_str(v).map(Shape::Other)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Shape<'de>, E> {
        ValueVisitor.visit_string(v).map(Shape::Other)
    }

    /// Keys are read as a `Value` reads them (as strings, escapes decoded), values as
    /// [`Field`]s.
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Shape<'de>, A::Error> {
        let mut entries = Vec::with_capacity(USUAL_FIELDS);
        while let Some(key) = access.next_key_seed(BorrowedKey)? {
            let value = access.next_value::<Field<'de>>()?;
            entries.push((key, value));
        }
        Ok(Shape::Object(entries))
    }
}

/// A key borrowed from the body when it has no escapes (`Cow`'s own impl always copies).
struct BorrowedKey;

impl<'de> DeserializeSeed<'de> for BorrowedKey {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        types::text::borrowed_str(d)
    }
}

/// An item's object as `OrderItem`'s derived visitor reads it: entries in body order.
struct ObjectDeserializer<'de, 'b>(&'de [(Cow<'b, str>, Field<'b>)]);

impl<'de, 'b> Deserializer<'de> for ObjectDeserializer<'de, 'b> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(Entries {
            rest: self.0,
            value: None,
        })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct Entries<'de, 'b> {
    rest: &'de [(Cow<'b, str>, Field<'b>)],
    value: Option<&'de Field<'b>>,
}

impl<'de, 'b> MapAccess<'de> for Entries<'de, 'b> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some(((key, field), rest)) = self.rest.split_first() else {
            return Ok(None);
        };
        self.rest = rest;
        self.value = Some(field);
        seed.deserialize(BorrowedStrDeserializer::new(key.as_ref()))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let field = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value was asked for before its key"))?;
        seed.deserialize(field)
    }
}

/// A field as a `&Value` deserializes: a string exactly as `Value::String` does (borrowed
/// from the body instead of owned by the tree), anything else by the `Value` itself.
impl<'de> Deserializer<'de> for &'de Field<'_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(s) => visitor.visit_borrowed_str(s),
            Field::Other(v) => v.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(s) => visitor.visit_borrowed_str(s),
            Field::Other(v) => v.deserialize_str(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(s) => visitor.visit_borrowed_str(s),
            Field::Other(v) => v.deserialize_bytes(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(_) => visitor.visit_some(self),
            Field::Other(v) => v.deserialize_option(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(_) => visitor.visit_newtype_struct(self),
            Field::Other(v) => v.deserialize_newtype_struct(name, visitor),
        }
    }

    /// A string names a unit variant, as `Value::String` does.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(s) => {
                let variant: StrDeserializer<'_, serde_json::Error> =
                    s.as_ref().into_deserializer();
                variant.deserialize_enum(name, variants, visitor)
            }
            Field::Other(v) => v.deserialize_enum(name, variants, visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    /// Every other type: a string is the wrong type for it, as for `Value::String`.
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(s) => Err(wrong_type(s, &visitor)),
            Field::Other(v) => v.deserialize_bool(visitor),
        }
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(s) => Err(wrong_type(s, &visitor)),
            Field::Other(v) => v.deserialize_u64(visitor),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(s) => Err(wrong_type(s, &visitor)),
            Field::Other(v) => v.deserialize_i64(visitor),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(s) => Err(wrong_type(s, &visitor)),
            Field::Other(v) => v.deserialize_f64(visitor),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(s) => Err(wrong_type(s, &visitor)),
            Field::Other(v) => v.deserialize_unit(visitor),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(s) => Err(wrong_type(s, &visitor)),
            Field::Other(v) => v.deserialize_seq(visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(s) => Err(wrong_type(s, &visitor)),
            Field::Other(v) => v.deserialize_map(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self {
            Field::Str(s) => Err(wrong_type(s, &visitor)),
            Field::Other(v) => v.deserialize_struct(name, fields, visitor),
        }
    }

    /// The rest are only ever asked of a field by types `OrderItem` does not use; they go
    /// through the `Value` a string would have been, to stay exact all the same.
    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.to_value().deserialize_i8(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.to_value().deserialize_i16(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.to_value().deserialize_i32(visitor)
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.to_value().deserialize_i128(visitor)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.to_value().deserialize_u8(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.to_value().deserialize_u16(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.to_value().deserialize_u32(visitor)
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.to_value().deserialize_u128(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.to_value().deserialize_f32(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.to_value().deserialize_unit_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.to_value().deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.to_value().deserialize_tuple_struct(name, len, visitor)
    }
}

fn wrong_type(s: &str, expected: &dyn de::Expected) -> serde_json::Error {
    de::Error::invalid_type(de::Unexpected::Str(s), expected)
}
