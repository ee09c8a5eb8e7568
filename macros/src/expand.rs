//! From a parsed item and its schema to the impls, or to spanned errors.

use std::collections::{BTreeMap, BTreeSet};

use evreg_core::avro::model::{Model, Node};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::attr::{self, EventAttr};
use crate::check::{self, Verdict};
use crate::check_json;
use crate::load::{self, Body, Loaded};

/// Expands `#[derive(Event)]`. Never panics: every problem is a spanned
/// compile error, all reported at once, next to a fallback impl so that one
/// mistake does not cascade into unrelated ones.
pub(crate) fn derive(input: &DeriveInput, source_dir: Option<&std::path::Path>) -> TokenStream {
    let mut errors = Vec::new();
    let attrs = attr::parse_event_attrs(&input.attrs, &mut errors);
    let expanded = expand(input, &attrs, source_dir, &mut errors);
    if errors.is_empty() {
        return expanded;
    }
    let compile_errors = errors.iter().map(syn::Error::to_compile_error);
    let fallback = fallback(input);
    quote! { #(#compile_errors)* #fallback }
}

fn fallback(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    quote! {
        impl #impl_g ::evreg_client::SchemaName for #ident #ty_g #where_g {
            const FULL_NAME: &'static str = "";
        }
    }
}

/// Loads the schema the attribute names: a file (`schema`) or inline text
/// (`schema_text`, with `schema_type`).
fn load_schema(
    input: &DeriveInput,
    attrs: &EventAttr,
    source_dir: Option<&std::path::Path>,
    errors: &mut Vec<syn::Error>,
) -> Option<(Loaded, String)> {
    let json = match &attrs.schema_type {
        None => None,
        Some(t) => match t.value().to_ascii_uppercase().as_str() {
            "AVRO" => Some(false),
            "JSON" => Some(true),
            other => {
                errors.push(syn::Error::new(
                    t.span(),
                    format!("unknown schema_type `{other}`; expected AVRO or JSON"),
                ));
                return None;
            }
        },
    };
    match (&attrs.schema, &attrs.schema_text) {
        (Some(_), Some(text)) => {
            errors.push(syn::Error::new(
                text.span(),
                "give the schema once: either `schema = \"path\"` or `schema_text = \"..\"`, not both",
            ));
            None
        }
        (None, None) => {
            errors.push(syn::Error::new(
                input.ident.span(),
                "#[derive(Event)] needs #[event(schema = \"path/to/schema.avsc\")] (relative to the crate; .avsc or JSON Schema .json) or #[event(schema_text = \"..\")]",
            ));
            None
        }
        (Some(file), None) => {
            let path = file.value();
            let is_json = path.ends_with(".json");
            if let (Some(t), Some(j)) = (&attrs.schema_type, json)
                && j != is_json
            {
                errors.push(syn::Error::new(
                    t.span(),
                    format!("schema_type `{}` contradicts the schema file {path}, whose extension says {}", t.value(), if is_json { "JSON" } else { "AVRO" }),
                ));
                return None;
            }
            match load::load_file(
                &path,
                source_dir,
                attrs.event_type.as_ref().map(LitStr::value).as_deref(),
            ) {
                Ok(l) => Some((l, path)),
                Err(message) => {
                    errors.push(syn::Error::new(file.span(), message));
                    None
                }
            }
        }
        (None, Some(text)) => {
            match load::load_inline(&text.value(), json.unwrap_or(false), "schema_text") {
                Ok(l) => Some((l, "schema_text".to_owned())),
                Err(message) => {
                    errors.push(syn::Error::new(text.span(), message));
                    None
                }
            }
        }
    }
}

/// The span errors about the whole schema point at.
fn schema_span(attrs: &EventAttr, input: &DeriveInput) -> Span {
    attrs
        .schema
        .as_ref()
        .or(attrs.schema_text.as_ref())
        .map_or(input.ident.span(), LitStr::span)
}

