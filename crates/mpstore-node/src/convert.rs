//! JavaScript values to [`JsValue`] and back, directly through N-API (no JSON text between).
//!
//! What a value becomes follows the Node package's rules (`docs/bridge.md`, "Values"): every
//! type a JS value can have is kept (`undefined`, Dates, `NaN`, `-0`, key order); what
//! `JSON.stringify` cannot store follows `JSON.stringify`: `toJSON` is honoured (except on
//! Dates), boxed primitives are unboxed, functions and symbols are left out of objects and become
//! `null` in arrays (`undefined` at the top), and BigInts and cycles throw its `TypeError`.
//! Exceptions thrown by getters, `toJSON` or Proxy traps propagate as they would from
//! `JSON.stringify`.

use napi::{Env, JsFunction, JsObject, JsUnknown, NapiRaw, NapiValue, Result, ValueType};
use serde_json::Value;
use storage_core::value::MAX_DEPTH;
use storage_core::{JsDate, JsValue};

/// Why a value could not be read.
pub enum Unreadable {
    /// Text with a lone UTF-16 surrogate: the call fails with the dialect's parameter error.
    LoneSurrogate,
    /// A JavaScript exception is pending (thrown by user code, or a `TypeError` of ours).
    Thrown(napi::Error),
}

impl From<napi::Error> for Unreadable {
    fn from(e: napi::Error) -> Self {
        Unreadable::Thrown(e)
    }
}

/// Reads JavaScript values, keeping the objects being read to refuse cycles.
pub struct Reader<'e> {
    env: &'e Env,
    stack: Vec<JsObject>,
    boxes: Option<[JsFunction; 3]>,
}

impl<'e> Reader<'e> {
    pub fn new(env: &'e Env) -> Self {
        Reader {
            env,
            stack: Vec::new(),
            boxes: None,
        }
    }

    /// `value` as a [`JsValue`] (a function or symbol at the top is `undefined`).
    pub fn read(&mut self, value: JsUnknown) -> std::result::Result<JsValue, Unreadable> {
        Ok(self.value(value, 0)?.unwrap_or(JsValue::Undefined))
    }

    /// `None` for what JSON leaves out (a function, a symbol).
    fn value(
        &mut self,
        value: JsUnknown,
        depth: usize,
    ) -> std::result::Result<Option<JsValue>, Unreadable> {
        Ok(Some(match value.get_type()? {
            ValueType::Undefined => JsValue::Undefined,
            ValueType::Null => JsValue::Null,
            ValueType::Boolean => {
                JsValue::Bool(unsafe { value.cast::<napi::JsBoolean>() }.get_value()?)
            }
            ValueType::Number => {
                JsValue::Number(unsafe { value.cast::<napi::JsNumber>() }.get_double()?)
            }
            ValueType::String => string(self.env, unsafe { value.cast::<napi::JsString>() })?,
            ValueType::BigInt => {
                return Err(self.type_error("Do not know how to serialize a BigInt"))
            }
            ValueType::Function | ValueType::Symbol => return Ok(None),
            ValueType::Object | ValueType::External | ValueType::Unknown => {
                return self
                    .object(unsafe { value.cast::<JsObject>() }, depth)
                    .map(Some)
            }
        }))
    }

