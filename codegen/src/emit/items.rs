//! Type definitions to items: structs, enums, newtypes, aliases.

use std::collections::BTreeSet;

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::doc_or;
use super::types::{codec, const_expr, ident, rust_type, with_path};
use crate::error::Error;
use crate::ir::{
    Constraints, EnumDef, EnumRepr, Field, NewtypeDef, Payload, Scalar, StructDef, TypeDef,
    TypeKind, TypePath, TypeRef, TypeSpace,
};
use crate::naming;

/// What every item emitter needs.
pub(crate) struct Ctx<'a> {
    pub space: &'a TypeSpace,
    /// Types that cannot derive `Eq` (they hold a float somewhere).
    pub no_eq: &'a BTreeSet<TypePath>,
    /// Types that get an `impl ReadDatum` (see `datum`).
    pub readable: &'a BTreeSet<TypePath>,
}

impl Ctx<'_> {
    fn derives(&self, path: &TypePath, extra: TokenStream) -> TokenStream {
        let eq = if self.no_eq.contains(path) {
            quote!()
        } else {
            quote!(Eq,)
        };
        quote!(#[derive(Debug, Clone, PartialEq, #eq #extra)])
    }

    fn bad_default(&self, def: &TypeDef, f: &Field, message: String) -> Error {
        Error::Schema {
            origin: f.origin.clone(),
            message: format!(
                "default of field '{}' of {}: {message}",
                f.wire_name, def.schema_name
            ),
        }
    }
}

