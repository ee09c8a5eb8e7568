//! Avro reader/writer compatibility, decided as Apache Avro Java's
//! `SchemaCompatibility.checkReaderWriterCompatibility` decides it (Confluent
//! uses exactly that check):
//!
//! - primitives read themselves; promotions int→long→float→double and
//!   string↔bytes;
//! - named types match by unqualified name, or by a reader alias naming the
//!   writer's full name;
//! - a reader field absent from the writer (by name or reader alias) needs a
//!   default; writer fields the reader lacks are skipped;
//! - a reader enum needs every writer symbol unless it has a default;
//! - fixed sizes must be equal;
//! - a writer union needs every branch readable; a reader union needs one
//!   branch that reads the writer;
//! - recursion terminates: a pair already being checked counts as compatible.
//!
//! Locations are Java's (`/fields/1/type/size`, union branches by index), and
//! each finding also carries logical JSON pointers into reader and writer.

use std::collections::HashMap;
use std::fmt;

use super::model::{Model, Node, NodeId, Primitive};
use crate::compat::{Finding, IncompatibilityKind};
use crate::error::pointer_push;

/// Apache Avro's `SchemaIncompatibilityType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncompatibilityType {
    /// Named types whose names (and reader aliases) do not match.
    NameMismatch,
    /// Fixed types of different sizes.
    FixedSizeMismatch,
    /// Writer enum symbols the reader lacks, with no reader default.
    MissingEnumSymbols,
    /// A reader field absent from the writer, with no default.
    ReaderFieldMissingDefaultValue,
    /// Types that do not resolve.
    TypeMismatch,
    /// A writer type no reader union branch can read.
    MissingUnionBranch,
}

impl IncompatibilityType {
    /// Java's constant name.
    pub fn as_str(self) -> &'static str {
        match self {
            IncompatibilityType::NameMismatch => "NAME_MISMATCH",
            IncompatibilityType::FixedSizeMismatch => "FIXED_SIZE_MISMATCH",
            IncompatibilityType::MissingEnumSymbols => "MISSING_ENUM_SYMBOLS",
            IncompatibilityType::ReaderFieldMissingDefaultValue => {
                "READER_FIELD_MISSING_DEFAULT_VALUE"
            }
            IncompatibilityType::TypeMismatch => "TYPE_MISMATCH",
            IncompatibilityType::MissingUnionBranch => "MISSING_UNION_BRANCH",
        }
    }
}

impl fmt::Display for IncompatibilityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding with both messages: Java's own text (for conformance and for
/// Confluent's `additionalInfo`) and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroFinding {
    /// The rule broken.
    pub kind: IncompatibilityType,
    /// Java's location.
    pub location: String,
    /// Logical pointer into the reader.
    pub reader_location: String,
    /// Logical pointer into the writer.
    pub writer_location: String,
    /// Java's message, e.g. `reader type: INT not compatible with writer type: STRING`.
    pub java_message: String,
    /// A sentence for people, e.g. `field 'amount': reader type int cannot read writer type string`.
    pub message: String,
}

/// Findings for reading data written with `writer` using `reader`.
pub fn check(reader: &super::AvroSchema, writer: &super::AvroSchema) -> Vec<Finding> {
    check_detailed(reader, writer)
        .into_iter()
        .map(|f| Finding {
            kind: IncompatibilityKind::Avro(f.kind),
            location: f.location,
            reader_location: f.reader_location,
            writer_location: f.writer_location,
            message: f.message,
        })
        .collect()
}

/// [`check`] with Java's messages kept.
pub fn check_detailed(reader: &super::AvroSchema, writer: &super::AvroSchema) -> Vec<AvroFinding> {
    let mut checker = Checker::new(reader, writer);
    checker.compat(reader.model().root, writer.model().root)
}

enum Memo {
    InProgress,
    Done(Vec<AvroFinding>),
}

/// One path token; paths are rendered only when a finding is made, so the
/// common (compatible) case allocates nothing per field.
#[derive(Clone, Copy)]
enum Tok {
    Key(&'static str),
    Index(usize),
}

impl Tok {
    fn push_onto(self, path: &mut String) {
        match self {
            Tok::Key(k) => *path = pointer_push(path, k),
            Tok::Index(i) => *path = pointer_push(path, i),
        }
    }
}

/// What one step down the schemas adds to Java's path and to each side's pointer.
#[derive(Clone, Copy)]
struct Step<'a> {
    java: Option<Tok>,
    reader: Option<Tok>,
    writer: Option<Tok>,
    field: Option<&'a str>,
}

