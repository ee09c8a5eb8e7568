//! IR to Rust: tokens with `quote`, parsed back with `syn`, printed by prettyplease.
//!
//! The emitter knows nothing about schema languages. It relies on the IR's
//! invariants (valid identifiers, `Named` refs that resolve) and checks the cheap
//! ones again, so a front end bug becomes an error rather than a panic.
//!
//! Generated code names everything by absolute path (`::serde::Serialize`,
//! `::evreg_client::…`) or by `super::` path between its own modules, so the file
//! can be `include!`d anywhere.

mod datum;
mod doc;
mod events;
mod items;
mod types;

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;

pub use types::{SMALL_DECIMAL_DIGITS, valid_ident};

use crate::error::Error;
use crate::ir::{Payload, Scalar, TypeKind, TypePath, TypeRef, TypeSpace};

/// `doc` unless it is missing or blank, else `fallback` (so generated items are never
/// undocumented, which `missing_docs` in the including crate would flag).
pub(crate) fn doc_or(doc: Option<&str>, fallback: impl FnOnce() -> String) -> TokenStream {
    match doc.filter(|d| !d.trim().is_empty()) {
        Some(d) => docs(Some(d)),
        None => docs(Some(&fallback())),
    }
}

/// `#[doc = ".."]` attributes, one per line, which prettyplease prints as `///`;
/// code blocks in the text are marked as text so they never become doctests
/// ([`doc::sanitize`]).
pub(crate) fn docs(doc: Option<&str>) -> TokenStream {
    let Some(doc) = doc else { return quote!() };
    let doc = doc::sanitize(doc.trim());
    let lines = doc.trim().lines().map(|l| {
        let l = format!(" {}", l.trim_end());
        quote!(#[doc = #l])
    });
    quote!(#(#lines)*)
}

/// Lints generated docs and shapes can trip; allowed on each generated module
/// because the docs are schema authors' prose, not Rust docs.
fn module_allows() -> TokenStream {
    quote! {
        #[allow(
            rustdoc::broken_intra_doc_links,
            rustdoc::invalid_html_tags,
            rustdoc::bare_urls,
            clippy::doc_lazy_continuation,
            clippy::doc_overindented_list_items,
            clippy::module_inception,
            clippy::enum_variant_names
        )]
    }
}

/// Checks what the emitter relies on: identifiers are valid and every named
/// reference resolves.
fn check(space: &TypeSpace) -> Result<(), Error> {
    let bad = |what: String, def: &crate::ir::TypeDef| Error::Schema {
        origin: def.origin.clone(),
        message: what,
    };
    for def in space.types.values() {
        for m in def.path.module.iter().chain([&def.path.name]) {
            if !valid_ident(m) {
                return Err(bad(format!("'{m}' is not a usable Rust identifier"), def));
            }
        }
        let mut refs = Vec::new();
        let mut names = Vec::new();
        match &def.kind {
            TypeKind::Struct(s) => {
                for f in &s.fields {
                    refs.push(&f.ty);
                    names.push(&f.name);
                }
            }
            TypeKind::Enum(e) => {
                for v in &e.variants {
                    names.push(&v.name);
                    match &v.payload {
                        Payload::Unit => {}
                        Payload::Newtype(t) => refs.push(t),
                        Payload::Struct(fs) => {
                            for f in fs {
                                refs.push(&f.ty);
                                names.push(&f.name);
                            }
                        }
                    }
                }
            }
            TypeKind::Newtype(n) => refs.push(&n.inner),
            TypeKind::Alias(t) => refs.push(t),
        }
        if let Some(n) = names.iter().find(|n| !valid_ident(n)) {
            return Err(bad(format!("'{n}' is not a usable Rust identifier"), def));
        }
        for r in refs {
            let mut missing = None;
            visit_named(r, &mut |p| {
                if !space.types.contains_key(p) {
                    missing = Some(p.clone());
                }
            });
            if let Some(p) = missing {
                return Err(bad(format!("reference to undefined type {p}"), def));
            }
        }
    }
    if space
        .types
        .keys()
        .any(|p| p.module.first().map(String::as_str) == Some(TypeSpace::TOPICS_MODULE))
        && !space.topics.is_empty()
    {
        return Err(Error::Catalog {
            origin: Default::default(),
            message: format!(
                "a namespace maps to module '{}', which holds the topic enums",
                TypeSpace::TOPICS_MODULE
            ),
        });
    }
    Ok(())
}

fn visit_named(ty: &TypeRef, f: &mut dyn FnMut(&TypePath)) {
    match ty {
        TypeRef::Named(p) => f(p),
        TypeRef::Option { inner, .. }
        | TypeRef::List(inner)
        | TypeRef::Map(inner)
        | TypeRef::Boxed(inner) => visit_named(inner, f),
        TypeRef::Scalar(_) => {}
    }
}

