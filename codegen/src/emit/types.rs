//! Type uses to tokens: Rust types, serde codecs, constant expressions, paths.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use crate::ir::{Const, DecimalWire, Scalar, TimeWire, TypeKind, TypePath, TypeRef, TypeSpace};

/// Whether `s` is usable as an identifier (raw identifiers with their `r#`).
pub fn valid_ident(s: &str) -> bool {
    let (raw, body) = match s.strip_prefix("r#") {
        Some(b) => (true, b),
        None => (false, s),
    };
    let mut chars = body.chars();
    let shape = matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && body != "_";
    if !shape {
        return false;
    }
    if raw {
        !matches!(body, "self" | "Self" | "super" | "crate")
    } else {
        !crate::naming::is_keyword(body)
    }
}

/// An identifier; callers validate names first (`emit::check_names`), so the
/// fallback only keeps this function total.
pub(crate) fn ident(s: &str) -> Ident {
    if !valid_ident(s) {
        return Ident::new("__evgen_invalid_identifier", Span::call_site());
    }
    match s.strip_prefix("r#") {
        Some(body) => Ident::new_raw(body, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

/// The path to `to` from inside module `from`, using `super::` so the generated file
/// works wherever it is `include!`d.
pub(crate) fn path_from(from: &[String], to: &TypePath) -> TokenStream {
    let common = from
        .iter()
        .zip(&to.module)
        .take_while(|(a, b)| a == b)
        .count();
    let supers = (common..from.len()).map(|_| quote!(super::));
    let mods = to.module[common..].iter().map(|m| ident(m));
    let name = ident(&to.name);
    quote!(#(#supers)* #(#mods::)* #name)
}

/// The Rust type of `ty` as seen from module `from`.
pub(crate) fn rust_type(from: &[String], ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::Scalar(s) => scalar_type(*s),
        TypeRef::Option { inner, .. } => {
            let inner = rust_type(from, inner);
            quote!(::std::option::Option<#inner>)
        }
        TypeRef::List(inner) => {
            let inner = rust_type(from, inner);
            quote!(::std::vec::Vec<#inner>)
        }
        TypeRef::Map(inner) => {
            let inner = rust_type(from, inner);
            quote!(::std::collections::BTreeMap<::std::string::String, #inner>)
        }
        TypeRef::Boxed(inner) => {
            let inner = rust_type(from, inner);
            quote!(::std::boxed::Box<#inner>)
        }
        TypeRef::Named(p) => path_from(from, p),
    }
}

fn scalar_type(s: Scalar) -> TokenStream {
    match s {
        Scalar::Unit => quote!(()),
        Scalar::Bool => quote!(bool),
        Scalar::I32 => quote!(i32),
        Scalar::I64 => quote!(i64),
        Scalar::U64 => quote!(u64),
        Scalar::I8 => quote!(i8),
        Scalar::I16 => quote!(i16),
        Scalar::U8 => quote!(u8),
        Scalar::U16 => quote!(u16),
        Scalar::U32 => quote!(u32),
        Scalar::F32 => quote!(f32),
        Scalar::F64 => quote!(f64),
        Scalar::String => quote!(::std::string::String),
        Scalar::Bytes => quote!(::std::vec::Vec<u8>),
        Scalar::FixedBytes(n) => {
            let n = Literal::usize_unsuffixed(n as usize);
            quote!([u8; #n])
        }
        Scalar::Uuid => quote!(::evreg_client::uuid::Uuid),
        Scalar::Decimal(w) => decimal_type(w),
        Scalar::Date(_) => quote!(::evreg_client::chrono::NaiveDate),
        Scalar::Time(_) => quote!(::evreg_client::chrono::NaiveTime),
        Scalar::Timestamp(_) => {
            quote!(::evreg_client::chrono::DateTime<::evreg_client::chrono::Utc>)
        }
        Scalar::LocalTimestamp(_) => quote!(::evreg_client::chrono::NaiveDateTime),
        Scalar::Duration => quote!(::evreg_client::avro::Duration),
        Scalar::Uri => quote!(::evreg_client::Uri),
        Scalar::Email => quote!(::evreg_client::Email),
        Scalar::Ipv4 => quote!(::std::net::Ipv4Addr),
        Scalar::Ipv6 => quote!(::std::net::Ipv6Addr),
        Scalar::Json => quote!(::serde_json::Value),
    }
}

/// The codec type for `ty` (`Seq<Opt<avro::TimestampMillis>>`), or `None` when serde's
/// own impls already write the right thing.
pub(crate) fn codec(ty: &TypeRef) -> Option<TokenStream> {
    let c = quote!(::evreg_client::codec);
    match ty {
        TypeRef::Scalar(s) => scalar_codec(*s),
        TypeRef::Option { inner, null_index } => match (codec(inner), null_index) {
            (inner, Some(_)) => {
                let inner = inner.unwrap_or_else(|| quote!(#c::Same));
                Some(quote!(#c::OptLast<#inner>))
            }
            (Some(inner), None) => Some(quote!(#c::Opt<#inner>)),
            (None, None) => None,
        },
        TypeRef::List(inner) => codec(inner).map(|i| quote!(#c::Seq<#i>)),
        TypeRef::Map(inner) => codec(inner).map(|i| quote!(#c::Map<#i>)),
        TypeRef::Boxed(inner) => codec(inner).map(|i| quote!(#c::Boxed<#i>)),
        TypeRef::Named(_) => None,
    }
}

fn scalar_codec(s: Scalar) -> Option<TokenStream> {
    let a = quote!(::evreg_client::avro);
    let time = |w: TimeWire, millis: TokenStream, micros: TokenStream, nanos: TokenStream| match w {
        TimeWire::AvroMillis => Some(millis),
        TimeWire::AvroMicros => Some(micros),
        TimeWire::AvroNanos => Some(nanos),
        TimeWire::AvroDays | TimeWire::Iso8601 => None,
    };
    match s {
        Scalar::Bytes => Some(quote!(#a::Bytes)),
        Scalar::FixedBytes(_) => Some(quote!(#a::Fixed)),
        Scalar::Uuid => Some(quote!(#a::Uuid)),
        Scalar::Decimal(DecimalWire::AvroBytes { scale, .. }) => {
            let scale = Literal::u32_unsuffixed(scale);
            Some(quote!(#a::Decimal<#scale>))
        }
        Scalar::Decimal(DecimalWire::AvroFixed { scale, size, .. }) => {
            let scale = Literal::u32_unsuffixed(scale);
            let size = Literal::usize_unsuffixed(size as usize);
            Some(quote!(#a::DecimalFixed<#scale, #size>))
        }
        Scalar::Decimal(DecimalWire::AvroBig) => Some(quote!(#a::BigDecimalBytes)),
        Scalar::Decimal(DecimalWire::String) => Some(quote!(#a::DecimalString)),
        Scalar::Date(TimeWire::AvroDays) => Some(quote!(#a::Date)),
        Scalar::Time(w) => time(
            w,
            quote!(#a::TimeMillis),
            quote!(#a::TimeMicros),
            quote!(#a::TimeMicros),
        ),
        Scalar::Timestamp(w) => time(
            w,
            quote!(#a::TimestampMillis),
            quote!(#a::TimestampMicros),
            quote!(#a::TimestampNanos),
        ),
        Scalar::LocalTimestamp(w) => time(
            w,
            quote!(#a::LocalTimestampMillis),
            quote!(#a::LocalTimestampMicros),
            quote!(#a::LocalTimestampNanos),
        ),
        _ => None,
    }
}

/// `"::evreg_client::codec::As::<C>"` as the string serde's `with` takes.
pub(crate) fn with_path(codec: &TokenStream) -> String {
    let s = quote!(::evreg_client::codec::As::<#codec>).to_string();
    // Token spacing is not valid inside serde's string; normalise it.
    s.replace(' ', "")
}

fn lit_str(s: &str) -> Literal {
    Literal::string(s)
}

fn bytes_lit(b: &[u8]) -> TokenStream {
    let items = b.iter().map(|x| Literal::u8_unsuffixed(*x));
    quote!([#(#items),*])
}

/// The expression for constant `c` of type `ty`, seen from module `from`.
pub(crate) fn const_expr(
    space: &TypeSpace,
    from: &[String],
    ty: &TypeRef,
    c: &Const,
    depth: usize,
) -> Result<TokenStream, String> {
    if depth > 64 {
        return Err("default nests too deeply".into());
    }
    let p = quote!(::evreg_client::__private);
    match (ty, c) {
        (TypeRef::Option { .. }, Const::Null) => Ok(quote!(::std::option::Option::None)),
        (TypeRef::Option { inner, .. }, c) => {
            let e = const_expr(space, from, inner, c, depth + 1)?;
            Ok(quote!(::std::option::Option::Some(#e)))
        }
        (TypeRef::Boxed(inner), c) => {
            let e = const_expr(space, from, inner, c, depth + 1)?;
            Ok(quote!(::std::boxed::Box::new(#e)))
        }
        (TypeRef::List(inner), Const::List(items)) => {
            let items = items
                .iter()
                .map(|i| const_expr(space, from, inner, i, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(quote!(::std::vec![#(#items),*]))
        }
        (TypeRef::Map(inner), Const::Map(m)) => {
            let mut entries = Vec::with_capacity(m.len());
            for (k, v) in m {
                let v = const_expr(space, from, inner, v, depth + 1)?;
                let k = lit_str(k);
                entries.push(quote!((::std::string::String::from(#k), #v)));
            }
            Ok(quote!(::std::collections::BTreeMap::from([#(#entries),*])))
        }
        (TypeRef::Scalar(s), c) => scalar_const(*s, c, &p),
        (TypeRef::Named(path), c) => named_const(space, from, path, c, depth),
        (_, c) => Err(format!("default {c:?} does not fit the type")),
    }
}

fn named_const(
    space: &TypeSpace,
    from: &[String],
    path: &TypePath,
    c: &Const,
    depth: usize,
) -> Result<TokenStream, String> {
    let def = space
        .types
        .get(path)
        .ok_or_else(|| format!("default refers to unknown type {path}"))?;
    let tp = path_from(from, path);
    match (&def.kind, c) {
        (TypeKind::Alias(t), c) => const_expr(space, from, t, c, depth + 1),
        (TypeKind::Newtype(n), c) => {
            let e = const_expr(space, from, &n.inner, c, depth + 1)?;
            if n.constraints.is_empty() {
                Ok(quote!(#tp(#e)))
            } else {
                Ok(quote!(#tp::__evgen_unchecked(#e)))
            }
        }
        (TypeKind::Struct(s), Const::Map(values)) => {
            let mut inits = Vec::with_capacity(s.fields.len());
            for f in &s.fields {
                let fname = ident(&f.name);
                let e = match (values.get(&f.wire_name), &f.default) {
                    (Some(v), _) => const_expr(space, from, &f.ty, v, depth + 1)?,
                    (None, Some(d)) => const_expr(space, from, &f.ty, d, depth + 1)?,
                    (None, None) => {
                        return Err(format!(
                            "default for {path} lacks field '{}', which has no default",
                            f.wire_name
                        ));
                    }
                };
                inits.push(quote!(#fname: #e));
            }
            Ok(quote!(#tp { #(#inits),* }))
        }
        (TypeKind::Enum(e), Const::Variant(name, payload)) => {
            let v = e
                .variants
                .iter()
                .find(|v| &v.name == name)
                .ok_or_else(|| format!("{path} has no variant {name}"))?;
            let vi = ident(&v.name);
            match (&v.payload, payload) {
                (crate::ir::Payload::Unit, None) => Ok(quote!(#tp::#vi)),
                (crate::ir::Payload::Newtype(t), Some(inner)) => {
                    let e = const_expr(space, from, t, inner, depth + 1)?;
                    Ok(quote!(#tp::#vi(#e)))
                }
                _ => Err(format!(
                    "default for {path}::{name} does not fit the variant"
                )),
            }
        }
        (_, c) => Err(format!("default {c:?} does not fit {path}")),
    }
}

/// Decimals of at most this many digits are `rust_decimal::Decimal`s: every
/// such value fits its 96 bits (and its scale, at most the precision, fits
/// its limit of 28), with no heap allocation per value. Wider ones are
/// `BigDecimal`s. `#[derive(Event)]` checks hand-written types by the same
/// bound.
pub const SMALL_DECIMAL_DIGITS: u32 = 28;

/// The Rust type of a decimal carried as `w`.
pub(crate) fn decimal_type(w: DecimalWire) -> TokenStream {
    match w {
        DecimalWire::AvroBytes { precision, .. } | DecimalWire::AvroFixed { precision, .. }
            if precision <= SMALL_DECIMAL_DIGITS =>
        {
            quote!(::evreg_client::rust_decimal::Decimal)
        }
        _ => quote!(::evreg_client::bigdecimal::BigDecimal),
    }
}

/// Whether the big-endian two's complement `b` has at most `precision` digits.
fn unscaled_fits(b: &[u8], precision: u32) -> bool {
    let fill = match b.first() {
        None => return true,
        Some(first) if first & 0x80 != 0 => 0xff,
        Some(_) => 0,
    };
    let significant = b.iter().position(|&x| x != fill).unwrap_or(b.len());
    // One sign byte more than the 16 of an i128 is never needed.
    if b.len() - significant > 16 {
        return false;
    }
    let mut buffer = [fill; 16];
    let tail = &b[b.len().saturating_sub(16)..];
    buffer[16 - tail.len()..].copy_from_slice(tail);
    let v = i128::from_be_bytes(buffer);
    // The kept bytes must carry the sign the dropped ones repeated.
    (v < 0) == (fill == 0xff) && v.unsigned_abs() < 10u128.pow(precision)
}

fn int<T: TryFrom<i128>>(n: i128, what: &str) -> Result<T, String> {
    T::try_from(n).map_err(|_| format!("default {n} is out of range for {what}"))
}

fn scalar_const(s: Scalar, c: &Const, p: &TokenStream) -> Result<TokenStream, String> {
    let float = |f: f64, single: bool| {
        let ty = if single { quote!(f32) } else { quote!(f64) };
        if f.is_nan() {
            quote!(#ty::NAN)
        } else if f == f64::INFINITY {
            quote!(#ty::INFINITY)
        } else if f == f64::NEG_INFINITY {
            quote!(#ty::NEG_INFINITY)
        } else if single {
            let l = Literal::f32_suffixed(f as f32);
            quote!(#l)
        } else {
            let l = Literal::f64_suffixed(f);
            quote!(#l)
        }
    };
    let parse = |s: &str, ty: TokenStream| {
        let l = lit_str(s);
        quote!(<#ty as ::std::str::FromStr>::from_str(#l).unwrap_or_default())
    };
    Ok(match (s, c) {
        (Scalar::Unit, Const::Null) => quote!(()),
        (Scalar::Bool, Const::Bool(b)) => quote!(#b),
        (Scalar::I32, Const::Int(n)) => {
            let l = Literal::i32_suffixed(int(*n, "int")?);
            quote!(#l)
        }
        (Scalar::I64, Const::Int(n)) => {
            let l = Literal::i64_suffixed(int(*n, "long")?);
            quote!(#l)
        }
        (Scalar::U64, Const::Int(n)) => {
            let l = Literal::u64_suffixed(int(*n, "u64")?);
            quote!(#l)
        }
        (Scalar::I8, Const::Int(n)) => {
            let l = Literal::i8_suffixed(int(*n, "i8")?);
            quote!(#l)
        }
        (Scalar::I16, Const::Int(n)) => {
            let l = Literal::i16_suffixed(int(*n, "i16")?);
            quote!(#l)
        }
        (Scalar::U8, Const::Int(n)) => {
            let l = Literal::u8_suffixed(int(*n, "u8")?);
            quote!(#l)
        }
        (Scalar::U16, Const::Int(n)) => {
            let l = Literal::u16_suffixed(int(*n, "u16")?);
            quote!(#l)
        }
        (Scalar::U32, Const::Int(n)) => {
            let l = Literal::u32_suffixed(int(*n, "u32")?);
            quote!(#l)
        }
        (Scalar::F32, Const::Float(f)) => float(*f, true),
        (Scalar::F64, Const::Float(f)) => float(*f, false),
        (Scalar::F32, Const::Int(n)) => float(*n as f64, true),
        (Scalar::F64, Const::Int(n)) => float(*n as f64, false),
        (Scalar::String, Const::String(v)) => {
            let l = lit_str(v);
            quote!(::std::string::String::from(#l))
        }
        (Scalar::Bytes, Const::Bytes(b)) => {
            let b = bytes_lit(b);
            quote!(::std::vec::Vec::from(#b))
        }
        (Scalar::FixedBytes(n), Const::Bytes(b)) if b.len() == n as usize => bytes_lit(b),
        (Scalar::Uuid, Const::String(v)) => {
            let u = uuid::Uuid::parse_str(v)
                .map_err(|e| format!("default {v:?} is not a uuid: {e}"))?;
            let n = Literal::u128_suffixed(u.as_u128());
            quote!(#p::uuid(#n))
        }
        (Scalar::Uuid, Const::Bytes(b)) => {
            let u = uuid::Uuid::from_slice(b).map_err(|e| format!("default is not a uuid: {e}"))?;
            let n = Literal::u128_suffixed(u.as_u128());
            quote!(#p::uuid(#n))
        }
        (
            Scalar::Decimal(
                DecimalWire::AvroBytes { precision, scale }
                | DecimalWire::AvroFixed {
                    precision, scale, ..
                },
            ),
            Const::Bytes(b),
        ) => {
            if precision <= SMALL_DECIMAL_DIGITS {
                if !unscaled_fits(b, precision) {
                    return Err(format!(
                        "default {b:?} has more than the decimal's {precision} digits"
                    ));
                }
                let b = bytes_lit(b);
                let scale = Literal::u32_suffixed(scale);
                quote!(#p::small_decimal(&#b, #scale))
            } else {
                let b = bytes_lit(b);
                let scale = Literal::i64_suffixed(i64::from(scale));
                quote!(#p::decimal(&#b, #scale))
            }
        }
        (Scalar::Decimal(w), Const::String(v)) => parse(v, decimal_type(w)),
        (Scalar::Date(TimeWire::AvroDays), Const::Int(n)) => {
            let n = Literal::i64_suffixed(int(*n, "date")?);
            quote!(#p::date(#n))
        }
        (Scalar::Time(w), Const::Int(n)) => {
            let micros = match w {
                TimeWire::AvroMillis => n.saturating_mul(1_000),
                TimeWire::AvroNanos => n / 1_000,
                _ => *n,
            };
            let n = Literal::i64_suffixed(int(micros, "time")?);
            quote!(#p::time_micros(#n))
        }
        (Scalar::Timestamp(w), Const::Int(n)) => {
            let (f, n) = timestamp_fn(w, *n)?;
            quote!(#p::#f(#n))
        }
        (Scalar::LocalTimestamp(w), Const::Int(n)) => {
            let (f, n) = timestamp_fn(w, *n)?;
            quote!(#p::#f(#n).naive_utc())
        }
        (Scalar::Date(_), Const::String(v)) => parse(v, quote!(::evreg_client::chrono::NaiveDate)),
        (Scalar::Time(_), Const::String(v)) => parse(v, quote!(::evreg_client::chrono::NaiveTime)),
        (Scalar::LocalTimestamp(_), Const::String(v)) => {
            parse(v, quote!(::evreg_client::chrono::NaiveDateTime))
        }
        (Scalar::Timestamp(_), Const::String(v)) => {
            let l = lit_str(v);
            quote!(::evreg_client::chrono::DateTime::parse_from_rfc3339(#l)
                .map(|t| t.to_utc())
                .unwrap_or_default())
        }
        (Scalar::Duration, Const::Bytes(b)) if b.len() == 12 => {
            let b = bytes_lit(b);
            quote!(#p::duration(#b))
        }
        (Scalar::Json, c) => {
            let text = const_to_json(c).to_string();
            let l = lit_str(&text);
            quote!(#p::json(#l))
        }
        (s, c) => return Err(format!("default {c:?} does not fit {s:?}")),
    })
}

fn timestamp_fn(w: TimeWire, n: i128) -> Result<(Ident, Literal), String> {
    let f = match w {
        TimeWire::AvroMicros => "timestamp_micros",
        TimeWire::AvroNanos => "timestamp_nanos",
        _ => "timestamp_millis",
    };
    Ok((
        Ident::new(f, Span::call_site()),
        Literal::i64_suffixed(int(n, "timestamp")?),
    ))
}

/// A constant as JSON (for the `serde_json::Value` fallback).
fn const_to_json(c: &Const) -> serde_json::Value {
    use serde_json::Value as J;
    match c {
        Const::Null => J::Null,
        Const::Bool(b) => J::Bool(*b),
        Const::Int(n) => i64::try_from(*n).map_or(J::Null, J::from),
        Const::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Const::String(s) => J::String(s.clone()),
        Const::Bytes(b) => J::String(b.iter().map(|x| char::from(*x)).collect()),
        Const::List(l) => J::Array(l.iter().map(const_to_json).collect()),
        Const::Map(m) => J::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), const_to_json(v)))
                .collect(),
        ),
        Const::Variant(_, Some(v)) => const_to_json(v),
        Const::Variant(name, None) => J::String(name.clone()),
        Const::Json(v) => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::unscaled_fits;

    #[test]
    fn unscaled_digits_are_counted_with_their_sign() {
        assert!(unscaled_fits(&[], 1));
        assert!(unscaled_fits(&[0xff, 0x38], 3)); // -200
        assert!(!unscaled_fits(&[0xff, 0x38], 2));
        assert!(unscaled_fits(&[0x00, 0x00, 0x00, 0x63], 2)); // 99, sign-extended
        assert!(!unscaled_fits(&[0x64], 2)); // 100
        // 10^28 - 1, the largest 28-digit value, and 10^28.
        let max = (10i128.pow(28) - 1).to_be_bytes();
        assert!(unscaled_fits(&max, 28));
        assert!(!unscaled_fits(&10i128.pow(28).to_be_bytes(), 28));
        // 17 bytes whose first only repeats the sign, and 17 that do not fit.
        let mut wide = vec![0xff];
        wide.extend_from_slice(&(-5i128).to_be_bytes());
        assert!(unscaled_fits(&wide, 1));
        let mut too_wide = vec![0x01];
        too_wide.extend_from_slice(&[0; 16]);
        assert!(!unscaled_fits(&too_wide, 28));
        // A positive value whose 16 bytes read as negative needs a 17th.
        let mut positive = vec![0x00];
        positive.extend_from_slice(&[0x80; 16]);
        assert!(!unscaled_fits(&positive, 28));
    }
}