    fn object(&mut self, obj: JsObject, depth: usize) -> std::result::Result<JsValue, Unreadable> {
        if obj.is_date()? {
            let date = unsafe { obj.into_unknown().cast::<napi::JsDate>() };
            return Ok(JsValue::Date(JsDate::from_millis(date.value_of()?)));
        }
        // Deeper than the engine stores is refused by it with the dialect's parameter error; stop
        // reading one level below so that hostile nesting costs nothing and never exhausts the
        // stack.
        if depth > MAX_DEPTH {
            return Ok(JsValue::Array(Vec::new()));
        }
        for seen in &self.stack {
            if self.env.strict_equals(seen, &obj)? {
                return Err(self.type_error("Converting circular structure to JSON"));
            }
        }
        let to_json: JsUnknown = obj.get_named_property("toJSON")?;
        if to_json.get_type()? == ValueType::Function {
            let f = unsafe { to_json.cast::<JsFunction>() };
            let key = self.env.create_string("")?;
            let replaced = f.call(Some(&obj), &[key])?;
            return Ok(self.value(replaced, depth)?.unwrap_or(JsValue::Undefined));
        }
        if let Some(inner) = self.unbox(&obj)? {
            return Ok(self.value(inner, depth)?.unwrap_or(JsValue::Undefined));
        }
        self.stack.push(obj);
        let read = self.contents(depth);
        self.stack.pop();
        read
    }

    fn contents(&mut self, depth: usize) -> std::result::Result<JsValue, Unreadable> {
        let obj = self.stack.last().expect("pushed by the caller");
        // A cheap copy of the handle, so `self` can be borrowed mutably while reading.
        let obj = unsafe { JsObject::from_raw_unchecked(self.env.raw(), obj.raw()) };
        if obj.is_array()? {
            let len = obj.get_array_length()?;
            let mut items = Vec::with_capacity(len.min(1 << 16) as usize);
            for i in 0..len {
                let item: JsUnknown = obj.get_element(i)?;
                items.push(self.value(item, depth + 1)?.unwrap_or(JsValue::Null));
            }
            return Ok(JsValue::Array(items));
        }
        let keys = own_keys(self.env, &obj)?;
        let len = keys.get_array_length()?;
        let mut entries = Vec::with_capacity(len as usize);
        for i in 0..len {
            let key: napi::JsString = keys.get_element(i)?;
            let item: JsUnknown = obj.get_property(key)?;
            let name = match string(self.env, key)? {
                JsValue::String(s) => String::from(s),
                _ => unreachable!("string() makes Strings"),
            };
            if let Some(v) = self.value(item, depth + 1)? {
                entries.push((name, v));
            }
        }
        Ok(JsValue::Object(storage_core::JsObject::from_entries(
            entries,
        )))
    }

    /// The primitive inside a `Number`, `String` or `Boolean` object, as `JSON.stringify` unboxes.
    fn unbox(&mut self, obj: &JsObject) -> Result<Option<JsUnknown>> {
        if self.boxes.is_none() {
            let global = self.env.get_global()?;
            let ctor = |name: &str| global.get_named_property::<JsFunction>(name);
            self.boxes = Some([ctor("Number")?, ctor("String")?, ctor("Boolean")?]);
        }
        for ctor in self.boxes.as_ref().into_iter().flatten() {
            if obj.instanceof(ctor)? {
                let value_of: JsFunction = obj.get_named_property("valueOf")?;
                return value_of.call_without_args(Some(obj)).map(Some);
            }
        }
        Ok(None)
    }

    fn type_error(&self, message: &str) -> Unreadable {
        match self.env.throw_type_error(message, None) {
            Ok(()) => Unreadable::Thrown(pending()),
            Err(e) => Unreadable::Thrown(e),
        }
    }
}

/// `Object.keys(obj)`: own, enumerable, string keys, in the order `JSON.stringify` visits them.
fn own_keys(env: &Env, obj: &JsObject) -> Result<JsObject> {
    use napi::sys;
    let mut keys = std::ptr::null_mut();
    let status = unsafe {
        sys::napi_get_all_property_names(
            env.raw(),
            obj.raw(),
            sys::KeyCollectionMode::own_only,
            sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
            sys::KeyConversion::numbers_to_strings,
            &mut keys,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_status(napi::Status::from(status)));
    }
    Ok(unsafe { JsObject::from_raw_unchecked(env.raw(), keys) })
}

/// The error to return while a JavaScript exception is pending: N-API leaves it to propagate.
pub fn pending() -> napi::Error {
    napi::Error::from_status(napi::Status::PendingException)
}

