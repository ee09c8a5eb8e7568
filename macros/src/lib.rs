//! `#[derive(Event)]`: stamps event type, source and schema version on an event
//! type, and fails the build when the type drifts from its schema.
//!
//! Use it through `evreg_client::Event`; see that crate for the tutorial.

mod attr;
mod check;
mod check_json;
mod expand;
mod load;

use proc_macro::TokenStream;

/// Derives `evreg_client::EventMeta` (on events) and `evreg_client::SchemaName`
/// (on every schema type) from `#[event(...)]`, checking the type against its
/// schema at compile time: an Avro `.avsc` or JSON Schema `.json` file
/// (`schema = ".."`), or the text itself (`schema_text = ".."`, what evgen
/// emits on generated events). `datum` says the type also implements
/// `evreg_client::avro::datum::{ReadDatum, WriteDatum}` (evgen writes both
/// where it can), so the serializers read and write it without serde.
#[proc_macro_derive(Event, attributes(event))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    // The file holding the derive: schema paths that are not found relative to
    // the crate are tried relative to it, as `include_str!` would.
    let source_dir: Option<std::path::PathBuf> = proc_macro::Span::call_site()
        .local_file()
        .and_then(|f| f.parent().map(Into::into));
    let output = expand::derive(&input, source_dir.as_deref());
    if std::env::var_os("EVGEN_MACROS_DEBUG").is_some() {
        eprintln!("{output}");
    }
    output.into()
}
