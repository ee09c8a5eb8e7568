//! Schema docs become `///` docs that stay docs: code blocks are marked as text
//! (never doctests of the user's crate), and nothing in the text ends the comment.

use evgen::Config;

/// The doc lines of the generated file, without their `///`.
fn doc_lines(rust: &str) -> Vec<&str> {
    rust.lines()
        .filter_map(|l| l.trim_start().strip_prefix("///"))
        .collect()
}

const AWKWARD: &str = "Line one. */ still a comment\r\nExample:\n\n```\n{\"a\": 1}\n```\n\n```json\n# a heading? no\n```\n\nIndented:\n\n    let x = 1;\n\nDone.";

#[test]
fn avro_docs_keep_code_blocks_as_text() {
    let schema = serde_json::json!({
        "type": "record", "name": "Doc", "namespace": "demo", "doc": AWKWARD,
        "fields": [{"name": "a", "type": "int", "doc": "```rust\nassert!(false);\n```"}]
    });
    let rust = Config::new()
        .source("doc.avsc", schema.to_string())
        .generate()
        .unwrap();
    syn::parse_file(&rust).unwrap_or_else(|e| panic!("{e}\n{rust}"));
    let docs = doc_lines(&rust);
    assert!(docs.contains(&" Line one. */ still a comment"), "{rust}");
    assert!(docs.contains(&" ```text"), "{rust}");
    for fence in [" ```", " ```json", " ```rust"] {
        let opening = docs
            .iter()
            .zip(docs.iter().skip(1))
            .filter(|(a, _)| **a == fence)
            .count();
        // A bare ``` may only close a block.
        if fence != " ```" {
            assert_eq!(opening, 0, "{fence} left in:\n{rust}");
        }
    }
    assert!(docs.contains(&" let x = 1;"), "{rust}");
    assert!(!rust.contains('\r'));
    // Every code block the docs hold is a text block.
    let mut open = false;
    for line in &docs {
        let l = line.trim();
        if l.starts_with("```") {
            if !open {
                assert_eq!(l, "```text", "{rust}");
            }
            open = !open;
        }
    }
    assert!(!open, "unbalanced fences:\n{rust}");
}

#[test]
fn json_descriptions_keep_code_blocks_as_text() {
    let schema = serde_json::json!({
        "title": "Sample", "description": AWKWARD, "type": "object",
        "properties": {"a": {"type": "integer", "description": "    indented = code\n"}}
    });
    let rust = Config::new()
        .source("sample.json", schema.to_string())
        .generate()
        .unwrap();
    syn::parse_file(&rust).unwrap_or_else(|e| panic!("{e}\n{rust}"));
    let docs = doc_lines(&rust);
    assert!(!docs.contains(&" ```json"), "{rust}");
    assert!(docs.contains(&" ```text"), "{rust}");
    assert!(docs.contains(&" indented = code"), "{rust}");
}

#[test]
fn a_line_break_in_a_label_does_not_end_the_header() {
    let rust = Config::new()
        .source(
            "evil\nfn main() {}.avsc",
            r#"{"type":"record","name":"P","fields":[]}"#,
        )
        .generate()
        .unwrap();
    let header = rust.lines().next().unwrap();
    assert!(header.starts_with("// @generated"), "{rust}");
    assert!(header.contains("fn main()"), "{rust}");
    assert!(!rust.lines().any(|l| l.starts_with("fn main")), "{rust}");
}
