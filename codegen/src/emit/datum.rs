//! `impl ReadDatum` and `impl WriteDatum`: Avro binary straight into and out
//! of a generated type.
//!
//! Written for the structs and enums whose every part has a direct reader and
//! writer (`evreg_client::avro::datum`): Avro scalars and logical types,
//! options, lists, maps, boxes, and other such types. A type with anything else (a
//! JSON Schema form, a `duration`, a `big-decimal`, a newtype, a struct
//! variant) gets none and is read through serde, as are the types holding it.

use std::collections::BTreeSet;

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::types::{codec, ident, rust_type};
use crate::ir::{
    DecimalWire, EnumDef, EnumRepr, Payload, Scalar, StructDef, TimeWire, TypeDef, TypeKind,
    TypePath, TypeRef, TypeSpace,
};

fn scalar_readable(s: Scalar) -> bool {
    let avro_time = |w: TimeWire| {
        matches!(
            w,
            TimeWire::AvroMillis | TimeWire::AvroMicros | TimeWire::AvroNanos
        )
    };
    match s {
        Scalar::Unit
        | Scalar::Bool
        | Scalar::I32
        | Scalar::I64
        | Scalar::F32
        | Scalar::F64
        | Scalar::String
        | Scalar::Bytes
        | Scalar::FixedBytes(_)
        | Scalar::Uuid
        | Scalar::Decimal(DecimalWire::AvroBytes { .. } | DecimalWire::AvroFixed { .. })
        | Scalar::Date(TimeWire::AvroDays) => true,
        Scalar::Time(w) => matches!(w, TimeWire::AvroMillis | TimeWire::AvroMicros),
        Scalar::Timestamp(w) | Scalar::LocalTimestamp(w) => avro_time(w),
        _ => false,
    }
}

fn ty_readable(ty: &TypeRef, set: &BTreeSet<TypePath>) -> bool {
    match ty {
        TypeRef::Scalar(s) => scalar_readable(*s),
        TypeRef::Option { inner, .. }
        | TypeRef::List(inner)
        | TypeRef::Map(inner)
        | TypeRef::Boxed(inner) => ty_readable(inner, set),
        TypeRef::Named(p) => set.contains(p),
    }
}

fn def_readable(def: &TypeDef, set: &BTreeSet<TypePath>) -> bool {
    // JSON Schema types are never Avro data: no reader for them, even where
    // their shapes would allow one (an impl would be dead code, not wrong).
    if def.origin.file.ends_with(".json") {
        return false;
    }
    match &def.kind {
        TypeKind::Struct(s) => s
            .fields
            .iter()
            .all(|f| !f.flatten && !f.skip_if_none && ty_readable(&f.ty, set)),
        TypeKind::Enum(e) if e.variants.is_empty() => false,
        TypeKind::Enum(e) => match e.repr {
            EnumRepr::External => e.variants.iter().all(|v| v.payload == Payload::Unit),
            EnumRepr::AvroUnion { .. } => e.variants.iter().all(|v| match &v.payload {
                Payload::Unit => true,
                Payload::Newtype(t) => ty_readable(t, set),
                Payload::Struct(_) => false,
            }),
            _ => false,
        },
        TypeKind::Newtype(_) | TypeKind::Alias(_) => false,
    }
}

/// The types that get a `ReadDatum` impl: the largest set whose members only
/// refer to members (so recursive types through `Box` qualify).
pub(crate) fn readable_types(space: &TypeSpace) -> BTreeSet<TypePath> {
    let mut set: BTreeSet<TypePath> = space
        .types
        .iter()
        .filter(|(_, d)| matches!(d.kind, TypeKind::Struct(_) | TypeKind::Enum(_)))
        .map(|(p, _)| p.clone())
        .collect();
    loop {
        let out: Vec<TypePath> = set
            .iter()
            .filter(|p| !space.types.get(*p).is_some_and(|d| def_readable(d, &set)))
            .cloned()
            .collect();
        if out.is_empty() {
            return set;
        }
        for p in out {
            set.remove(&p);
        }
    }
}

