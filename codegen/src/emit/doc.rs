//! Schema prose as rustdoc: what a schema author wrote must stay documentation.
//!
//! Descriptions are Markdown to rustdoc, and rustdoc compiles and runs every code
//! block that is not marked otherwise as a doctest of the *user's* crate: a JSON
//! example in a description (a fenced block without a language, or ```json, or a
//! block indented by four spaces) would fail `cargo test` there. So every code
//! block becomes a ```text block. The blocks are found with pulldown-cmark, the
//! parser rustdoc itself uses, and the result is parsed again to make sure; if
//! anything but ```text blocks remains (a block nested in a list or quote, say),
//! the whole description is shown as one ```text block instead: less pretty, never
//! wrong.
//!
//! Each line becomes its own `#[doc]` attribute (printed as `///`), so `*/` or a
//! line starting with `#` cannot end the comment; carriage returns, which a doc
//! comment may not contain bare, become line breaks.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};

/// `doc` with line breaks normalised and every code block marked as text.
pub(crate) fn sanitize(doc: &str) -> String {
    let text = doc.replace("\r\n", "\n").replace('\r', "\n");
    let blocks = code_blocks(&text);
    if blocks.iter().all(|b| b.is_text) {
        return text;
    }
    let rewritten = rewrite(&text, &blocks);
    if code_blocks(&rewritten).iter().all(|b| b.is_text) {
        return rewritten;
    }
    as_one_block(&text)
}

struct Block {
    fenced: bool,
    is_text: bool,
    range: Range<usize>,
}

fn code_blocks(text: &str) -> Vec<Block> {
    Parser::new(text)
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::CodeBlock(kind)) => Some(match kind {
                CodeBlockKind::Fenced(info) => Block {
                    fenced: true,
                    is_text: info.split([' ', ',', '\t']).next() == Some("text"),
                    range,
                },
                CodeBlockKind::Indented => Block {
                    fenced: false,
                    is_text: false,
                    range,
                },
            }),
            _ => None,
        })
        .collect()
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i)
}

/// Marks fenced blocks as text and fences indented ones.
fn rewrite(text: &str, blocks: &[Block]) -> String {
    let mut out = String::with_capacity(text.len() + 16 * blocks.len());
    let mut done = 0;
    for b in blocks.iter().filter(|b| !b.is_text) {
        if b.range.start < done {
            continue;
        }
        if b.fenced {
            // The opening line: indentation, the fence run, then the info string,
            // which is replaced.
            let start = b.range.start;
            let end = line_end(text, start);
            let line = &text[start..end];
            let indent = line.len() - line.trim_start().len();
            let fence_char = line[indent..].chars().next().unwrap_or('`');
            let run = line[indent..]
                .chars()
                .take_while(|&c| c == fence_char)
                .count();
            out.push_str(&text[done..start + indent + run]);
            out.push_str("text");
            done = end;
        } else {
            let start = line_start(text, b.range.start);
            // The block ends at the end of its last non-blank line.
            let body = text[start..b.range.end.min(text.len())].trim_end();
            let end = start + body.len();
            out.push_str(&text[done..start]);
            let fence = fence_for(body);
            out.push_str(&fence);
            out.push_str("text\n");
            for (i, line) in body.split('\n').enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                out.push_str(strip_indent(line));
            }
            out.push('\n');
            out.push_str(&fence);
            done = end;
        }
    }
    out.push_str(&text[done..]);
    out
}

/// `line` without the four columns of indentation of an indented code block.
fn strip_indent(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix('\t') {
        return rest;
    }
    let spaces = line.len() - line.trim_start_matches(' ').len();
    &line[spaces.min(4)..]
}

/// A backtick fence longer than any backtick run in `text`, so nothing inside can
/// close it.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// The whole text as one ```text block.
fn as_one_block(text: &str) -> String {
    let fence = fence_for(text);
    format!("{fence}text\n{}\n{fence}", text.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<bool> {
        code_blocks(text).iter().map(|b| b.is_text).collect()
    }

    #[test]
    fn plain_prose_is_untouched() {
        let doc = "An order.\n\nIt has *lines* and a `total`; see [the docs](https://x.org).";
        assert_eq!(sanitize(doc), doc);
    }

    #[test]
    fn fences_become_text() {
        let doc = "Example:\n\n```\n{\"a\": 1}\n```\n\nand\n\n~~~json\n# not hidden\n~~~\n\n```rust\nfn x() {}\n```";
        let out = sanitize(doc);
        assert_eq!(
            out,
            "Example:\n\n```text\n{\"a\": 1}\n```\n\nand\n\n~~~text\n# not hidden\n~~~\n\n```text\nfn x() {}\n```"
        );
        assert_eq!(kinds(&out), [true, true, true]);
    }

    #[test]
    fn indented_blocks_are_fenced() {
        let doc = "Like this:\n\n    let x = 1;\n    # hidden?\n\nAfter.";
        let out = sanitize(doc);
        assert_eq!(
            out,
            "Like this:\n\n```text\nlet x = 1;\n# hidden?\n```\n\nAfter."
        );
        assert_eq!(kinds(&out), [true]);
    }

    #[test]
    fn nested_blocks_fall_back_to_one_text_block() {
        let doc = "> quoted:\n>\n> ```\n> code\n> ```\n\n- item\n\n      indented in a list";
        let out = sanitize(doc);
        assert!(kinds(&out).iter().all(|t| *t), "{out}");
        assert!(!code_blocks(&out).is_empty(), "{out}");
    }

    #[test]
    fn an_unclosed_fence_and_backticks_inside() {
        let doc = "Starts a fence\n```sh\nrm -rf /\n```` not a close";
        let out = sanitize(doc);
        assert!(kinds(&out).iter().all(|t| *t), "{out}");
    }

    #[test]
    fn carriage_returns_become_line_breaks() {
        assert_eq!(sanitize("a\r\nb\rc"), "a\nb\nc");
    }
}
