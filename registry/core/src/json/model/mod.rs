//! The shape the difference engine compares: each subschema classified the way
//! Confluent's schema loader classifies it.
//!
//! A schema object becomes one *kind* from the keywords it carries: `enum`, a
//! combinator (`allOf`/`anyOf`/`oneOf`), `not`, `const`, a type (explicit through
//! `type`, or implied by type-specific keywords such as `maxLength` or
//! `properties`) or a conditional. When it carries several (say `type` and
//! `enum`), it becomes a *synthetic* `allOf` of them. `{}` and `true` accept
//! everything, `false` nothing. A `$ref` is followed lazily, so recursive schemas
//! are finite graphs here.
//!
//! Draft differences handled here: draft 4 spells `$id` as `id` and has boolean
//! `exclusiveMaximum`/`exclusiveMinimum` (which, like Confluent, are not
//! compared); 2019-09 and 2020-12 add `dependentRequired`/`dependentSchemas`
//! (compared like `dependencies`), `unevaluatedProperties`/`unevaluatedItems` and
//! `minContains` (default 1 next to `contains`), let `$ref` sit next to other
//! keywords, and carry no comparable `$id`; 2020-12 moves tuples to
//! `prefixItems` with `items` as what follows them, and an empty `properties`
//! object constrains nothing.

mod keywords;

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{Map, Value};

use super::refs::{self, Target};
use super::{Document, Draft};
use crate::error::pointer_push;
pub(crate) use keywords::{Additional, ArrayKw, NumberKw, ObjectKw, StringKw};
use keywords::{common, has_keyword, number, string};

/// Index of a node in a [`Model`].
pub(crate) type NodeId = usize;

/// `allOf`, `anyOf` or `oneOf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Criterion {
    All,
    Any,
    One,
}

impl Criterion {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Criterion::All => "allOf",
            Criterion::Any => "anyOf",
            Criterion::One => "oneOf",
        }
    }
}

/// What a node is.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// `{}` or a schema with no validation keyword: accepts everything.
    Empty,
    /// `true`: accepts everything.
    True,
    /// `false`: accepts nothing.
    False,
    /// A `$ref`, with its target (`None` only if it did not resolve).
    Ref(Option<Target>),
    String(StringKw),
    Number(NumberKw),
    Boolean,
    Null,
    Object(Box<ObjectKw>),
    Array(Box<ArrayKw>),
    Enum(Vec<Value>),
    Const(Value),
    Combined {
        criterion: Criterion,
        subschemas: Vec<NodeId>,
    },
    Not(NodeId),
    /// `if`/`then`/`else`: compared by kind only, as Confluent does.
    Conditional,
}

impl Kind {
    /// The name used in messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Kind::Empty | Kind::True => "any value".to_owned(),
            Kind::False => "no value".to_owned(),
            Kind::Ref(_) => "a reference".to_owned(),
            Kind::String(_) => "string".to_owned(),
            Kind::Number(n) if n.integer => "integer".to_owned(),
            Kind::Number(_) => "number".to_owned(),
            Kind::Boolean => "boolean".to_owned(),
            Kind::Null => "null".to_owned(),
            Kind::Object(_) => "object".to_owned(),
            Kind::Array(_) => "array".to_owned(),
            Kind::Enum(_) => "enum".to_owned(),
            Kind::Const(_) => "const".to_owned(),
            Kind::Combined { criterion, .. } => criterion.keyword().to_owned(),
            Kind::Not(_) => "not".to_owned(),
            Kind::Conditional => "if/then/else".to_owned(),
        }
    }

    /// Which class a node belongs to: two nodes of different classes differ in type.
    pub(crate) fn class(&self) -> u8 {
        match self {
            Kind::Empty => 0,
            Kind::True => 1,
            Kind::False => 2,
            Kind::Ref(_) => 3,
            Kind::String(_) => 4,
            Kind::Number(_) => 5,
            Kind::Boolean => 6,
            Kind::Null => 7,
            Kind::Object(_) => 8,
            Kind::Array(_) => 9,
            Kind::Enum(_) => 10,
            Kind::Const(_) => 11,
            Kind::Combined { .. } => 12,
            Kind::Not(_) => 13,
            Kind::Conditional => 14,
        }
    }

    /// `{}` or `true`.
    pub(crate) fn accepts_everything(&self) -> bool {
        matches!(self, Kind::Empty | Kind::True)
    }
}

/// Annotations every node may carry.
#[derive(Debug, Clone, Default)]
pub(crate) struct Common {
    pub(crate) id: Option<Value>,
    pub(crate) title: Option<Value>,
    pub(crate) description: Option<Value>,
    pub(crate) default: Option<Value>,
    /// `"connect.type": "bytes"` (Kafka Connect's decimal-as-bytes marker).
    pub(crate) connect_bytes: bool,
}

/// One (sub)schema.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) doc: usize,
    /// JSON pointer of the schema object in its document.
    pub(crate) pointer: String,
    /// Made up by classification (a member of a `type` array, or one keyword
    /// group of a synthetic `allOf`): has no text of its own.
    pub(crate) synthetic: bool,
    pub(crate) common: Common,
    pub(crate) kind: Kind,
}