/// The expression reading one value of `ty`, seen from module `from`.
fn read_expr(from: &[String], ty: &TypeRef) -> TokenStream {
    let d = quote!(::evreg_client::avro::datum);
    match codec(ty) {
        Some(c) => quote!(<#c as #d::ReadAs<_>>::read_as(input)?),
        None => {
            let t = rust_type(from, ty);
            quote!(<#t as #d::ReadDatum>::read_datum(input)?)
        }
    }
}

/// The statement writing `value` (a reference) of type `ty`.
fn write_stmt(ty: &TypeRef, value: TokenStream) -> TokenStream {
    let d = quote!(::evreg_client::avro::datum);
    match codec(ty) {
        Some(c) => quote!(<#c as #d::WriteAs<_>>::write_as(#value, out)?;),
        None => quote!(#d::WriteDatum::write_datum(#value, out)?;),
    }
}

/// `impl WriteDatum` for `def`, when it is in `readable` (the same types).
pub(crate) fn write_impl(def: &TypeDef, readable: &BTreeSet<TypePath>) -> Option<TokenStream> {
    if !readable.contains(&def.path) {
        return None;
    }
    let name = ident(&def.path.name);
    let d = quote!(::evreg_client::avro::datum);
    let body = match &def.kind {
        TypeKind::Struct(StructDef { fields, .. }) => {
            let writes = fields.iter().map(|f| {
                let fname = ident(&f.name);
                write_stmt(&f.ty, quote!(&self.#fname))
            });
            quote!(#(#writes)*)
        }
        TypeKind::Enum(EnumDef { variants, .. }) => {
            let arms = variants.iter().enumerate().map(|(i, v)| {
                let vname = ident(&v.name);
                let i = Literal::i64_unsuffixed(i as i64);
                match &v.payload {
                    Payload::Newtype(t) => {
                        let write = write_stmt(t, quote!(value));
                        quote!(Self::#vname(value) => { #d::push_long(out, #i); #write })
                    }
                    _ => quote!(Self::#vname => #d::push_long(out, #i),),
                }
            });
            quote!(match self { #(#arms)* })
        }
        TypeKind::Newtype(_) | TypeKind::Alias(_) => return None,
    };
    let out = if matches!(&def.kind, TypeKind::Struct(StructDef { fields, .. }) if fields.is_empty())
    {
        quote!(_out)
    } else {
        quote!(out)
    };
    Some(quote! {
        impl #d::WriteDatum for #name {
            fn write_datum(
                &self,
                #out: &mut ::std::vec::Vec<u8>,
            ) -> ::core::result::Result<(), ::evreg_client::avro::EncodeError> {
                #body
                ::core::result::Result::Ok(())
            }
        }
    })
}

/// `impl ReadDatum` for `def`, when it is in `readable`.
pub(crate) fn read_impl(def: &TypeDef, readable: &BTreeSet<TypePath>) -> Option<TokenStream> {
    if !readable.contains(&def.path) {
        return None;
    }
    let name = ident(&def.path.name);
    let module = &def.path.module;
    let body = match &def.kind {
        TypeKind::Struct(StructDef { fields, .. }) if fields.is_empty() => {
            // An empty record takes no bytes.
            quote!(let _ = input; ::core::result::Result::Ok(Self {}))
        }
        TypeKind::Struct(StructDef { fields, .. }) => {
            // Struct expressions evaluate their fields in the order written:
            // schema order, the order of the datum.
            let fields = fields.iter().map(|f| {
                let fname = ident(&f.name);
                let read = read_expr(module, &f.ty);
                quote!(#fname: #read)
            });
            quote!(::core::result::Result::Ok(Self { #(#fields),* }))
        }
        TypeKind::Enum(EnumDef { variants, repr, .. }) => {
            let count = Literal::usize_unsuffixed(variants.len());
            let index = match repr {
                EnumRepr::AvroUnion { .. } => {
                    quote!(::evreg_client::avro::datum::branch(input, #count)?)
                }
                _ => {
                    let schema_name = &def.schema_name;
                    quote!(::evreg_client::avro::datum::symbol(input, #schema_name, #count)?)
                }
            };
            if let [only] = variants.as_slice() {
                // One branch: nothing to pick, but its index is still read.
                let vname = ident(&only.name);
                let value = match &only.payload {
                    Payload::Newtype(t) => {
                        let read = read_expr(module, t);
                        quote!(Self::#vname(#read))
                    }
                    _ => quote!(Self::#vname),
                };
                return Some(impl_for(
                    &name,
                    quote!(#index; ::core::result::Result::Ok(#value)),
                ));
            }
            let last = variants.len() - 1;
            let arms = variants.iter().enumerate().map(|(i, v)| {
                let vname = ident(&v.name);
                // The reader checked the index: the last arm takes the rest.
                let pat = if i == last {
                    quote!(_)
                } else {
                    let i = Literal::usize_unsuffixed(i);
                    quote!(#i)
                };
                match &v.payload {
                    Payload::Newtype(t) => {
                        let read = read_expr(module, t);
                        quote!(#pat => Self::#vname(#read))
                    }
                    _ => quote!(#pat => Self::#vname),
                }
            });
            quote!(::core::result::Result::Ok(match #index { #(#arms),* }))
        }
        TypeKind::Newtype(_) | TypeKind::Alias(_) => return None,
    };
    Some(impl_for(&name, body))
}

fn impl_for(name: &proc_macro2::Ident, body: TokenStream) -> TokenStream {
    quote! {
        impl ::evreg_client::avro::datum::ReadDatum for #name {
            fn read_datum(
                input: &mut &[u8],
            ) -> ::core::result::Result<Self, ::evreg_client::avro::DecodeError> {
                #body
            }
        }
    }
}
