//! Objects and arrays: properties, content models, dependencies and tuples.

use serde_json::Value;

use super::scalar::{
    MAX_CONTAINS, MAX_ITEMS, MAX_PROPERTIES, MIN_CONTAINS, MIN_ITEMS, MIN_PROPERTIES, compare_bound,
};
use super::{At, Ctx, Engine};
use crate::json::compat::DifferenceType as D;
use crate::json::model::{Additional, ArrayKw, Kind, NodeId, ObjectKw};

impl Engine<'_> {
    pub(super) fn compare_objects(&mut self, ctx: &mut Ctx, at: &At, o: &ObjectKw, u: &ObjectKw) {
        // Required: only for properties both sides define.
        ctx.push("required");
        for (name, _) in &o.properties {
            let Some(u_prop) = u.property(name) else {
                continue;
            };
            let (was, is) = (o.requires(name), u.requires(name));
            let here = At {
                original: at.original.child("required"),
                update: at.update.child("required"),
            };
            if was && !is {
                here.emit(ctx, D::RequiredAttributeRemoved, Some(name), None, None);
            } else if !was && is {
                let kind = if self.has_default(self.u_side(), u_prop) {
                    D::RequiredAttributeWithDefaultAdded
                } else {
                    D::RequiredAttributeAdded
                };
                here.emit(ctx, kind, Some(name), None, None);
            }
        }
        ctx.pop();

        ctx.push("properties");
        let mut names: Vec<&String> = o.properties.iter().map(|(n, _)| n).collect();
        names.extend(
            u.properties
                .iter()
                .map(|(n, _)| n)
                .filter(|n| o.property(n).is_none()),
        );
        for name in names {
            ctx.push(name.clone());
            let here = At {
                original: at.original.child("properties").child(name),
                update: at.update.child("properties").child(name),
            };
            match (o.property(name), u.property(name)) {
                (Some(op), Some(up)) => self.compare(ctx, op, up),
                (Some(op), None) => self.property_removed(ctx, &here, op, u, name),
                (None, Some(up)) => self.property_added(ctx, &here, o, u, up, name),
                (None, None) => {}
            }
            ctx.pop();
        }
        ctx.pop();

        self.compare_dependencies(ctx, at, o, u);
        self.compare_additional(
            ctx,
            at,
            "additionalProperties",
            o.additional,
            u.additional,
            ADDITIONAL_PROPERTIES,
        );
        self.compare_additional(
            ctx,
            at,
            "unevaluatedProperties",
            o.unevaluated,
            u.unevaluated,
            UNEVALUATED_PROPERTIES,
        );
        compare_bound(
            ctx,
            at,
            "maxProperties",
            o.max_properties,
            u.max_properties,
            MAX_PROPERTIES,
        );
        compare_bound(
            ctx,
            at,
            "minProperties",
            o.min_properties,
            u.min_properties,
            MIN_PROPERTIES,
        );
    }

    fn property_removed(&mut self, ctx: &mut Ctx, at: &At, op: NodeId, u: &ObjectKw, name: &str) {
        // Only the update's content model matters: may it still see the property?
        if object_is_open(u) {
            at.emit(
                ctx,
                D::PropertyRemovedFromOpenContentModel,
                None,
                None,
                None,
            );
        } else if let Some(partial) = self.partial_schema(u, name) {
            let (ok, sub) = self.try_compare(ctx, op, partial);
            ctx.diffs.extend(sub.diffs);
            let kind = if ok {
                D::PropertyRemovedIsCoveredByPartiallyOpenContentModel
            } else {
                D::PropertyRemovedNotCoveredByPartiallyOpenContentModel
            };
            at.emit(ctx, kind, None, None, None);
        } else if matches!(self.kind_of(self.o_side(), op), Kind::False) {
            at.emit(
                ctx,
                D::PropertyWithFalseRemovedFromClosedContentModel,
                None,
                None,
                None,
            );
        } else {
            at.emit(
                ctx,
                D::PropertyRemovedFromClosedContentModel,
                None,
                None,
                None,
            );
        }
    }

    fn property_added(
        &mut self,
        ctx: &mut Ctx,
        at: &At,
        o: &ObjectKw,
        u: &ObjectKw,
        up: NodeId,
        name: &str,
    ) {
        // Only the original's content model matters: could old data carry the property?
        let required = u.requires(name);
        let with_default = self.has_default(self.u_side(), up);
        if object_is_open(o) {
            let kind = if self.kind_of(self.u_side(), up).accepts_everything() {
                D::PropertyWithEmptySchemaAddedToOpenContentModel
            } else if required && with_default {
                D::RequiredPropertyWithDefaultAddedToOpenContentModel
            } else if required {
                D::RequiredPropertyAddedToOpenContentModel
            } else {
                D::OptionalPropertyAddedToOpenContentModel
            };
            at.emit(ctx, kind, None, None, None);
            return;
        }
        if let Some(partial) = self.partial_schema(o, name) {
            let (ok, sub) = self.try_compare(ctx, partial, up);
            ctx.diffs.extend(sub.diffs);
            let kind = if ok {
                D::PropertyAddedIsCoveredByPartiallyOpenContentModel
            } else {
                D::PropertyAddedNotCoveredByPartiallyOpenContentModel
            };
            at.emit(ctx, kind, None, None, None);
        }
        let kind = if required && with_default {
            D::RequiredPropertyWithDefaultAddedToUnopenContentModel
        } else if required {
            D::RequiredPropertyAddedToUnopenContentModel
        } else {
            D::OptionalPropertyAddedToUnopenContentModel
        };
        at.emit(ctx, kind, None, None, None);
    }

    fn compare_dependencies(&mut self, ctx: &mut Ctx, at: &At, o: &ObjectKw, u: &ObjectKw) {
        ctx.push("dependencies");
        let deps_at = At {
            original: at.original.child("dependencies"),
            update: at.update.child("dependencies"),
        };
        let mut names: Vec<&String> = o.property_dependencies.iter().map(|(n, _)| n).collect();
        names.extend(
            u.property_dependencies
                .iter()
                .map(|(n, _)| n)
                .filter(|n| !o.property_dependencies.iter().any(|(m, _)| m == *n)),
        );
        for name in names {
            let find = |kw: &ObjectKw| {
                kw.property_dependencies
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, d)| d.clone())
            };
            let kind = match (find(o), find(u)) {
                (Some(_), None) => Some(D::DependencyArrayRemoved),
                (None, Some(_)) => Some(D::DependencyArrayAdded),
                (Some(a), Some(b)) => {
                    let (a_in_b, b_in_a) = (
                        a.iter().all(|x| b.contains(x)),
                        b.iter().all(|x| a.contains(x)),
                    );
                    match (a_in_b, b_in_a) {
                        (true, true) => None,
                        (true, false) => Some(D::DependencyArrayExtended),
                        (false, true) => Some(D::DependencyArrayNarrowed),
                        (false, false) => Some(D::DependencyArrayChanged),
                    }
                }
                (None, None) => None,
            };
            if let Some(kind) = kind {
                deps_at.emit(ctx, kind, Some(name), None, None);
            }
        }
        let mut names: Vec<&String> = o.schema_dependencies.iter().map(|(n, _)| n).collect();
        names.extend(
            u.schema_dependencies
                .iter()
                .map(|(n, _)| n)
                .filter(|n| !o.schema_dependencies.iter().any(|(m, _)| m == *n)),
        );
        for name in names {
            let find = |kw: &ObjectKw| {
                kw.schema_dependencies
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, d)| *d)
            };
            match (find(o), find(u)) {
                (Some(_), None) => {
                    deps_at.emit(ctx, D::DependencySchemaRemoved, Some(name), None, None)
                }
                (None, Some(_)) => {
                    deps_at.emit(ctx, D::DependencySchemaAdded, Some(name), None, None)
                }
                (Some(a), Some(b)) => {
                    ctx.push(name.clone());
                    self.compare(ctx, a, b);
                    ctx.pop();
                }
                (None, None) => {}
            }
        }
        ctx.pop();
    }

    /// `additionalProperties`, `unevaluatedProperties`, `additionalItems`, `unevaluatedItems`.
    fn compare_additional(
        &mut self,
        ctx: &mut Ctx,
        at: &At,
        keyword: &str,
        o: Additional,
        u: Additional,
        kinds: [D; 4],
    ) {
        let [added, removed, extended, narrowed] = kinds;
        let here = At {
            original: at.original.child(keyword),
            update: at.update.child(keyword),
        };
        ctx.push(keyword);
        if o.permits != u.permits {
            let kind = if u.permits { added } else { removed };
            here.emit(ctx, kind, None, None, None);
        } else if let (None, Some(_)) = (o.schema, u.schema) {
            here.emit(ctx, narrowed, None, None, None);
        } else if let (Some(_), None) = (o.schema, u.schema) {
            here.emit(ctx, extended, None, None, None);
        } else if let (Some(a), Some(b)) = (o.schema, u.schema) {
            self.compare(ctx, a, b);
        }
        ctx.pop();
    }

    pub(super) fn compare_arrays(&mut self, ctx: &mut Ctx, at: &At, o: &ArrayKw, u: &ArrayKw) {
        ctx.push("items");
        let items_at = At {
            original: at.original.child("items"),
            update: at.update.child("items"),
        };
        self.compare_opt(ctx, o.all_items, u.all_items, &items_at);
        ctx.pop();

        let shared = o.item_list.len().min(u.item_list.len());
        for i in 0..o.item_list.len().max(u.item_list.len()) {
            ctx.push(format!("items/{i}"));
            let here = At {
                original: at.original.child("items").child(i),
                update: at.update.child("items").child(i),
            };
            if i < shared {
                self.compare(ctx, o.item_list[i], u.item_list[i]);
            } else if let Some(&oi) = o.item_list.get(i) {
                self.item_removed(ctx, &here, oi, u);
            } else if let Some(&ui) = u.item_list.get(i) {
                self.item_added(ctx, &here, o, ui);
            }
            ctx.pop();
        }

        self.compare_additional(
            ctx,
            at,
            "additionalItems",
            o.additional,
            u.additional,
            ADDITIONAL_ITEMS,
        );
        self.compare_additional(
            ctx,
            at,
            "unevaluatedItems",
            o.unevaluated,
            u.unevaluated,
            UNEVALUATED_ITEMS,
        );
        compare_bound(ctx, at, "maxItems", o.max_items, u.max_items, MAX_ITEMS);
        compare_bound(ctx, at, "minItems", o.min_items, u.min_items, MIN_ITEMS);
        if o.unique_items != u.unique_items {
            let kind = if o.unique_items {
                D::UniqueItemsRemoved
            } else {
                D::UniqueItemsAdded
            };
            at.emit(ctx, kind, Some("uniqueItems"), None, None);
        }
        compare_bound(
            ctx,
            at,
            "maxContains",
            o.max_contains,
            u.max_contains,
            MAX_CONTAINS,
        );
        compare_bound(
            ctx,
            at,
            "minContains",
            o.min_contains,
            u.min_contains,
            MIN_CONTAINS,
        );
    }

    fn item_removed(&mut self, ctx: &mut Ctx, at: &At, oi: NodeId, u: &ArrayKw) {
        if array_is_open(u) {
            at.emit(ctx, D::ItemRemovedFromOpenContentModel, None, None, None);
        } else if let Some(partial) = u.additional.schema.or(u.unevaluated.schema) {
            let (ok, sub) = self.try_compare(ctx, oi, partial);
            ctx.diffs.extend(sub.diffs);
            let kind = if ok {
                D::ItemRemovedIsCoveredByPartiallyOpenContentModel
            } else {
                D::ItemRemovedNotCoveredByPartiallyOpenContentModel
            };
            at.emit(ctx, kind, None, None, None);
        } else if matches!(self.kind_of(self.o_side(), oi), Kind::False) {
            at.emit(
                ctx,
                D::ItemWithFalseRemovedFromClosedContentModel,
                None,
                None,
                None,
            );
        } else {
            at.emit(ctx, D::ItemRemovedFromClosedContentModel, None, None, None);
        }
    }

    fn item_added(&mut self, ctx: &mut Ctx, at: &At, o: &ArrayKw, ui: NodeId) {
        if array_is_open(o) {
            let kind = if self.kind_of(self.u_side(), ui).accepts_everything() {
                D::ItemWithEmptySchemaAddedToOpenContentModel
            } else {
                D::ItemAddedToOpenContentModel
            };
            at.emit(ctx, kind, None, None, None);
        } else if let Some(partial) = o.additional.schema.or(o.unevaluated.schema) {
            let (ok, sub) = self.try_compare(ctx, partial, ui);
            ctx.diffs.extend(sub.diffs);
            let kind = if ok {
                D::ItemAddedIsCoveredByPartiallyOpenContentModel
            } else {
                D::ItemAddedNotCoveredByPartiallyOpenContentModel
            };
            at.emit(ctx, kind, None, None, None);
        } else {
            at.emit(ctx, D::ItemAddedToClosedContentModel, None, None, None);
        }
    }

    /// The schema a partially open object applies to a property it does not name:
    /// the first matching `patternProperties`, else `additionalProperties`, else
    /// `unevaluatedProperties`.
    fn partial_schema(&mut self, kw: &ObjectKw, name: &str) -> Option<NodeId> {
        for (pattern, schema) in &kw.pattern_properties {
            if self.pattern_matches(pattern, name) {
                return Some(*schema);
            }
        }
        kw.additional.schema.or(kw.unevaluated.schema)
    }

    /// ECMA-262 regex search, as JSON Schema's `pattern` does it.
    fn pattern_matches(&mut self, pattern: &str, text: &str) -> bool {
        let validator = self.patterns.entry(pattern.to_owned()).or_insert_with(|| {
            jsonschema::validator_for(&serde_json::json!({ "type": "string", "pattern": pattern }))
                .ok()
        });
        validator
            .as_ref()
            .is_some_and(|v| v.is_valid(&Value::String(text.to_owned())))
    }
}