/// The nodes of one schema and the documents it references, built on demand.
#[derive(Debug)]
pub(crate) struct Model<'a> {
    docs: &'a [Document],
    nodes: Vec<Rc<Node>>,
    by_location: HashMap<(usize, String), NodeId>,
}

const STRING_KEYWORDS: [&str; 4] = ["minLength", "maxLength", "pattern", "format"];
const NUMBER_KEYWORDS: [&str; 5] = [
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const OBJECT_KEYWORDS: [&str; 11] = [
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "minProperties",
    "maxProperties",
    "dependencies",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
];
const ARRAY_KEYWORDS: [&str; 10] = [
    "items",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "prefixItems",
    "unevaluatedItems",
    "minContains",
    "maxContains",
];

impl<'a> Model<'a> {
    pub(crate) fn new(docs: &'a [Document]) -> Self {
        Model {
            docs,
            nodes: Vec::new(),
            by_location: HashMap::new(),
        }
    }

    /// The root schema.
    pub(crate) fn root(&mut self) -> NodeId {
        self.node_at(0, "")
    }

    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// A shared handle on a node, for callers that keep it across mutations.
    pub(crate) fn node_rc(&self, id: NodeId) -> Rc<Node> {
        Rc::clone(&self.nodes[id])
    }

    /// The raw JSON of a node that has text of its own.
    pub(crate) fn raw(&self, id: NodeId) -> Option<&'a Value> {
        let node = &self.nodes[id];
        if node.synthetic {
            None
        } else {
            self.docs.get(node.doc)?.value.pointer(&node.pointer)
        }
    }

    /// Follows references until a node that is not one (at most 64 hops; a cycle
    /// of references that never reaches a schema ends where it started).
    pub(crate) fn deref(&mut self, mut id: NodeId) -> NodeId {
        for _ in 0..64 {
            let Kind::Ref(target) = &self.nodes[id].kind else {
                return id;
            };
            let Some(target) = target.clone() else {
                return id;
            };
            id = self.node_at(target.doc, &target.pointer);
        }
        id
    }

    /// The node of the schema at `pointer` in document `doc`, built on first use.
    pub(crate) fn node_at(&mut self, doc: usize, pointer: &str) -> NodeId {
        if let Some(id) = self.by_location.get(&(doc, pointer.to_owned())) {
            return *id;
        }
        let id = self.build(doc, pointer);
        self.by_location.insert((doc, pointer.to_owned()), id);
        id
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(Rc::new(node));
        self.nodes.len() - 1
    }

    fn build(&mut self, doc: usize, pointer: &str) -> NodeId {
        let docs = self.docs;
        let (value, draft) = match docs.get(doc) {
            Some(d) => (d.value.pointer(pointer), d.draft),
            None => (None, Draft::Draft7),
        };
        let plain = |kind| Node {
            doc,
            pointer: pointer.to_owned(),
            synthetic: false,
            common: Common::default(),
            kind,
        };
        let map = match value {
            Some(Value::Bool(true)) => return self.push(plain(Kind::True)),
            Some(Value::Bool(false)) => return self.push(plain(Kind::False)),
            Some(Value::Object(map)) => map,
            _ => return self.push(plain(Kind::Empty)),
        };
        let mut parts = Vec::new();
        if let Some(Value::String(reference)) = map.get("$ref") {
            let target = refs::resolve(docs, doc, reference);
            if !draft.is_modern() {
                // Up to draft 7 a `$ref` replaces its siblings.
                return self.push(plain(Kind::Ref(target)));
            }
            parts.push(Kind::Ref(target));
        }
        self.extract(doc, pointer, map, draft, &mut parts);
        let kind = match parts.len() {
            0 => Kind::Empty,
            1 => parts.pop().unwrap_or(Kind::Empty),
            _ => {
                let subschemas = parts
                    .into_iter()
                    .map(|kind| self.synthetic(doc, pointer, kind))
                    .collect();
                Kind::Combined {
                    criterion: Criterion::All,
                    subschemas,
                }
            }
        };
        let common = common(map, draft);
        self.push(Node {
            doc,
            pointer: pointer.to_owned(),
            synthetic: false,
            common,
            kind,
        })
    }

    fn synthetic(&mut self, doc: usize, pointer: &str, kind: Kind) -> NodeId {
        self.push(Node {
            doc,
            pointer: pointer.to_owned(),
            synthetic: true,
            common: Common::default(),
            kind,
        })
    }

    /// The kinds a schema object's keywords make, in a fixed order.
    fn extract(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &Map<String, Value>,
        draft: Draft,
        parts: &mut Vec<Kind>,
    ) {
        if let Some(Value::Array(values)) = map.get("enum") {
            parts.push(Kind::Enum(values.clone()));
        }
        for criterion in [Criterion::All, Criterion::Any, Criterion::One] {
            if let Some(Value::Array(items)) = map.get(criterion.keyword()) {
                let at = pointer_push(pointer, criterion.keyword());
                let subschemas = (0..items.len())
                    .map(|i| self.node_at(doc, &pointer_push(&at, i)))
                    .collect();
                parts.push(Kind::Combined {
                    criterion,
                    subschemas,
                });
            }
        }
        if map.contains_key("not") {
            parts.push(Kind::Not(self.node_at(doc, &pointer_push(pointer, "not"))));
        }
        if draft >= Draft::Draft6
            && let Some(value) = map.get("const")
        {
            parts.push(Kind::Const(value.clone()));
        }
        match map.get("type") {
            Some(Value::String(t)) => {
                if let Some(kind) = self.typed(doc, pointer, map, draft, t) {
                    parts.push(kind);
                }
            }
            Some(Value::Array(types)) => {
                let mut subschemas = Vec::new();
                for t in types.iter().filter_map(Value::as_str) {
                    if let Some(kind) = self.typed(doc, pointer, map, draft, t) {
                        subschemas.push(self.synthetic(doc, pointer, kind));
                    }
                }
                parts.push(Kind::Combined {
                    criterion: Criterion::Any,
                    subschemas,
                });
            }
            _ => {
                let has = |keywords: &[&str]| keywords.iter().any(|k| has_keyword(map, k, draft));
                if has(&ARRAY_KEYWORDS) {
                    parts.push(Kind::Array(Box::new(self.array(doc, pointer, map, draft))));
                }
                if has(&OBJECT_KEYWORDS) {
                    parts.push(Kind::Object(Box::new(
                        self.object(doc, pointer, map, draft),
                    )));
                }
                if has(&NUMBER_KEYWORDS) {
                    parts.push(Kind::Number(number(map, draft, false)));
                }
                if has(&STRING_KEYWORDS) {
                    parts.push(Kind::String(string(map)));
                }
            }
        }
        if draft >= Draft::Draft7 && map.contains_key("if") {
            parts.push(Kind::Conditional);
        }
    }

    fn typed(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &Map<String, Value>,
        draft: Draft,
        type_name: &str,
    ) -> Option<Kind> {
        Some(match type_name {
            "string" => Kind::String(string(map)),
            "integer" => Kind::Number(number(map, draft, true)),
            "number" => Kind::Number(number(map, draft, false)),
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            "object" => Kind::Object(Box::new(self.object(doc, pointer, map, draft))),
            "array" => Kind::Array(Box::new(self.array(doc, pointer, map, draft))),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_of(value: Value, draft: Draft) -> (Vec<Document>, Draft) {
        (
            vec![Document {
                name: String::new(),
                value,
                draft,
            }],
            draft,
        )
    }

    fn root_kind(value: Value, draft: Draft) -> Kind {
        let (docs, _) = model_of(value, draft);
        let mut model = Model::new(&docs);
        let root = model.root();
        model.node(root).kind.clone()
    }

    #[test]
    fn classifies_by_type_and_by_keywords() {
        assert!(matches!(
            root_kind(serde_json::json!({}), Draft::Draft7),
            Kind::Empty
        ));
        assert!(matches!(
            root_kind(serde_json::json!(true), Draft::Draft7),
            Kind::True
        ));
        assert!(matches!(
            root_kind(serde_json::json!({"maxLength": 3}), Draft::Draft7),
            Kind::String(_)
        ));
        assert!(
            matches!(root_kind(serde_json::json!({"type": "integer"}), Draft::Draft7), Kind::Number(n) if n.integer)
        );
        assert!(matches!(
            root_kind(serde_json::json!({"properties": {}}), Draft::Draft7),
            Kind::Object(_)
        ));
        assert!(matches!(
            root_kind(serde_json::json!({"properties": {}}), Draft::Draft202012),
            Kind::Empty
        ));
        assert!(matches!(
            root_kind(serde_json::json!({"type": ["string", "null"]}), Draft::Draft7),
            Kind::Combined { criterion: Criterion::Any, subschemas } if subschemas.len() == 2
        ));
        assert!(matches!(
            root_kind(serde_json::json!({"type": "string", "enum": ["a"]}), Draft::Draft7),
            Kind::Combined { criterion: Criterion::All, subschemas } if subschemas.len() == 2
        ));
    }

    #[test]
    fn tuples_by_draft() {
        let Kind::Array(a) = root_kind(
            serde_json::json!({"items": [{}, {}], "additionalItems": false}),
            Draft::Draft7,
        ) else {
            panic!("not an array")
        };
        assert_eq!(a.item_list.len(), 2);
        assert!(!a.additional.permits);
        let Kind::Array(a) = root_kind(
            serde_json::json!({"prefixItems": [{}], "items": {"type": "string"}}),
            Draft::Draft202012,
        ) else {
            panic!("not an array")
        };
        assert_eq!(a.item_list.len(), 1);
        assert!(a.additional.schema.is_some() && a.all_items.is_none());
    }

    #[test]
    fn refs_are_followed_lazily_and_cycles_end() {
        let (docs, _) = model_of(
            serde_json::json!({"$ref": "#/definitions/a",
                               "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}}),
            Draft::Draft7,
        );
        let mut model = Model::new(&docs);
        let root = model.root();
        let end = model.deref(root);
        assert!(matches!(model.node(end).kind, Kind::Ref(_)));
    }
}
