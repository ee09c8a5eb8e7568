//! Type-specific keywords: what strings, numbers, objects and arrays carry, and
//! how each draft spells them.

use serde_json::{Map, Number, Value};

use super::{Common, Model, NodeId};
use crate::error::pointer_push;
use crate::json::Draft;

/// `additionalProperties`, `additionalItems` and their `unevaluated*` cousins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Additional {
    /// False only for the `false` schema.
    pub(crate) permits: bool,
    /// The schema further members must match, when one is given.
    pub(crate) schema: Option<NodeId>,
}

impl Additional {
    const OPEN: Additional = Additional {
        permits: true,
        schema: None,
    };

    pub(crate) fn is_open(self) -> bool {
        self.permits && self.schema.is_none()
    }
}

/// String keywords.
#[derive(Debug, Clone, Default)]
pub(crate) struct StringKw {
    pub(crate) min_length: Option<u64>,
    pub(crate) max_length: Option<u64>,
    pub(crate) pattern: Option<String>,
}

/// Number keywords.
#[derive(Debug, Clone, Default)]
pub(crate) struct NumberKw {
    pub(crate) integer: bool,
    pub(crate) minimum: Option<Number>,
    pub(crate) maximum: Option<Number>,
    pub(crate) exclusive_minimum: Option<Number>,
    pub(crate) exclusive_maximum: Option<Number>,
    pub(crate) multiple_of: Option<Number>,
}

/// Object keywords.
#[derive(Debug, Clone)]
pub(crate) struct ObjectKw {
    pub(crate) properties: Vec<(String, NodeId)>,
    pub(crate) required: Vec<String>,
    pub(crate) additional: Additional,
    pub(crate) unevaluated: Additional,
    pub(crate) pattern_properties: Vec<(String, NodeId)>,
    pub(crate) property_dependencies: Vec<(String, Vec<String>)>,
    pub(crate) schema_dependencies: Vec<(String, NodeId)>,
    pub(crate) min_properties: Option<u64>,
    pub(crate) max_properties: Option<u64>,
}

impl ObjectKw {
    pub(crate) fn property(&self, name: &str) -> Option<NodeId> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
    }

    pub(crate) fn requires(&self, name: &str) -> bool {
        self.required.iter().any(|r| r == name)
    }
}

/// Array keywords.
#[derive(Debug, Clone)]
pub(crate) struct ArrayKw {
    /// `items` as one schema for every element.
    pub(crate) all_items: Option<NodeId>,
    /// `items` as a tuple (`prefixItems` in 2020-12).
    pub(crate) item_list: Vec<NodeId>,
    pub(crate) additional: Additional,
    pub(crate) unevaluated: Additional,
    pub(crate) min_items: Option<u64>,
    pub(crate) max_items: Option<u64>,
    pub(crate) unique_items: bool,
    pub(crate) min_contains: Option<u64>,
    pub(crate) max_contains: Option<u64>,
}