fn has_float(ty: &TypeRef, no_eq: &BTreeSet<TypePath>) -> bool {
    match ty {
        TypeRef::Scalar(s) => matches!(s, Scalar::F32 | Scalar::F64),
        TypeRef::Option { inner, .. }
        | TypeRef::List(inner)
        | TypeRef::Map(inner)
        | TypeRef::Boxed(inner) => has_float(inner, no_eq),
        TypeRef::Named(p) => no_eq.contains(p),
    }
}

/// Types holding a float anywhere, which therefore cannot derive `Eq`.
fn float_types(space: &TypeSpace) -> BTreeSet<TypePath> {
    let mut no_eq = BTreeSet::new();
    loop {
        let before = no_eq.len();
        for (path, def) in &space.types {
            if no_eq.contains(path) {
                continue;
            }
            let floats = match &def.kind {
                TypeKind::Struct(s) => s.fields.iter().any(|f| has_float(&f.ty, &no_eq)),
                TypeKind::Enum(e) => e.variants.iter().any(|v| match &v.payload {
                    Payload::Unit => false,
                    Payload::Newtype(t) => has_float(t, &no_eq),
                    Payload::Struct(fs) => fs.iter().any(|f| has_float(&f.ty, &no_eq)),
                }),
                TypeKind::Newtype(n) => has_float(&n.inner, &no_eq),
                TypeKind::Alias(t) => has_float(t, &no_eq),
            };
            if floats {
                no_eq.insert(path.clone());
            }
        }
        if no_eq.len() == before {
            return no_eq;
        }
    }
}

/// The items of the generated file, as tokens.
pub fn to_tokens(space: &TypeSpace) -> Result<TokenStream, Error> {
    check(space)?;
    let no_eq = float_types(space);
    let readable = datum::readable_types(space);
    let ctx = items::Ctx {
        space,
        no_eq: &no_eq,
        readable: &readable,
    };
    let mut by_module: BTreeMap<Vec<String>, Vec<TokenStream>> = BTreeMap::new();
    for def in space.types.values() {
        by_module
            .entry(def.path.module.clone())
            .or_default()
            .push(items::emit_def(&ctx, def)?);
    }
    let topics_module = vec![TypeSpace::TOPICS_MODULE.to_owned()];
    for topic in space.topics.values().filter(|t| !t.events.is_empty()) {
        by_module
            .entry(topics_module.clone())
            .or_default()
            .push(events::topic_enum(topic, &topics_module));
    }
    let mut docs_by_module = space.module_docs.clone();
    docs_by_module.entry(topics_module).or_insert_with(|| {
        "One enum per topic over its event types, for consumers to `match` on.".into()
    });
    Ok(module_tree(&[], &by_module, &docs_by_module))
}

fn module_tree(
    at: &[String],
    items: &BTreeMap<Vec<String>, Vec<TokenStream>>,
    docs_by_module: &BTreeMap<Vec<String>, String>,
) -> TokenStream {
    let own = items.get(at).map(Vec::as_slice).unwrap_or_default();
    let children: BTreeSet<&String> = items
        .keys()
        .filter(|k| k.len() > at.len() && k.starts_with(at))
        .map(|k| &k[at.len()])
        .collect();
    let subs = children.into_iter().map(|c| {
        let mut path = at.to_vec();
        path.push(c.clone());
        let body = module_tree(&path, items, docs_by_module);
        let name = types::ident(c);
        let doc = docs(Some(
            docs_by_module
                .get(&path)
                .map_or("Generated types.", String::as_str),
        ));
        // Lint levels inherit, so top-level modules are enough.
        let allows = if at.is_empty() {
            module_allows()
        } else {
            quote!()
        };
        quote! {
            #doc
            #allows
            pub mod #name { #body }
        }
    });
    quote!(#(#own)* #(#subs)*)
}

/// Formats the items with the `@generated` header.
pub fn to_file(space: &TypeSpace, source: &str) -> Result<String, Error> {
    let tokens = to_tokens(space)?;
    let file: syn::File = syn::parse2(tokens.clone()).map_err(|e| {
        // Set EVGEN_DEBUG to see the tokens that did not parse.
        if std::env::var_os("EVGEN_DEBUG").is_some() {
            eprintln!("{tokens}");
        }
        Error::Internal {
            file: source.to_owned(),
            message: e.to_string(),
        }
    })?;
    let body = prettyplease::unparse(&file);
    // A line break in a file name or label must not end the header comment.
    let source: String = source
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Ok(format!(
        "// @generated by evgen {} from {source}. Do not edit.\n\n{body}",
        env!("CARGO_PKG_VERSION")
    ))
}
