//! `#[event(...)]` and the serde attributes the check must honour.

use syn::{Attribute, Ident, LitInt, LitStr};

/// The `#[event(...)]` attribute.
#[derive(Default)]
pub(crate) struct EventAttr {
    /// `type = "order.created"`: present on events, absent on the schema types
    /// they use (records, enums and fixed types referenced by a field).
    pub event_type: Option<LitStr>,
    /// `source = "order-service"`.
    pub source: Option<LitStr>,
    /// `schema = "schemas/order/created.avsc"`, relative to the crate: an Avro
    /// `.avsc` file, or a JSON Schema `.json` file.
    pub schema: Option<LitStr>,
    /// `schema_text = "{..}"`: the schema itself, self-contained, instead of a
    /// file. What evgen emits: generated code lives in `OUT_DIR` or anywhere in
    /// `src/`, where no path relative to the crate is known.
    pub schema_text: Option<LitStr>,
    /// `schema_type = "JSON"`: the format of `schema_text` (`AVRO` by default;
    /// a `schema` file's format follows from its extension).
    pub schema_type: Option<LitStr>,
    /// `name = "shop.order.OrderStatus"`: a named type inside the schema file
    /// (default: the file's root type).
    pub name: Option<LitStr>,
    /// `subject = "..."` (default: `<topic>-<record full name>`).
    pub subject: Option<LitStr>,
    /// `version = 2` (default: the catalogue's, else 1).
    pub version: Option<LitInt>,
    /// `topic = "order-events"` (default: the catalogue's).
    pub topic: Option<LitStr>,
    /// `key = "orderId"`: the partition key field (default: the catalogue's).
    pub key: Option<LitStr>,
    /// `datum`: the type implements `evreg_client::avro::datum::ReadDatum` and
    /// `WriteDatum` (evgen writes them), so the serializer and deserializer
    /// may write and read Avro without serde.
    pub datum: bool,
}

/// Parses every `#[event(...)]` on the item; the first error per attribute is kept.
pub(crate) fn parse_event_attrs(attrs: &[Attribute], errors: &mut Vec<syn::Error>) -> EventAttr {
    let mut out = EventAttr::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("event")) {
        let mut unknown = Vec::new();
        let result = attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(Ident::to_string).unwrap_or_default();
            let slot_str = match key.as_str() {
                "type" => &mut out.event_type,
                "source" => &mut out.source,
                "schema" => &mut out.schema,
                "schema_text" => &mut out.schema_text,
                "schema_type" => &mut out.schema_type,
                "name" => &mut out.name,
                "subject" => &mut out.subject,
                "topic" => &mut out.topic,
                "key" => &mut out.key,
                "datum" => {
                    if out.datum {
                        return Err(meta.error("duplicate `datum` in #[event]"));
                    }
                    out.datum = true;
                    return Ok(());
                }
                "version" => {
                    if out.version.is_some() {
                        return Err(meta.error("duplicate `version` in #[event]"));
                    }
                    out.version = Some(meta.value()?.parse()?);
                    return Ok(());
                }
                _ => {
                    // Report it, skip its value, and read the other keys: one
                    // typo must not hide the rest of the attribute.
                    unknown.push(meta.error(format!(
                        "unknown key `{}` in #[event]; expected type, source, schema, schema_text, schema_type, name, subject, version, topic, key or datum",
                        quote::ToTokens::to_token_stream(&meta.path)
                    )));
                    if meta.input.peek(syn::Token![=]) {
                        meta.value()?.parse::<syn::Expr>()?;
                    }
                    return Ok(());
                }
            };
            if slot_str.is_some() {
                return Err(meta.error(format!("duplicate `{key}` in #[event]")));
            }
            *slot_str = Some(meta.value()?.parse()?);
            Ok(())
        });
        errors.extend(unknown);
        if let Err(e) = result {
            errors.push(e);
        }
    }
    out
}