impl Model<'_> {
    pub(super) fn members(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &Map<String, Value>,
        key: &str,
    ) -> Vec<(String, NodeId)> {
        let Some(Value::Object(members)) = map.get(key) else {
            return Vec::new();
        };
        let at = pointer_push(pointer, key);
        members
            .keys()
            .map(|name| (name.clone(), self.node_at(doc, &pointer_push(&at, name))))
            .collect()
    }

    pub(super) fn additional(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &Map<String, Value>,
        key: &str,
    ) -> Additional {
        match map.get(key) {
            Some(Value::Bool(permits)) => Additional {
                permits: *permits,
                schema: None,
            },
            Some(Value::Object(_)) => Additional {
                permits: true,
                schema: Some(self.node_at(doc, &pointer_push(pointer, key))),
            },
            _ => Additional::OPEN,
        }
    }

    pub(super) fn object(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &Map<String, Value>,
        draft: Draft,
    ) -> ObjectKw {
        let mut property_dependencies = Vec::new();
        let mut schema_dependencies = Vec::new();
        let mut dependency_sources = Vec::new();
        if draft <= Draft::Draft201909 {
            dependency_sources.push("dependencies");
        }
        if draft.is_modern() {
            dependency_sources.extend(["dependentRequired", "dependentSchemas"]);
        }
        for key in dependency_sources {
            let Some(Value::Object(deps)) = map.get(key) else {
                continue;
            };
            let at = pointer_push(pointer, key);
            for (name, dep) in deps {
                match dep {
                    Value::Array(names) => property_dependencies.push((
                        name.clone(),
                        names
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect(),
                    )),
                    _ => schema_dependencies
                        .push((name.clone(), self.node_at(doc, &pointer_push(&at, name)))),
                }
            }
        }
        let unevaluated = if draft.is_modern() {
            self.additional(doc, pointer, map, "unevaluatedProperties")
        } else {
            Additional::OPEN
        };
        ObjectKw {
            properties: self.members(doc, pointer, map, "properties"),
            required: strings(map.get("required")),
            additional: self.additional(doc, pointer, map, "additionalProperties"),
            unevaluated,
            pattern_properties: self.members(doc, pointer, map, "patternProperties"),
            property_dependencies,
            schema_dependencies,
            min_properties: map.get("minProperties").and_then(Value::as_u64),
            max_properties: map.get("maxProperties").and_then(Value::as_u64),
        }
    }

    pub(super) fn array(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &Map<String, Value>,
        draft: Draft,
    ) -> ArrayKw {
        let list = |model: &mut Self, key: &str| -> Vec<NodeId> {
            let Some(Value::Array(items)) = map.get(key) else {
                return Vec::new();
            };
            let at = pointer_push(pointer, key);
            (0..items.len())
                .map(|i| model.node_at(doc, &pointer_push(&at, i)))
                .collect()
        };
        let mut all_items = None;
        let item_list;
        let additional;
        if draft == Draft::Draft202012 {
            item_list = list(self, "prefixItems");
            additional = match map.get("items") {
                Some(Value::Bool(false)) => Additional {
                    permits: false,
                    schema: None,
                },
                Some(Value::Object(_)) => {
                    let schema = self.node_at(doc, &pointer_push(pointer, "items"));
                    if map.contains_key("prefixItems") {
                        Additional {
                            permits: true,
                            schema: Some(schema),
                        }
                    } else {
                        all_items = Some(schema);
                        Additional::OPEN
                    }
                }
                _ => Additional::OPEN,
            };
        } else {
            item_list = list(self, "items");
            if matches!(map.get("items"), Some(Value::Object(_) | Value::Bool(_))) {
                all_items = Some(self.node_at(doc, &pointer_push(pointer, "items")));
            }
            additional = self.additional(doc, pointer, map, "additionalItems");
        }
        let modern = draft.is_modern();
        let unevaluated = if modern {
            self.additional(doc, pointer, map, "unevaluatedItems")
        } else {
            Additional::OPEN
        };
        let contains = draft >= Draft::Draft6 && map.contains_key("contains");
        let min_contains = if modern && contains {
            Some(map.get("minContains").and_then(Value::as_u64).unwrap_or(1))
        } else {
            None
        };
        let max_contains = if modern && contains {
            map.get("maxContains").and_then(Value::as_u64)
        } else {
            None
        };
        ArrayKw {
            all_items,
            item_list,
            additional,
            unevaluated,
            min_items: map.get("minItems").and_then(Value::as_u64),
            max_items: map.get("maxItems").and_then(Value::as_u64),
            unique_items: map
                .get("uniqueItems")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            min_contains,
            max_contains,
        }
    }
}

/// Whether `map` carries `keyword` in a way that matters for `draft`.
pub(super) fn has_keyword(map: &Map<String, Value>, keyword: &str, draft: Draft) -> bool {
    let Some(value) = map.get(keyword) else {
        return false;
    };
    match keyword {
        // 2020-12: an empty `properties` object constrains nothing.
        "properties" if draft == Draft::Draft202012 => {
            value.as_object().is_some_and(|m| !m.is_empty())
        }
        "contains" | "propertyNames" => draft >= Draft::Draft6,
        "dependentRequired"
        | "dependentSchemas"
        | "unevaluatedProperties"
        | "unevaluatedItems"
        | "minContains"
        | "maxContains" => draft.is_modern(),
        "prefixItems" => draft == Draft::Draft202012,
        "dependencies" | "additionalItems" => draft <= Draft::Draft201909,
        _ => true,
    }
}

pub(super) fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

pub(super) fn string(map: &Map<String, Value>) -> StringKw {
    StringKw {
        min_length: map.get("minLength").and_then(Value::as_u64),
        max_length: map.get("maxLength").and_then(Value::as_u64),
        pattern: map
            .get("pattern")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

pub(super) fn number(map: &Map<String, Value>, draft: Draft, integer: bool) -> NumberKw {
    let num = |key: &str| match map.get(key) {
        Some(Value::Number(n)) => Some(n.clone()),
        _ => None,
    };
    // Draft 4's boolean exclusive flags modify minimum/maximum; like Confluent,
    // only the numeric (draft 6+) form is compared.
    let exclusive = |key: &str| {
        if draft >= Draft::Draft6 {
            num(key)
        } else {
            None
        }
    };
    NumberKw {
        integer,
        minimum: num("minimum"),
        maximum: num("maximum"),
        exclusive_minimum: exclusive("exclusiveMinimum"),
        exclusive_maximum: exclusive("exclusiveMaximum"),
        multiple_of: num("multipleOf"),
    }
}

pub(super) fn common(map: &Map<String, Value>, draft: Draft) -> Common {
    let id_key = match draft {
        Draft::Draft4 => Some("id"),
        Draft::Draft6 | Draft::Draft7 => Some("$id"),
        Draft::Draft201909 | Draft::Draft202012 => None,
    };
    Common {
        id: id_key.and_then(|k| map.get(k)).cloned(),
        title: map.get("title").cloned(),
        description: map.get("description").cloned(),
        default: map.get("default").cloned(),
        connect_bytes: map.get("connect.type").and_then(Value::as_str) == Some("bytes"),
    }
}