struct Checker<'a> {
    reader: &'a Model,
    writer: &'a Model,
    memo: HashMap<(NodeId, NodeId), Memo>,
    steps: Vec<Step<'a>>,
    /// Subtree digests: equal shapes resolve without a walk.
    shapes: (&'a super::AvroSchema, &'a super::AvroSchema),
}

fn describe(model: &Model, id: NodeId) -> String {
    super::model::describe(&model.nodes, id)
}

const fn step<'a>(java: Option<Tok>, reader: Option<Tok>, writer: Option<Tok>) -> Step<'a> {
    Step {
        java,
        reader,
        writer,
        field: None,
    }
}

impl<'a> Checker<'a> {
    fn new(reader: &'a super::AvroSchema, writer: &'a super::AvroSchema) -> Self {
        Checker {
            reader: reader.model(),
            writer: writer.model(),
            memo: HashMap::new(),
            steps: Vec::new(),
            shapes: (reader, writer),
        }
    }

    fn finding(
        &self,
        kind: IncompatibilityType,
        java_message: String,
        message: String,
    ) -> AvroFinding {
        let (mut location, mut reader_location, mut writer_location) =
            (String::new(), String::new(), String::new());
        let mut fields: Vec<&str> = Vec::new();
        for s in &self.steps {
            if let Some(t) = s.java {
                t.push_onto(&mut location);
            }
            if let Some(t) = s.reader {
                t.push_onto(&mut reader_location);
            }
            if let Some(t) = s.writer {
                t.push_onto(&mut writer_location);
            }
            fields.extend(s.field);
        }
        if location.is_empty() {
            location.push('/');
        }
        let context = if fields.is_empty() {
            String::new()
        } else {
            format!("field '{}': ", fields.join("."))
        };
        AvroFinding {
            kind,
            location,
            reader_location,
            writer_location,
            java_message,
            message: format!("{context}{message}"),
        }
    }

    /// Runs `f` one step further down.
    fn nested<T>(&mut self, step: Step<'a>, f: impl FnOnce(&mut Self) -> T) -> T {
        self.steps.push(step);
        let out = f(self);
        self.steps.pop();
        out
    }

    fn compat(&mut self, r: NodeId, w: NodeId) -> Vec<AvroFinding> {
        if let (Some(a), Some(b)) = (self.shapes.0.shape(r), self.shapes.1.shape(w))
            && a == b
        {
            return Vec::new();
        }
        // Only records can recurse; memoizing them is what makes recursion end.
        let memoize = matches!(self.reader.node(r), Node::Record { .. })
            && matches!(self.writer.node(w), Node::Record { .. });
        if memoize {
            match self.memo.get(&(r, w)) {
                Some(Memo::InProgress) => return Vec::new(),
                Some(Memo::Done(found)) => return found.clone(),
                None => {}
            }
            self.memo.insert((r, w), Memo::InProgress);
        }
        let found = self.calculate(r, w);
        if memoize {
            self.memo.insert((r, w), Memo::Done(found.clone()));
        }
        found
    }

    fn type_mismatch(&self, r: NodeId, w: NodeId) -> Vec<AvroFinding> {
        let (rn, wn) = (self.reader.node(r), self.writer.node(w));
        vec![self.finding(
            IncompatibilityType::TypeMismatch,
            format!(
                "reader type: {} not compatible with writer type: {}",
                rn.type_name(),
                wn.type_name()
            ),
            format!(
                "reader type {} cannot read writer type {}",
                describe(self.reader, r),
                describe(self.writer, w)
            ),
        )]
    }