fn expand(
    input: &DeriveInput,
    attrs: &EventAttr,
    source_dir: Option<&std::path::Path>,
    errors: &mut Vec<syn::Error>,
) -> TokenStream {
    let Some((loaded, file)) = load_schema(input, attrs, source_dir, errors) else {
        return TokenStream::new();
    };
    let mut assertions = Vec::new();
    let mut fields_by_wire: BTreeMap<String, (syn::Ident, bool)> = BTreeMap::new();
    let full_name = match &loaded.body {
        Body::Avro(schema) => {
            let Some(full_name) = check_avro(
                input,
                attrs,
                schema.model(),
                &file,
                errors,
                &mut assertions,
                &mut fields_by_wire,
            ) else {
                return TokenStream::new();
            };
            full_name
        }
        Body::Json(root) => {
            if let Some(name) = &attrs.name {
                errors.push(syn::Error::new(
                    name.span(),
                    "`name` picks a named Avro type; a JSON Schema is checked from its root",
                ));
            }
            let full_name = root
                .get("title")
                .and_then(serde_json::Value::as_str)
                .map_or_else(|| input.ident.to_string(), str::to_owned);
            check_json_root(input, root, &file, &full_name, errors, &mut fields_by_wire);
            full_name
        }
    };

    let ident = &input.ident;
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    // Rebuild when the schema file changes.
    let rebuild = loaded.path.as_ref().map(|p| {
        let path = p.to_string_lossy().into_owned();
        quote!(
            const _: &str = include_str!(#path);
        )
    });
    let mut out = quote! {
        #rebuild
        impl #impl_g ::evreg_client::SchemaName for #ident #ty_g #where_g {
            const FULL_NAME: &'static str = #full_name;
        }
        #(#assertions)*
    };
    if let Some(event_type) = &attrs.event_type {
        out.extend(event_meta(
            input,
            attrs,
            &loaded,
            event_type,
            &full_name,
            &fields_by_wire,
            errors,
        ));
    }
    out
}

/// Checks the item against an Avro schema; the full name of the type it was
/// checked against, or `None` when the schema has no type to check against.
#[allow(clippy::too_many_arguments)]
fn check_avro(
    input: &DeriveInput,
    attrs: &EventAttr,
    model: &Model,
    file: &str,
    errors: &mut Vec<syn::Error>,
    assertions: &mut Vec<TokenStream>,
    fields_by_wire: &mut BTreeMap<String, (syn::Ident, bool)>,
) -> Option<String> {
    let (node_id, full_name) = match &attrs.name {
        Some(name) => match model.named.get(&name.value()) {
            Some(id) => (*id, name.value()),
            None => {
                errors.push(syn::Error::new(
                    name.span(),
                    format!(
                        "schema file {file} defines no type named '{}'",
                        name.value()
                    ),
                ));
                return None;
            }
        },
        None => match model.node(model.root).name() {
            Some(n) => (model.root, n.fullname()),
            None => {
                errors.push(syn::Error::new(
                    schema_span(attrs, input),
                    format!("the root of {file} is not a named type (record, enum or fixed)"),
                ));
                return None;
            }
        },
    };
    match (&input.data, model.node(node_id)) {
        (Data::Struct(data), Node::Record { fields, .. }) => check_struct(
            input,
            data,
            model,
            fields,
            file,
            &full_name,
            errors,
            assertions,
            fields_by_wire,
        ),
        (Data::Enum(data), Node::Enum { symbols, .. }) => {
            check_enum(input, data, symbols, file, &full_name, errors)
        }
        (_, node) => errors.push(syn::Error::new(
            input.ident.span(),
            format!(
                "schema type '{full_name}' in {file} is {}, which a Rust {} cannot represent",
                node.type_name().to_lowercase(),
                data_kind(input)
            ),
        )),
    }
    Some(full_name)
}

fn data_kind(input: &DeriveInput) -> &'static str {
    match input.data {
        Data::Struct(_) => "struct",
        Data::Enum(_) => "enum",
        Data::Union(_) => "union",
    }
}

/// Checks the item against a JSON Schema: a struct against an object schema,
/// an enum against an `enum` of strings.
fn check_json_root(
    input: &DeriveInput,
    root: &serde_json::Value,
    file: &str,
    full_name: &str,
    errors: &mut Vec<syn::Error>,
    by_wire: &mut BTreeMap<String, (syn::Ident, bool)>,
) {
    let (node, _) = check_json::resolve(root, root, String::new());
    match (&input.data, check_json::enum_symbols(node)) {
        (Data::Enum(data), Some(symbols)) => {
            check_enum(input, data, &symbols, file, full_name, errors)
        }
        (Data::Struct(data), None) if check_json::is_object(node) => {
            check_struct_json(input, data, root, file, errors, by_wire)
        }
        _ => errors.push(syn::Error::new(
            input.ident.span(),
            format!(
                "the root of JSON Schema {file} is {}, which a Rust {} cannot represent (a struct needs an object schema, an enum an `enum` of strings)",
                check_json::describe(root, root),
                data_kind(input)
            ),
        )),
    }
}

