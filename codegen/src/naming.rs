//! Schema names to Rust identifiers: case conversion, keyword escaping, dedup.
//!
//! Front ends call these; the IR stores the results, so every front end names
//! things the same way. Raw identifiers (`r#type`) are stored with their `r#`.

use std::collections::BTreeSet;

/// Rust keywords (2015–2024 editions, strict and reserved).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers; they get a trailing `_` instead.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Whether `s` is a Rust keyword.
pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// Splits `s` into words at separators, case changes and letter/digit boundaries:
/// `orderID_v2` → `order`, `ID`, `v2`; `HTTPServer` → `HTTP`, `Server`.
pub fn words(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&prev) = cur.chars().last().as_ref() {
            let next = chars.get(i + 1).copied();
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                // The last capital of an acronym starts the next word: HTTPServer.
                || (prev.is_uppercase()
                    && c.is_uppercase()
                    && next.is_some_and(char::is_lowercase))
                || (prev.is_ascii_digit() && c.is_alphabetic() && c.is_uppercase());
            if boundary {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn ascii_ident_chars(s: String) -> String {
    // Identifiers are ASCII here: non-ASCII letters are legal Rust but make
    // generated APIs hard to type.
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

fn upper_camel_raw(s: &str) -> String {
    let mut out = String::new();
    for w in words(s) {
        let mut cs = w.chars();
        if let Some(first) = cs.next() {
            out.extend(first.to_uppercase());
            // Keep acronyms readable but idiomatic: `ID` → `Id`, `HTTP` → `Http`.
            out.push_str(&cs.as_str().to_lowercase());
        }
    }
    ascii_ident_chars(out)
}

fn snake_raw(s: &str) -> String {
    words(s)
        .iter()
        .map(|w| ascii_ident_chars(w.to_lowercase()))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// Makes `s` a usable identifier: a leading digit gets a prefix, keywords are
/// escaped as raw identifiers or with a trailing `_`.
fn finish(s: String, empty: &str, digit_prefix: &str) -> String {
    let s = if s.is_empty() { empty.to_owned() } else { s };
    let s = if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{digit_prefix}{s}")
    } else {
        s
    };
    if NOT_RAW.contains(&s.as_str()) {
        format!("{s}_")
    } else if is_keyword(&s) {
        format!("r#{s}")
    } else {
        s
    }
}

/// A type name: `order_created` → `OrderCreated`.
pub fn type_name(s: &str) -> String {
    finish(upper_camel_raw(s), "Unnamed", "T")
}

/// An enum variant name: `PENDING` → `Pending`, `null` → `Null`.
pub fn variant_name(s: &str) -> String {
    finish(upper_camel_raw(s), "Empty", "V")
}

/// A field name: `orderId` → `order_id`, `type` → `r#type`.
pub fn field_name(s: &str) -> String {
    finish(snake_raw(s), "field", "_")
}

/// A module name for one namespace component: `shop` → `shop`.
pub fn module_name(s: &str) -> String {
    finish(snake_raw(s), "module", "m")
}

/// A function-name fragment without escaping (for `default_<type>_<field>`).
pub fn snake_fragment(s: &str) -> String {
    let s = snake_raw(s.trim_start_matches("r#"));
    if s.is_empty() { "x".to_owned() } else { s }
}

/// Returns `name`, or `name2`, `name3`, … whichever is not in `taken`, and records it.
/// Raw identifiers get the suffix after the `r#` is dropped (`r#type2` is not needed:
/// `type2` is no keyword).
pub fn unique(name: String, taken: &mut BTreeSet<String>) -> String {
    if taken.insert(name.clone()) {
        return name;
    }
    let base = name.trim_start_matches("r#").to_owned();
    let mut n = 2u32;
    loop {
        let candidate = format!("{base}{n}");
        if taken.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(type_name("order_created"), "OrderCreated");
        assert_eq!(type_name("HTTPServer"), "HttpServer");
        assert_eq!(type_name("md5"), "Md5");
        assert_eq!(type_name("2fa"), "T2fa");
        assert_eq!(field_name("orderId"), "order_id");
        assert_eq!(field_name("eventID"), "event_id");
        assert_eq!(field_name("type"), "r#type");
        assert_eq!(field_name("self"), "self_");
        assert_eq!(field_name("x-y z"), "x_y_z");
        assert_eq!(variant_name("Self"), "Self_");
        assert_eq!(variant_name("OUT_OF_STOCK"), "OutOfStock");
        assert_eq!(module_name("shop"), "shop");
        assert_eq!(module_name("mod"), "r#mod");
    }

    #[test]
    fn dedup() {
        let mut taken = BTreeSet::new();
        assert_eq!(unique("a".into(), &mut taken), "a");
        assert_eq!(unique("a".into(), &mut taken), "a2");
        assert_eq!(unique("r#type".into(), &mut taken), "r#type");
        assert_eq!(unique("r#type".into(), &mut taken), "type2");
    }
}