/// serde's `rename_all` rules that change names on the wire.
#[derive(Clone, Copy)]
pub(crate) enum RenameAll {
    None,
    Lower,
    Upper,
    Camel,
    Pascal,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

/// How serde names a field or variant on the wire, and whether it skips it.
pub(crate) struct SerdeName {
    pub rename: Option<String>,
    pub skip: bool,
    /// `#[serde(default)]` or `#[serde(default = "..")]`: the field may be absent.
    pub default: bool,
    /// `#[serde(flatten)]`: the field holds other properties, not one.
    pub flatten: bool,
}

/// Reads `#[serde(rename = "..")]` / `#[serde(skip)]` on a field or variant.
pub(crate) fn serde_name(attrs: &[Attribute]) -> SerdeName {
    let mut out = SerdeName {
        rename: None,
        skip: false,
        default: false,
        flatten: false,
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        // Other serde keys are serde's business; ignore what we do not read.
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                if let Ok(v) = meta.value().and_then(|v| v.parse::<LitStr>()) {
                    out.rename = Some(v.value());
                }
            } else if meta.path.is_ident("skip")
                || meta.path.is_ident("skip_serializing")
                || meta.path.is_ident("skip_deserializing")
            {
                out.skip = true;
            } else if meta.path.is_ident("flatten") {
                out.flatten = true;
            } else if meta.path.is_ident("default") {
                out.default = true;
                if let Ok(v) = meta.value() {
                    let _ = v.parse::<proc_macro2::TokenStream>();
                }
            } else if let Ok(v) = meta.value() {
                let _ = v.parse::<proc_macro2::TokenStream>();
            }
            Ok(())
        });
    }
    out
}

/// Reads `#[serde(rename_all = "..")]` on the item.
pub(crate) fn rename_all(attrs: &[Attribute]) -> RenameAll {
    let mut out = RenameAll::None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                if let Ok(v) = meta.value().and_then(|v| v.parse::<LitStr>()) {
                    out = match v.value().as_str() {
                        "lowercase" => RenameAll::Lower,
                        "UPPERCASE" => RenameAll::Upper,
                        "camelCase" => RenameAll::Camel,
                        "PascalCase" => RenameAll::Pascal,
                        "snake_case" => RenameAll::Snake,
                        "SCREAMING_SNAKE_CASE" => RenameAll::ScreamingSnake,
                        "kebab-case" => RenameAll::Kebab,
                        "SCREAMING-KEBAB-CASE" => RenameAll::ScreamingKebab,
                        _ => RenameAll::None,
                    };
                }
            } else if let Ok(v) = meta.value() {
                let _ = v.parse::<proc_macro2::TokenStream>();
            }
            Ok(())
        });
    }
    out
}

fn words(ident: &str) -> Vec<String> {
    // Fields are snake_case and variants PascalCase; split both into words.
    let mut out: Vec<String> = Vec::new();
    for part in ident.split('_').filter(|p| !p.is_empty()) {
        let mut word = String::new();
        for c in part.chars() {
            if c.is_uppercase() && !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            word.push(c);
        }
        if !word.is_empty() {
            out.push(word);
        }
    }
    out
}

/// The wire name serde gives `ident` under `rule` (`is_variant` picks serde's
/// variant rules: variants are PascalCase to begin with).
pub(crate) fn apply(rule: RenameAll, ident: &str, is_variant: bool) -> String {
    let ident = ident.strip_prefix("r#").unwrap_or(ident);
    let lower: Vec<String> = words(ident).iter().map(|w| w.to_lowercase()).collect();
    let cap = |w: &String| {
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    };
    match rule {
        RenameAll::None => ident.to_owned(),
        RenameAll::Lower if is_variant => ident.to_lowercase(),
        RenameAll::Upper if is_variant => ident.to_uppercase(),
        RenameAll::Lower => ident.to_lowercase(),
        RenameAll::Upper => ident.to_uppercase(),
        RenameAll::Camel => {
            lower.first().cloned().unwrap_or_default()
                + &lower.iter().skip(1).map(cap).collect::<String>()
        }
        RenameAll::Pascal => lower.iter().map(cap).collect(),
        RenameAll::Snake => lower.join("_"),
        RenameAll::ScreamingSnake => lower.join("_").to_uppercase(),
        RenameAll::Kebab => lower.join("-"),
        RenameAll::ScreamingKebab => lower.join("-").to_uppercase(),
    }
}