fn check_struct_json(
    input: &DeriveInput,
    data: &syn::DataStruct,
    root: &serde_json::Value,
    file: &str,
    errors: &mut Vec<syn::Error>,
    by_wire: &mut BTreeMap<String, (syn::Ident, bool)>,
) {
    let Fields::Named(named) = &data.fields else {
        errors.push(syn::Error::new(
            input.ident.span(),
            format!("the object schema {file} needs a struct with named fields"),
        ));
        return;
    };
    let object = check_json::object(root, root, "");
    let rule = attr::rename_all(&input.attrs);
    let mut seen = BTreeSet::new();
    for field in &named.named {
        let Some(ident) = &field.ident else { continue };
        let serde = attr::serde_name(&field.attrs);
        if serde.skip || serde.flatten {
            continue;
        }
        let wire = serde
            .rename
            .unwrap_or_else(|| attr::apply(rule, &ident.to_string(), false));
        let Some(property) = object.properties.iter().find(|p| p.name == wire) else {
            errors.push(syn::Error::new(
                ident.span(),
                format!("field `{ident}` (`{wire}` on the wire) is not a property of {file}; remove it, rename it, or mark it #[serde(skip)]"),
            ));
            continue;
        };
        seen.insert(wire.clone());
        let rust_option = check_json::option_inner(&field.ty);
        by_wire.insert(wire.clone(), (ident.clone(), rust_option.is_some()));
        let at = format!("{file}#{}", property.at);
        let required = object.required.contains(&wire);
        let (nullable, inner) = check_json::split_null(root, property.schema);
        let schema_type = check_json::describe(root, property.schema);
        let rust = quote::ToTokens::to_token_stream(&field.ty)
            .to_string()
            .replace(' ', "");
        // Absence and null are what an Option stands for; a default covers absence.
        let shape = match rust_option {
            Some(_) if required && !nullable => Some(format!(
                "field `{ident}`: schema property '{wire}' ({at}) is required and not nullable ({schema_type}), so the Rust type must not be an Option, found {rust}"
            )),
            None if nullable => Some(format!(
                "field `{ident}`: schema property '{wire}' ({at}) is nullable ({schema_type}), so the Rust type must be an Option, found {rust}"
            )),
            None if !required && !serde.default => Some(format!(
                "field `{ident}`: schema property '{wire}' ({at}) is optional (not in `required`), so the Rust type must be an Option or have #[serde(default)], found {rust}"
            )),
            _ => None,
        };
        if let Some(message) = shape {
            errors.push(syn::Error::new(field.ty.span(), message));
            continue;
        }
        let ty = rust_option.unwrap_or(&field.ty);
        if let check_json::Verdict::Mismatch(expected) = check_json::check_type(root, inner, ty, 0)
        {
            errors.push(syn::Error::new(
                field.ty.span(),
                format!(
                    "field `{ident}`: schema property '{wire}' ({at}) has type {schema_type}, which the Rust type {rust} cannot hold; expected {}",
                    if rust_option.is_some() { format!("Option<{expected}>") } else { expected }
                ),
            ));
        }
    }
    for p in &object.properties {
        if !seen.contains(&p.name) {
            let required = object.required.contains(&p.name);
            errors.push(syn::Error::new(
                input.ident.span(),
                format!(
                    "missing field: {} property '{}' ({file}#{}) has type {}, which `{}` lacks",
                    if required { "required" } else { "optional" },
                    p.name,
                    p.at,
                    check_json::describe(root, p.schema),
                    input.ident
                ),
            ));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_struct(
    input: &DeriveInput,
    data: &syn::DataStruct,
    model: &Model,
    schema_fields: &[evreg_core::avro::model::Field],
    file: &str,
    record: &str,
    errors: &mut Vec<syn::Error>,
    assertions: &mut Vec<TokenStream>,
    by_wire: &mut BTreeMap<String, (syn::Ident, bool)>,
) {
    let Fields::Named(named) = &data.fields else {
        errors.push(syn::Error::new(
            input.ident.span(),
            format!("record '{record}' in {file} needs a struct with named fields"),
        ));
        return;
    };
    let rule = attr::rename_all(&input.attrs);
    let mut seen = BTreeSet::new();
    for field in &named.named {
        let Some(ident) = &field.ident else { continue };
        let serde = attr::serde_name(&field.attrs);
        if serde.skip {
            continue;
        }
        let wire = serde
            .rename
            .unwrap_or_else(|| attr::apply(rule, &ident.to_string(), false));
        let Some((index, schema_field)) = schema_fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == wire)
        else {
            errors.push(syn::Error::new(
                ident.span(),
                format!("field `{ident}` (`{wire}` on the wire) is not in record '{record}' of {file}; remove it, rename it, or mark it #[serde(skip)]"),
            ));
            continue;
        };
        seen.insert(wire.clone());
        by_wire.insert(
            wire.clone(),
            (
                ident.clone(),
                check::nullable(model, schema_field.ty).is_some(),
            ),
        );
        let at = format!("{file}#/fields/{index}");
        match check::check_type(model, schema_field.ty, &field.ty) {
            Verdict::Fits => {}
            Verdict::Mismatch(expected) => {
                let optional = check::nullable(model, schema_field.ty).is_some();
                let rust = quote::ToTokens::to_token_stream(&field.ty)
                    .to_string()
                    .replace(' ', "");
                let rust_optional = rust.starts_with("Option<");
                let message = if optional != rust_optional {
                    format!(
                        "field `{ident}`: schema field '{wire}' ({at}) is {} ({}), so the Rust type must {}be an Option: expected {expected}, found {rust}",
                        if optional { "nullable" } else { "not nullable" },
                        check::schema_type(model, schema_field.ty),
                        if optional { "" } else { "not " },
                    )
                } else {
                    format!(
                        "field `{ident}`: schema field '{wire}' ({at}) has type {}, which the Rust type {rust} cannot hold; expected {expected}",
                        check::schema_type(model, schema_field.ty)
                    )
                };
                errors.push(syn::Error::new(field.ty.span(), message));
            }
            Verdict::Named(name) => assertions.push(named_assertion(&field.ty, &name, &wire, &at)),
        }
    }
    for (index, f) in schema_fields.iter().enumerate() {
        if !seen.contains(&f.name) {
            errors.push(syn::Error::new(
                input.ident.span(),
                format!(
                    "missing field: record '{record}' ({file}#/fields/{index}) has field '{}' of type {}, which `{}` lacks (expected a field of type {})",
                    f.name,
                    check::schema_type(model, f.ty),
                    input.ident,
                    check::expected(model, f.ty)
                ),
            ));
        }
    }
}

/// A compile-time assertion that a field's type was derived from the schema
/// type `name`; it fails with the message below, on the field's type.
fn named_assertion(ty: &syn::Type, name: &str, wire: &str, at: &str) -> TokenStream {
    // Strip Option/Vec/Box/map wrappers: the assertion is about the named type.
    let inner = innermost(ty);
    let message = format!(
        "field '{wire}' ({at}) must have a type derived from schema type '{name}' (#[derive(Event)] with #[event(schema = ..., name = \"{name}\")])"
    );
    quote_spanned! {inner.span()=>
        const _: () = {
            if !::evreg_client::__private::str_eq(<#inner as ::evreg_client::SchemaName>::FULL_NAME, #name) {
                ::core::panic!(#message);
            }
        };
    }
}

fn innermost(ty: &syn::Type) -> &syn::Type {
    if let syn::Type::Path(p) = ty
        && let Some(last) = p.path.segments.last()
        && ["Option", "Vec", "Box", "HashMap", "BTreeMap"]
            .contains(&last.ident.to_string().as_str())
        && let syn::PathArguments::AngleBracketed(a) = &last.arguments
        && let Some(syn::GenericArgument::Type(t)) = a
            .args
            .iter()
            .filter(|g| matches!(g, syn::GenericArgument::Type(_)))
            .last()
    {
        return innermost(t);
    }
    ty
}

fn check_enum(
    input: &DeriveInput,
    data: &syn::DataEnum,
    symbols: &[String],
    file: &str,
    name: &str,
    errors: &mut Vec<syn::Error>,
) {
    let rule = attr::rename_all(&input.attrs);
    let mut seen = BTreeSet::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            errors.push(syn::Error::new(v.ident.span(), format!("variant `{}`: enum '{name}' of {file} has only symbols, so every variant must be a unit variant", v.ident)));
            continue;
        }
        let serde = attr::serde_name(&v.attrs);
        if serde.skip {
            continue;
        }
        let wire = serde
            .rename
            .unwrap_or_else(|| attr::apply(rule, &v.ident.to_string(), true));
        if symbols.contains(&wire) {
            seen.insert(wire);
        } else {
            errors.push(syn::Error::new(
                v.ident.span(),
                format!("variant `{}` (`{wire}` on the wire) is not a symbol of enum '{name}' in {file}; its symbols are [{}]", v.ident, symbols.join(", ")),
            ));
        }
    }
    let missing: Vec<&String> = symbols.iter().filter(|s| !seen.contains(*s)).collect();
    if !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        errors.push(syn::Error::new(
            input.ident.span(),
            format!(
                "enum '{name}' in {file} has symbols [{}] that `{}` has no variant for",
                list.join(", "),
                input.ident
            ),
        ));
    }
}