    fn calculate(&mut self, r: NodeId, w: NodeId) -> Vec<AvroFinding> {
        let (reader, writer) = (self.reader, self.writer);
        let (rn, wn) = (reader.node(r), writer.node(w));
        if rn.type_name() == wn.type_name() {
            return match (rn, wn) {
                (Node::Primitive { .. }, Node::Primitive { .. }) => Vec::new(),
                (Node::Array { items: ri, .. }, Node::Array { items: wi, .. }) => {
                    let (ri, wi) = (*ri, *wi);
                    self.nested(
                        step(
                            Some(Tok::Key("items")),
                            Some(Tok::Key("items")),
                            Some(Tok::Key("items")),
                        ),
                        |c| c.compat(ri, wi),
                    )
                }
                (Node::Map { values: rv, .. }, Node::Map { values: wv, .. }) => {
                    let (rv, wv) = (*rv, *wv);
                    self.nested(
                        step(
                            Some(Tok::Key("values")),
                            Some(Tok::Key("values")),
                            Some(Tok::Key("values")),
                        ),
                        |c| c.compat(rv, wv),
                    )
                }
                (Node::Fixed { size: rs, .. }, Node::Fixed { size: ws, .. }) => {
                    let mut out = self.names(r, w);
                    if rs != ws {
                        let (rs, ws) = (*rs, *ws);
                        out.push(self.nested(
                            step(
                                Some(Tok::Key("size")),
                                Some(Tok::Key("size")),
                                Some(Tok::Key("size")),
                            ),
                            |c| {
                                c.finding(
                                    IncompatibilityType::FixedSizeMismatch,
                                    format!("expected: {ws}, found: {rs}"),
                                    format!(
                                        "{} has size {rs} in the reader but {ws} in the writer",
                                        describe(reader, r)
                                    ),
                                )
                            },
                        ));
                    }
                    out
                }
                (
                    Node::Enum {
                        symbols: rsym,
                        default,
                        ..
                    },
                    Node::Enum { symbols: wsym, .. },
                ) => {
                    let mut out = self.names(r, w);
                    let mut missing: Vec<&String> =
                        wsym.iter().filter(|s| !rsym.contains(s)).collect();
                    let has_default = default.as_ref().is_some_and(|d| rsym.contains(d));
                    if !missing.is_empty() && !has_default {
                        missing.sort();
                        missing.dedup();
                        let list = missing
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ");
                        out.push(self.nested(step(Some(Tok::Key("symbols")), Some(Tok::Key("symbols")), Some(Tok::Key("symbols"))), |c| {
                            c.finding(
                                IncompatibilityType::MissingEnumSymbols,
                                format!("[{list}]"),
                                format!("{} lacks writer symbols [{list}] and has no default symbol", describe(reader, r)),
                            )
                        }));
                    }
                    out
                }
                (Node::Record { .. }, Node::Record { .. }) => {
                    let mut out = self.names(r, w);
                    out.extend(self.record_fields(r, w));
                    out
                }
                (Node::Union { .. }, Node::Union { branches: wb }) => {
                    let mut out = Vec::new();
                    for (i, b) in wb.iter().enumerate() {
                        let b = *b;
                        let here = step(Some(Tok::Index(i)), None, Some(Tok::Index(i)));
                        let bad = self.nested(here, |c| !c.compat(r, b).is_empty());
                        if bad {
                            out.push(self.nested(here, |c| c.missing_branch(r, b)));
                        }
                    }
                    out
                }
                _ => self.type_mismatch(r, w),
            };
        }
        if let Node::Union { branches } = wn {
            let mut out = Vec::new();
            for (i, b) in branches.iter().enumerate() {
                let b = *b;
                out.extend(
                    self.nested(step(Some(Tok::Index(i)), None, Some(Tok::Index(i))), |c| {
                        c.compat(r, b)
                    }),
                );
            }
            return out;
        }
        match rn {
            Node::Primitive { kind: rk, .. } => {
                // The promotions of the specification.
                let ok = matches!(
                    (rk, wn),
                    (
                        Primitive::Long,
                        Node::Primitive {
                            kind: Primitive::Int,
                            ..
                        }
                    ) | (
                        Primitive::Float,
                        Node::Primitive {
                            kind: Primitive::Int | Primitive::Long,
                            ..
                        }
                    ) | (
                        Primitive::Double,
                        Node::Primitive {
                            kind: Primitive::Int | Primitive::Long | Primitive::Float,
                            ..
                        }
                    ) | (
                        Primitive::Bytes,
                        Node::Primitive {
                            kind: Primitive::String,
                            ..
                        }
                    ) | (
                        Primitive::String,
                        Node::Primitive {
                            kind: Primitive::Bytes,
                            ..
                        }
                    )
                );
                if ok {
                    Vec::new()
                } else {
                    self.type_mismatch(r, w)
                }
            }
            Node::Union { branches } => {
                for b in branches {
                    let b = *b;
                    if self.compat(b, w).is_empty() {
                        return Vec::new();
                    }
                }
                vec![self.missing_branch(r, w)]
            }
            _ => self.type_mismatch(r, w),
        }
    }