/// Emits one definition.
pub(crate) fn emit_def(ctx: &Ctx<'_>, def: &TypeDef) -> Result<TokenStream, Error> {
    let doc = doc_or(def.doc.as_deref(), || format!("`{}`", def.schema_name));
    let body = match &def.kind {
        TypeKind::Struct(s) => emit_struct(ctx, def, s)?,
        TypeKind::Enum(e) => emit_enum(ctx, def, e)?,
        TypeKind::Newtype(n) => emit_newtype(ctx, def, n),
        TypeKind::Alias(t) => {
            let name = ident(&def.path.name);
            let t = rust_type(&def.path.module, t);
            quote!(pub type #name = #t;)
        }
    };
    // An event's `#[derive(Event)]` implements `SchemaName` itself.
    let schema_name = super::events::event_of(ctx.space, &def.path)
        .is_none()
        .then(|| schema_name_impl(def))
        .flatten();
    let read = super::datum::read_impl(def, ctx.readable);
    let write = super::datum::write_impl(def, ctx.readable);
    Ok(quote!(#doc #body #schema_name #read #write))
}

/// `impl SchemaName` for types that stand for a named schema type (an Avro record,
/// enum or fixed: a dotted name), so `#[derive(Event)]` can check field types.
fn schema_name_impl(def: &TypeDef) -> Option<TokenStream> {
    let n = &def.schema_name;
    let dotted = !n.is_empty()
        && n.split('.').all(|part| {
            part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if !dotted || matches!(def.kind, TypeKind::Alias(_)) {
        return None;
    }
    let name = ident(&def.path.name);
    Some(quote! {
        impl ::evreg_client::SchemaName for #name {
            const FULL_NAME: &'static str = #n;
        }
    })
}

/// A field's attributes (`#[doc] #[serde(..)]`), its `name: Type`, and its default
/// function, named `default_<prefix><field>` and called as `<owner>::default_..`.
fn field_parts(
    ctx: &Ctx<'_>,
    def: &TypeDef,
    owner: &str,
    prefix: &str,
    f: &Field,
) -> Result<(TokenStream, TokenStream, Option<TokenStream>), Error> {
    let module = &def.path.module;
    let mut attrs: Vec<TokenStream> = Vec::new();
    if f.wire_name != f.name.trim_start_matches("r#") {
        let w = Literal::string(&f.wire_name);
        attrs.push(quote!(rename = #w));
    }
    for a in &f.aliases {
        let a = Literal::string(a);
        attrs.push(quote!(alias = #a));
    }
    let mut default_fn = None;
    if let Some(c) = &f.default {
        let expr =
            const_expr(ctx.space, module, &f.ty, c, 0).map_err(|m| ctx.bad_default(def, f, m))?;
        let fname = ident(&format!(
            "default_{prefix}{}",
            naming::snake_fragment(&f.name)
        ));
        let path = Literal::string(&format!("{owner}::{fname}"));
        attrs.push(quote!(default = #path));
        let ty = rust_type(module, &f.ty);
        default_fn = Some(if f.ty == TypeRef::Scalar(Scalar::Unit) {
            // `-> () { () }` is noise clippy objects to.
            quote!(fn #fname() {})
        } else {
            quote!(fn #fname() -> #ty { #expr })
        });
    }
    if let Some(c) = codec(&f.ty) {
        let w = Literal::string(&with_path(&c));
        attrs.push(quote!(with = #w));
    }
    if f.skip_if_none {
        attrs.push(quote!(
            skip_serializing_if = "::std::option::Option::is_none"
        ));
    }
    if f.flatten {
        attrs.push(quote!(flatten));
    }
    let serde = if attrs.is_empty() {
        quote!()
    } else {
        quote!(#[serde(#(#attrs),*)])
    };
    let doc = doc_or(f.doc.as_deref(), || format!("`{}`", f.wire_name));
    let name = ident(&f.name);
    let ty = rust_type(module, &f.ty);
    Ok((quote!(#doc #serde), quote!(#name: #ty), default_fn))
}

fn emit_struct(ctx: &Ctx<'_>, def: &TypeDef, s: &StructDef) -> Result<TokenStream, Error> {
    let name = ident(&def.path.name);
    let (event_derive, event_attr) =
        super::events::derive(ctx.space, &def.path, ctx.readable.contains(&def.path));
    let derives = ctx.derives(
        &def.path,
        quote!(::serde::Serialize, ::serde::Deserialize #event_derive),
    );
    let container = if s.deny_unknown_fields {
        quote!(#[serde(deny_unknown_fields)])
    } else {
        quote!()
    };
    let mut fields = Vec::with_capacity(s.fields.len());
    let mut fns = Vec::new();
    for f in &s.fields {
        let (attrs, field, default_fn) = field_parts(ctx, def, &def.path.name, "", f)?;
        fields.push(quote!(#attrs pub #field));
        fns.extend(default_fn);
    }
    let defaults = if fns.is_empty() {
        quote!()
    } else {
        quote!(impl #name { #(#fns)* })
    };
    Ok(quote! {
        #derives
        #event_attr
        #container
        pub struct #name { #(#fields),* }
        #defaults
    })
}

fn repr_attrs(repr: &EnumRepr) -> TokenStream {
    match repr {
        EnumRepr::External | EnumRepr::AvroUnion { .. } => quote!(),
        EnumRepr::Internal { tag } => quote!(#[serde(tag = #tag)]),
        EnumRepr::Adjacent { tag, content } => quote!(#[serde(tag = #tag, content = #content)]),
        EnumRepr::Untagged => quote!(#[serde(untagged)]),
    }
}

fn emit_enum(ctx: &Ctx<'_>, def: &TypeDef, e: &EnumDef) -> Result<TokenStream, Error> {
    let name = ident(&def.path.name);
    let module = &def.path.module;
    let all_unit = e.variants.iter().all(|v| v.payload == Payload::Unit);
    let union = matches!(e.repr, EnumRepr::AvroUnion { .. });
    let mut fns = Vec::new();
    let mut variants = Vec::with_capacity(e.variants.len());
    for v in &e.variants {
        let vname = ident(&v.name);
        let doc = doc_or(v.doc.as_deref(), || format!("`{}`", v.wire_name));
        let mut attrs = Vec::new();
        if v.wire_name != v.name.trim_start_matches("r#") || union {
            let w = Literal::string(&v.wire_name);
            attrs.push(quote!(rename = #w));
        }
        for a in &v.aliases {
            let a = Literal::string(a);
            attrs.push(quote!(alias = #a));
        }
        let serde = if attrs.is_empty() {
            quote!()
        } else {
            quote!(#[serde(#(#attrs),*)])
        };
        let default = if e.default_variant.as_deref() == Some(v.name.as_str()) && all_unit {
            quote!(#[default])
        } else {
            quote!()
        };
        let body = match &v.payload {
            Payload::Unit => quote!(),
            Payload::Newtype(t) => {
                let ty = rust_type(module, t);
                let with = match codec(t) {
                    // A union enum only derives Deserialize (see `union_serialize`).
                    Some(c) if union => {
                        let p = Literal::string(&format!("{}::deserialize", with_path(&c)));
                        quote!(#[serde(deserialize_with = #p)])
                    }
                    Some(c) => {
                        let p = Literal::string(&with_path(&c));
                        quote!(#[serde(with = #p)])
                    }
                    None => quote!(),
                };
                quote!((#with #ty))
            }
            Payload::Struct(fields) => {
                // Variants may share field names, so their default functions carry
                // the variant's name too.
                let prefix = format!("{}_", naming::snake_fragment(&v.name));
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    let (attrs, field, default_fn) =
                        field_parts(ctx, def, &def.path.name, &prefix, f)?;
                    out.push(quote!(#attrs #field));
                    fns.extend(default_fn);
                }
                quote!({ #(#out),* })
            }
        };
        variants.push(quote!(#doc #serde #default #vname #body));
    }
    let derive_extra = if union {
        quote!(::serde::Deserialize)
    } else {
        quote!(::serde::Serialize, ::serde::Deserialize)
    };
    let derives = if all_unit && !union {
        let default = if e.default_variant.is_some() {
            quote!(Default,)
        } else {
            quote!()
        };
        quote!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, #default #derive_extra)])
    } else {
        ctx.derives(&def.path, derive_extra)
    };
    let repr = repr_attrs(&e.repr);
    let ser = match e.repr {
        EnumRepr::AvroUnion { tagged } => union_serialize(def, e, tagged),
        _ => quote!(),
    };
    let defaults = if fns.is_empty() {
        quote!()
    } else {
        quote!(impl #name { #(#fns)* })
    };
    let allow = if all_unit {
        quote!(#[allow(clippy::enum_variant_names)])
    } else {
        quote!(#[allow(clippy::large_enum_variant, clippy::enum_variant_names)])
    };
    Ok(quote! {
        #derives
        #repr
        #allow
        pub enum #name { #(#variants),* }
        #ser
        #defaults
    })
}

/// `Serialize` for an Avro union: bare values for apache-avro (unless the union is
/// ambiguous, see `EnumRepr::AvroUnion`), `{"branch": value}` when human-readable.
fn union_serialize(def: &TypeDef, e: &EnumDef, tagged: bool) -> TokenStream {
    let name = ident(&def.path.name);
    let name_str = Literal::string(&def.path.name);
    let module = &def.path.module;
    let arms = e.variants.iter().enumerate().map(|(i, v)| {
        let vname = ident(&v.name);
        let wire = Literal::string(&v.wire_name);
        let idx = Literal::u32_suffixed(i as u32);
        match &v.payload {
            Payload::Newtype(t) => {
                let value = match codec(t) {
                    Some(c) => {
                        let ty = rust_type(module, t);
                        quote!(&::evreg_client::codec::SerializeAsWrap::<#ty, #c>::new(value))
                    }
                    None => quote!(value),
                };
                if tagged {
                    quote!(Self::#vname(value) => serializer.serialize_newtype_variant(#name_str, #idx, #wire, #value))
                } else {
                    quote!(Self::#vname(value) => if serializer.is_human_readable() {
                        serializer.serialize_newtype_variant(#name_str, #idx, #wire, #value)
                    } else {
                        ::serde::Serialize::serialize(#value, serializer)
                    })
                }
            }
            _ => quote!(Self::#vname => if serializer.is_human_readable() {
                serializer.serialize_unit_variant(#name_str, #idx, #wire)
            } else {
                serializer.serialize_unit()
            }),
        }
    });
    quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
            where
                S: ::serde::Serializer,
            {
                match self { #(#arms),* }
            }
        }
    }
}

fn emit_newtype(ctx: &Ctx<'_>, def: &TypeDef, n: &NewtypeDef) -> TokenStream {
    let name = ident(&def.path.name);
    let module = &def.path.module;
    let ty = rust_type(module, &n.inner);
    let c = codec(&n.inner);
    if n.constraints.is_empty() {
        let derives = ctx.derives(&def.path, quote!(::serde::Serialize, ::serde::Deserialize));
        let with = match &c {
            Some(c) => {
                let p = Literal::string(&with_path(c));
                quote!(#[serde(with = #p)])
            }
            None => quote!(),
        };
        return quote! {
            #derives
            #[serde(transparent)]
            pub struct #name(#with pub #ty);
        };
    }
    let derives = ctx.derives(&def.path, quote!(::serde::Serialize));
    let ser_with = match &c {
        Some(c) => {
            let p = Literal::string(&format!("{}::serialize", with_path(c)));
            quote!(#[serde(serialize_with = #p)])
        }
        None => quote!(),
    };
    let read = match &c {
        Some(c) => quote!(::evreg_client::codec::As::<#c>::deserialize(deserializer)?),
        None => quote!(<#ty as ::serde::Deserialize>::deserialize(deserializer)?),
    };
    let checks = checks(&def.path.name, &n.inner, &n.constraints);
    quote! {
        #derives
        #[serde(transparent)]
        pub struct #name(#ser_with #ty);

        impl #name {
            /// Checks `value` against the schema's constraints.
            pub fn new(value: #ty) -> ::std::result::Result<Self, ::evreg_client::ValidationError> {
                #checks
                ::std::result::Result::Ok(Self(value))
            }

            /// The value.
            pub fn get(&self) -> &#ty {
                &self.0
            }

            /// The value, by move.
            pub fn into_inner(self) -> #ty {
                self.0
            }

            #[doc(hidden)]
            pub fn __evgen_unchecked(value: #ty) -> Self {
                Self(value)
            }
        }

        impl ::std::convert::TryFrom<#ty> for #name {
            type Error = ::evreg_client::ValidationError;
            fn try_from(value: #ty) -> ::std::result::Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
            where
                D: ::serde::Deserializer<'de>,
            {
                let value: #ty = #read;
                Self::new(value).map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    }
}

fn opt_u64(v: Option<u64>) -> TokenStream {
    match v {
        Some(n) => {
            let l = Literal::u64_suffixed(n);
            quote!(::std::option::Option::Some(#l))
        }
        None => quote!(::std::option::Option::None),
    }
}

fn opt_f64(v: Option<f64>) -> TokenStream {
    match v.filter(|f| f.is_finite()) {
        Some(n) => {
            let l = Literal::f64_suffixed(n);
            quote!(::std::option::Option::Some(#l))
        }
        None => quote!(::std::option::Option::None),
    }
}

fn checks(type_name: &str, inner: &TypeRef, c: &Constraints) -> TokenStream {
    let v = quote!(::evreg_client::validate);
    let tn = Literal::string(type_name);
    let mut out = Vec::new();
    let (min, max) = (opt_u64(c.min_length), opt_u64(c.max_length));
    let has_len = c.min_length.is_some() || c.max_length.is_some();
    match inner {
        TypeRef::Scalar(Scalar::String) => {
            if has_len {
                out.push(quote!(#v::length(#tn, value.chars().count(), #min, #max)?;));
            }
            if let Some(p) = &c.pattern {
                let p = Literal::string(p);
                out.push(quote! {
                    static PATTERN: ::std::sync::LazyLock<
                        ::std::result::Result<::evreg_client::regex::Regex, ::evreg_client::regex::Error>,
                    > = ::std::sync::LazyLock::new(|| ::evreg_client::regex::Regex::new(#p));
                    #v::pattern(#tn, &value, &PATTERN)?;
                });
            }
        }
        TypeRef::List(_) | TypeRef::Map(_) => {
            if has_len {
                out.push(quote!(#v::length(#tn, value.len(), #min, #max)?;));
            }
            if let (TypeRef::Map(_), Some(p)) = (inner, &c.pattern) {
                let p = Literal::string(p);
                out.push(quote! {
                    static PATTERN: ::std::sync::LazyLock<
                        ::std::result::Result<::evreg_client::regex::Regex, ::evreg_client::regex::Error>,
                    > = ::std::sync::LazyLock::new(|| ::evreg_client::regex::Regex::new(#p));
                    for key in value.keys() {
                        #v::pattern(#tn, key, &PATTERN)?;
                    }
                });
            }
            if matches!(inner, TypeRef::List(_)) && c.unique_items {
                out.push(quote! {
                    if (1..value.len()).any(|i| value[..i].contains(&value[i])) {
                        return ::std::result::Result::Err(::evreg_client::ValidationError::new(
                            #tn,
                            "the items are not unique",
                        ));
                    }
                });
            }
        }
        TypeRef::Scalar(
            s @ (Scalar::I8
            | Scalar::I16
            | Scalar::I32
            | Scalar::I64
            | Scalar::U8
            | Scalar::U16
            | Scalar::U32
            | Scalar::U64
            | Scalar::F32
            | Scalar::F64),
        ) => {
            let as_f64 = match s {
                Scalar::I8
                | Scalar::I16
                | Scalar::I32
                | Scalar::U8
                | Scalar::U16
                | Scalar::U32
                | Scalar::F32 => {
                    quote!(f64::from(value))
                }
                Scalar::F64 => quote!(value),
                // Schema bounds are f64 too; beyond 2^53 both sides round alike.
                _ => quote!(value as f64),
            };
            let (a, b, x, y, m) = (
                opt_f64(c.minimum),
                opt_f64(c.maximum),
                opt_f64(c.exclusive_minimum),
                opt_f64(c.exclusive_maximum),
                opt_f64(c.multiple_of),
            );
            out.push(quote! {
                #v::number(#tn, #as_f64, #v::Bounds {
                    minimum: #a, maximum: #b, exclusive_minimum: #x, exclusive_maximum: #y, multiple_of: #m,
                })?;
            });
        }
        _ => {}
    }
    quote!(#(#out)*)
}
