//! Catalogue metadata: `#[derive(Event)]` on event types and one enum per topic.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::docs;
use super::types::{ident, path_from};
use crate::ir::{EventDef, TopicDef, TypePath, TypeSpace};

/// The catalogue event `path` is the type of, if any.
pub(crate) fn event_of<'a>(space: &'a TypeSpace, path: &TypePath) -> Option<&'a EventDef> {
    space.events.values().find(|ev| &ev.ty == path)
}

/// What an event type carries besides its serde derives: `#[derive(Event)]`
/// (as an extra derive, with its leading comma) and its `#[event(...)]`.
/// Generated and hand-written events are then one kind of thing: the derive
/// implements `EventMeta` and `SchemaName` for both, and checks both against
/// their schema. The schema rides inline (`schema_text`) because generated code
/// lives in `OUT_DIR` or a user's `src/`, where no path relative to the crate
/// being compiled is known; every piece of metadata is spelled out, so the
/// derive never looks for the catalogue.
///
/// `datum`: the type gets an `impl ReadDatum`, which an Avro event's derive
/// is told of, so the deserializer reads it without serde.
pub(crate) fn derive(
    space: &TypeSpace,
    path: &TypePath,
    datum: bool,
) -> (TokenStream, TokenStream) {
    let Some(ev) = event_of(space, path) else {
        return (quote!(), quote!());
    };
    let (event_type, source, topic, subject, schema_type, schema) = (
        &ev.event_type,
        &ev.source,
        &ev.topic,
        &ev.subject,
        &ev.schema_type,
        &ev.schema,
    );
    let version = Literal::u32_unsuffixed(ev.version);
    let key = ev.partition_key.as_ref().map(|k| quote!(key = #k,));
    let datum = (datum && schema_type.eq_ignore_ascii_case("AVRO")).then(|| quote!(datum,));
    let attr = quote! {
        #[event(
            type = #event_type,
            version = #version,
            source = #source,
            topic = #topic,
            subject = #subject,
            #key
            schema_type = #schema_type,
            schema_text = #schema,
            #datum
        )]
    };
    (quote!(, ::evreg_client::Event), attr)
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
