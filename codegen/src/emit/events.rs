//! Catalogue metadata: `EventMeta` impls on event types and one enum per topic.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::docs;
use super::types::{ident, path_from};
use crate::ir::{EventDef, Scalar, TopicDef, TypeKind, TypeRef, TypeSpace};

fn opt_str(v: Option<&str>) -> TokenStream {
    match v {
        Some(s) => quote!(::std::option::Option::Some(#s)),
        None => quote!(::std::option::Option::None),
    }
}

/// How to read the key field as a `String`; the catalogue loader has already
/// checked that the field exists and has a usable type.
fn key_expr(space: &TypeSpace, ev: &EventDef) -> TokenStream {
    let field = ev.partition_key.as_ref().and_then(|key| {
        let def = space.types.get(&ev.ty)?;
        match &def.kind {
            TypeKind::Struct(s) => s.fields.iter().find(|f| &f.wire_name == key),
            _ => None,
        }
    });
    let Some(f) = field else {
        return quote!(::std::option::Option::None);
    };
    let name = ident(&f.name);
    match &f.ty {
        TypeRef::Scalar(Scalar::String) => quote!(::std::option::Option::Some(self.#name.clone())),
        TypeRef::Option { .. } => {
            quote!(self.#name.as_ref().map(::std::string::ToString::to_string))
        }
        _ => quote!(::std::option::Option::Some(::std::string::ToString::to_string(&self.#name))),
    }
}

/// `impl EventMeta for <event type>`, emitted in the type's module.
pub(crate) fn event_impl(space: &TypeSpace, ev: &EventDef) -> TokenStream {
    let ty = ident(&ev.ty.name);
    let (event_type, source, topic, subject, schema_type, schema) = (
        &ev.event_type,
        &ev.source,
        &ev.topic,
        &ev.subject,
        &ev.schema_type,
        &ev.schema,
    );
    let version = Literal::u32_suffixed(ev.version);
    let key_field = opt_str(ev.partition_key.as_deref());
    let key = key_expr(space, ev);
    quote! {
        impl ::evreg_client::EventMeta for #ty {
            const EVENT_TYPE: &'static str = #event_type;
            const SCHEMA_VERSION: u32 = #version;
            const SOURCE: &'static str = #source;
            const TOPIC: &'static str = #topic;
            const SUBJECT: &'static str = #subject;
            const PARTITION_KEY_FIELD: ::std::option::Option<&'static str> = #key_field;
            const SCHEMA_TYPE: &'static str = #schema_type;
            const SCHEMA: &'static str = #schema;

            fn partition_key(&self) -> ::std::option::Option<::std::string::String> {
                #key
            }
        }
    }
}

/// The enum of a topic's events, with its settings and `TopicEvents`.
pub(crate) fn topic_enum(topic: &TopicDef, module: &[String]) -> TokenStream {
    let name = ident(&topic.rust_name);
    let topic_name = &topic.name;
    let doc = docs(Some(topic.doc.as_deref().unwrap_or(&format!(
        "The events of topic `{}`, to `match` on. Serde form: `{{\"eventType\": .., \"data\": ..}}`, \
         as in the envelope.",
        topic.name
    ))));
    let variants = topic.events.iter().map(|e| {
        let v = ident(&e.variant);
        let ty = path_from(module, &e.ty);
        let et = &e.event_type;
        let d = docs(Some(&format!("`{et}`")));
        quote!(#d #[serde(rename = #et)] #v(#ty))
    });
    let types: Vec<&String> = topic.events.iter().map(|e| &e.event_type).collect();
    let type_arms = topic.events.iter().map(|e| {
        let v = ident(&e.variant);
        let ty = path_from(module, &e.ty);
        quote!(Self::#v(_) => <#ty as ::evreg_client::EventMeta>::EVENT_TYPE)
    });
    let key_arms = topic.events.iter().map(|e| {
        let v = ident(&e.variant);
        quote!(Self::#v(event) => ::evreg_client::EventMeta::partition_key(event))
    });
    let froms = topic.events.iter().map(|e| {
        let v = ident(&e.variant);
        let ty = path_from(module, &e.ty);
        quote! {
            impl ::std::convert::From<#ty> for #name {
                fn from(event: #ty) -> Self {
                    Self::#v(event)
                }
            }
        }
    });
    let s = &topic.settings;
    let mut consts = Vec::new();
    if let Some(p) = s.partitions {
        consts.push(quote!(#[doc = " Number of partitions."] pub const PARTITIONS: u32 = #p;));
    }
    if let Some(r) = s.replication_factor {
        consts
            .push(quote!(#[doc = " Replication factor."] pub const REPLICATION_FACTOR: u32 = #r;));
    }
    if let Some(r) = s.retention_ms {
        consts
            .push(quote!(#[doc = " Retention in milliseconds."] pub const RETENTION_MS: u64 = #r;));
    }
    if let Some(c) = &s.compression {
        consts
            .push(quote!(#[doc = " Compression codec."] pub const COMPRESSION: &'static str = #c;));
    }
    let groups = topic.consumer_groups.iter().map(|g| {
        let n = &g.name;
        let m = &g.members;
        quote!((#n, &[#(#m),*]))
    });
    consts.push(quote! {
        #[doc = " Consumer groups reading the topic, with their member services."]
        pub const CONSUMER_GROUPS: &'static [(&'static str, &'static [&'static str])] = &[#(#groups),*];
    });
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(tag = "eventType", content = "data")]
        #[allow(clippy::large_enum_variant, clippy::enum_variant_names)]
        pub enum #name { #(#variants),* }

        impl #name { #(#consts)* }

        impl ::evreg_client::TopicEvents for #name {
            const TOPIC: &'static str = #topic_name;
            const EVENT_TYPES: &'static [&'static str] = &[#(#types),*];

            fn event_type(&self) -> &'static str {
                match self { #(#type_arms),* }
            }

            fn partition_key(&self) -> ::std::option::Option<::std::string::String> {
                match self { #(#key_arms),* }
            }
        }

        #(#froms)*
    }
}