fn event_meta(
    input: &DeriveInput,
    attrs: &EventAttr,
    loaded: &Loaded,
    event_type: &LitStr,
    full_name: &str,
    fields: &BTreeMap<String, (syn::Ident, bool)>,
    errors: &mut Vec<syn::Error>,
) -> TokenStream {
    let catalog = loaded.event.as_ref();
    let Some(source) = attrs
        .source
        .as_ref()
        .map(LitStr::value)
        .or_else(|| catalog.map(|c| c.source.clone()))
    else {
        errors.push(syn::Error::new(event_type.span(), "an event needs `source = \"...\"` (the producing service) in #[event], or an entry in catalog.toml"));
        return TokenStream::new();
    };
    let Some(topic) = attrs
        .topic
        .as_ref()
        .map(LitStr::value)
        .or_else(|| catalog.map(|c| c.topic.clone()))
    else {
        errors.push(syn::Error::new(event_type.span(), format!("event {} has no topic: add `topic = \"...\"` to #[event], or list it in catalog.toml", event_type.value())));
        return TokenStream::new();
    };
    let version: u32 = match &attrs.version {
        Some(v) => match v.base10_parse() {
            Ok(n) if n > 0 => n,
            _ => {
                errors.push(syn::Error::new(
                    v.span(),
                    "`version` is a schema version: a positive integer",
                ));
                1
            }
        },
        None => catalog.map_or(1, |c| c.version),
    };
    let subject = attrs
        .subject
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_else(|| format!("{topic}-{full_name}"));
    let key = attrs
        .key
        .as_ref()
        .map(LitStr::value)
        .or_else(|| catalog.and_then(|c| c.key.clone()));
    let key_span = attrs.key.as_ref().map_or(Span::call_site(), LitStr::span);
    let (key_const, key_fn) = match &key {
        None => (
            quote!(::core::option::Option::None),
            quote!(::core::option::Option::None),
        ),
        Some(k) => match fields.get(k) {
            Some((ident, true)) => (
                quote!(::core::option::Option::Some(#k)),
                quote!(self.#ident.as_ref().map(::std::string::ToString::to_string)),
            ),
            Some((ident, false)) => (
                quote!(::core::option::Option::Some(#k)),
                quote!(::core::option::Option::Some(::std::string::ToString::to_string(&self.#ident))),
            ),
            None => {
                errors.push(syn::Error::new(
                    key_span,
                    format!(
                        "partition key field '{k}' is not a field of `{}`",
                        input.ident
                    ),
                ));
                (
                    quote!(::core::option::Option::None),
                    quote!(::core::option::Option::None),
                )
            }
        },
    };
    let event_type_s = event_type.value();
    let schema = &loaded.text;
    let schema_type = loaded.schema_type();
    let ident = &input.ident;
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    let datum = attrs.datum.then(|| {
        quote! {
            fn read_avro_datum(
                input: &mut &[u8],
            ) -> ::core::option::Option<
                ::core::result::Result<Self, ::evreg_client::avro::DecodeError>,
            > {
                ::core::option::Option::Some(
                    <Self as ::evreg_client::avro::datum::ReadDatum>::read_datum(input),
                )
            }
            fn write_avro_datum(
                &self,
                out: &mut ::std::vec::Vec<u8>,
            ) -> ::core::option::Option<
                ::core::result::Result<(), ::evreg_client::avro::EncodeError>,
            > {
                ::core::option::Option::Some(
                    ::evreg_client::avro::datum::WriteDatum::write_datum(self, out),
                )
            }
        }
    });
    quote! {
        impl #impl_g ::evreg_client::EventMeta for #ident #ty_g #where_g {
            const EVENT_TYPE: &'static str = #event_type_s;
            const SCHEMA_VERSION: u32 = #version;
            const SOURCE: &'static str = #source;
            const TOPIC: &'static str = #topic;
            const SUBJECT: &'static str = #subject;
            const PARTITION_KEY_FIELD: ::core::option::Option<&'static str> = #key_const;
            const SCHEMA_TYPE: &'static str = #schema_type;
            const SCHEMA: &'static str = #schema;
            fn partition_key(&self) -> ::core::option::Option<::std::string::String> {
                #key_fn
            }
            #datum
        }
    }
}