fn string(env: &Env, s: napi::JsString) -> std::result::Result<JsValue, Unreadable> {
    use napi::sys;
    let read = |buf: &mut [u16]| {
        let mut written = 0usize;
        let status = unsafe {
            sys::napi_get_value_string_utf16(
                env.raw(),
                s.raw(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut written,
            )
        };
        match status {
            sys::Status::napi_ok => Ok(written),
            other => Err(napi::Error::from_status(napi::Status::from(other))),
        }
    };
    // Most keys and many values are short: one call into a buffer on the stack.
    let mut short = [0u16; 256];
    let written = read(&mut short)?;
    let text = if written < short.len() - 1 {
        JsValue::from_utf16(&short[..written])
    } else {
        let mut len = 0usize;
        let status = unsafe {
            sys::napi_get_value_string_utf16(env.raw(), s.raw(), std::ptr::null_mut(), 0, &mut len)
        };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::from_status(napi::Status::from(status)).into());
        }
        // The terminating NUL N-API writes needs one unit more.
        let mut long = vec![0u16; len + 1];
        let written = read(&mut long)?;
        JsValue::from_utf16(&long[..written])
    };
    text.map_err(|_| Unreadable::LoneSurrogate)
}

/// `value` as a JavaScript value.
pub fn to_js(env: &Env, value: &JsValue) -> Result<JsUnknown> {
    Ok(match value {
        JsValue::Undefined => env.get_undefined()?.into_unknown(),
        JsValue::Null => env.get_null()?.into_unknown(),
        JsValue::Bool(b) => env.get_boolean(*b)?.into_unknown(),
        JsValue::Number(n) => env.create_double(*n)?.into_unknown(),
        JsValue::String(s) => env.create_string(s.as_str())?.into_unknown(),
        JsValue::Date(d) => env.create_date(d.time_value())?.into_unknown(),
        JsValue::Array(items) => {
            let mut array = env.create_array_with_length(items.len())?;
            for (i, item) in items.iter().enumerate() {
                array.set_element(i as u32, to_js(env, item)?)?;
            }
            array.into_unknown()
        }
        JsValue::Object(o) => {
            let mut obj = env.create_object()?;
            for (k, v) in o.iter() {
                set(env, &mut obj, k, to_js(env, v)?)?;
            }
            obj.into_unknown()
        }
    })
}

/// Plain JSON (a facade's result) as a JavaScript value.
pub fn json_to_js(env: &Env, value: &Value) -> Result<JsUnknown> {
    Ok(match value {
        Value::Null => env.get_null()?.into_unknown(),
        Value::Bool(b) => env.get_boolean(*b)?.into_unknown(),
        Value::Number(n) => env
            .create_double(n.as_f64().unwrap_or(f64::NAN))?
            .into_unknown(),
        Value::String(s) => env.create_string(s)?.into_unknown(),
        Value::Array(items) => {
            let mut array = env.create_array_with_length(items.len())?;
            for (i, item) in items.iter().enumerate() {
                array.set_element(i as u32, json_to_js(env, item)?)?;
            }
            array.into_unknown()
        }
        Value::Object(m) => {
            let mut obj = env.create_object()?;
            for (k, v) in m {
                set(env, &mut obj, k, json_to_js(env, v)?)?;
            }
            obj.into_unknown()
        }
    })
}

/// Sets an own property, even `__proto__` (a plain assignment would change the prototype), and
/// a key holding NUL (which a C string cannot name).
pub fn set(env: &Env, obj: &mut JsObject, key: &str, value: JsUnknown) -> Result<()> {
    if key == "__proto__" {
        let property = napi::Property::new(key)?
            .with_value(&value)
            .with_property_attributes(
                napi::PropertyAttributes::Writable
                    | napi::PropertyAttributes::Enumerable
                    | napi::PropertyAttributes::Configurable,
            );
        obj.define_properties(&[property])
    } else {
        obj.set_property(env.create_string(key)?, value)
    }
}