    fn missing_branch(&self, r: NodeId, w: NodeId) -> AvroFinding {
        let _ = r;
        self.finding(
            IncompatibilityType::MissingUnionBranch,
            format!(
                "reader union lacking writer type: {}",
                self.writer.node(w).type_name()
            ),
            format!(
                "reader union has no branch that can read writer type {}",
                describe(self.writer, w)
            ),
        )
    }

    /// Java's `checkSchemaNames`: unqualified names equal, or a reader alias
    /// naming the writer's full name.
    fn names(&mut self, r: NodeId, w: NodeId) -> Vec<AvroFinding> {
        let (rn, wn) = (self.reader.node(r), self.writer.node(w));
        let (Some(rname), Some(wname)) = (rn.name(), wn.name()) else {
            return Vec::new();
        };
        if rname.name == wname.name {
            return Vec::new();
        }
        let wfull = wname.fullname();
        if rn.aliases().contains(&wfull) {
            return Vec::new();
        }
        let rfull = rname.fullname();
        vec![self.nested(step(Some(Tok::Key("name")), Some(Tok::Key("name")), Some(Tok::Key("name"))), |c| {
            c.finding(
                IncompatibilityType::NameMismatch,
                format!("expected: {wfull}"),
                format!("reader type name '{rfull}' does not match writer type name '{wfull}' and no reader alias names it"),
            )
        })]
    }

    fn record_fields(&mut self, r: NodeId, w: NodeId) -> Vec<AvroFinding> {
        let (reader, writer) = (self.reader, self.writer);
        let (
            Node::Record {
                fields: rfields, ..
            },
            Node::Record {
                fields: wfields,
                by_name: wby,
                ..
            },
        ) = (reader.node(r), writer.node(w))
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (ri, rf) in rfields.iter().enumerate() {
            // Fields usually keep their position; try it before hashing the name.
            let found = match wfields.get(ri) {
                Some(wf) if wf.name == rf.name => Some(ri),
                _ => wby
                    .get(&rf.name)
                    .or_else(|| rf.aliases.iter().find_map(|a| wby.get(a)))
                    .copied(),
            };
            let field = Step {
                java: Some(Tok::Index(ri)),
                reader: Some(Tok::Index(ri)),
                writer: found.map(Tok::Index),
                field: Some(rf.name.as_str()),
            };
            let fields = step(
                Some(Tok::Key("fields")),
                Some(Tok::Key("fields")),
                found.map(|_| Tok::Key("fields")),
            );
            self.steps.push(fields);
            self.steps.push(field);
            match found {
                None if rf.default.is_none() => {
                    let enum_default = matches!(
                        reader.node(rf.ty),
                        Node::Enum {
                            default: Some(_),
                            ..
                        }
                    );
                    if enum_default {
                        // Java compares the enum against the writer record here.
                        let ty = rf.ty;
                        out.extend(self.nested(
                            step(Some(Tok::Key("type")), Some(Tok::Key("type")), None),
                            |c| c.compat(ty, w),
                        ));
                    } else {
                        out.push(self.finding(
                            IncompatibilityType::ReaderFieldMissingDefaultValue,
                            rf.name.clone(),
                            "reader has this field but the writer does not, and it has no default".to_owned(),
                        ));
                    }
                }
                None => {}
                Some(wi) => {
                    let (rt, wt) = (rf.ty, wfields[wi].ty);
                    let ty = Some(Tok::Key("type"));
                    out.extend(self.nested(step(ty, ty, ty), |c| c.compat(rt, wt)));
                }
            }
            self.steps.pop();
            self.steps.pop();
        }
        out
    }
}