const ADDITIONAL_PROPERTIES: [D; 4] = [
    D::AdditionalPropertiesAdded,
    D::AdditionalPropertiesRemoved,
    D::AdditionalPropertiesExtended,
    D::AdditionalPropertiesNarrowed,
];
const UNEVALUATED_PROPERTIES: [D; 4] = [
    D::UnevaluatedPropertiesAdded,
    D::UnevaluatedPropertiesRemoved,
    D::UnevaluatedPropertiesExtended,
    D::UnevaluatedPropertiesNarrowed,
];
const ADDITIONAL_ITEMS: [D; 4] = [
    D::AdditionalItemsAdded,
    D::AdditionalItemsRemoved,
    D::AdditionalItemsExtended,
    D::AdditionalItemsNarrowed,
];
const UNEVALUATED_ITEMS: [D; 4] = [
    D::UnevaluatedItemsAdded,
    D::UnevaluatedItemsRemoved,
    D::UnevaluatedItemsExtended,
    D::UnevaluatedItemsNarrowed,
];

fn object_is_open(kw: &ObjectKw) -> bool {
    kw.pattern_properties.is_empty() && kw.additional.is_open() && kw.unevaluated.is_open()
}

fn array_is_open(kw: &ArrayKw) -> bool {
    kw.additional.is_open() && kw.unevaluated.is_open()
}
