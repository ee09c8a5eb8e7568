//! Confluent's difference-based JSON Schema compatibility.
//!
//! The check lists every difference between the *original* schema (the writer:
//! the version already registered) and the *update* (the reader: the schema being
//! registered), each a [`DifferenceType`] at a path such as `#/properties/foo`, and
//! reports those that are not on the policy's list of compatible changes.
//!
//! The rules follow Confluent Schema Registry's behaviour (its conformance
//! vectors are the specification), most notably:
//!
//! - **Content models.** An object is *open* when it has neither
//!   `patternProperties` nor an `additionalProperties`/`unevaluatedProperties`
//!   schema or `false`; *closed* with `additionalProperties: false`; *partially
//!   open* otherwise. Adding a property to an open model is incompatible under the
//!   strict policy (old documents may carry that name with any value), and fine
//!   for a closed one unless the new property is required without a default.
//!   Arrays work the same way with tuple positions and `additionalItems`.
//! - **Types.** A change of kind (string to number, object to array) is
//!   `TYPE_CHANGED`; integer to number is `TYPE_EXTENDED` (compatible); anything to
//!   `{}`/`true` is compatible, and so is anything from `false`.
//! - **Combined schemas.** `oneOf`/`anyOf`/`allOf` members are matched to each
//!   other (a maximum matching over the compatible pairs); a plain schema may
//!   become a `oneOf`/`anyOf` that contains a compatible member (`SUM_TYPE_EXTENDED`).
//! - **References and recursion.** `$ref`s are followed; a pair of subschemas met
//!   again while still being compared is assumed compatible, and the assumption is
//!   re-checked until it holds (a greatest fixed point), so recursive schemas
//!   terminate without hiding real changes.
//! - `format` and `contains` are not compared, as in Confluent.

use std::fmt;
use std::str::FromStr;

use super::diff::{Diff, Engine, Loc};
use super::{Document, JsonSchema};
use crate::compat::{Finding, IncompatibilityKind, JsonPolicy};

macro_rules! difference_types {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// Confluent's JSON Schema difference types; [`fmt::Display`] prints the
        /// `SCREAMING_SNAKE_CASE` name Confluent reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum DifferenceType {
            $($(#[doc = $doc])* $variant,)*
        }

        impl DifferenceType {
            /// Every difference type, in Confluent's declaration order.
            pub const ALL: &'static [DifferenceType] = &[$(DifferenceType::$variant,)*];

            /// Confluent's name, e.g. `TYPE_CHANGED`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(DifferenceType::$variant => $name,)*
                }
            }
        }
    };
}

difference_types! {
    /// `$id` changed.
    IdChanged = "ID_CHANGED",
    /// `description` changed.
    DescriptionChanged = "DESCRIPTION_CHANGED",
    /// `title` changed.
    TitleChanged = "TITLE_CHANGED",
    /// `default` changed.
    DefaultChanged = "DEFAULT_CHANGED",
    /// A subschema (such as `items`) appeared.
    SchemaAdded = "SCHEMA_ADDED",
    /// A subschema (such as `items`) disappeared.
    SchemaRemoved = "SCHEMA_REMOVED",
    /// The type accepts more (integer to number).
    TypeExtended = "TYPE_EXTENDED",
    /// The type accepts less (number to integer).
    TypeNarrowed = "TYPE_NARROWED",
    /// The type changed.
    TypeChanged = "TYPE_CHANGED",
    /// `maxLength` appeared.
    MaxLengthAdded = "MAX_LENGTH_ADDED",
    /// `maxLength` disappeared.
    MaxLengthRemoved = "MAX_LENGTH_REMOVED",
    /// `maxLength` grew.
    MaxLengthIncreased = "MAX_LENGTH_INCREASED",
    /// `maxLength` shrank.
    MaxLengthDecreased = "MAX_LENGTH_DECREASED",
    /// `minLength` appeared.
    MinLengthAdded = "MIN_LENGTH_ADDED",
    /// `minLength` disappeared.
    MinLengthRemoved = "MIN_LENGTH_REMOVED",
    /// `minLength` grew.
    MinLengthIncreased = "MIN_LENGTH_INCREASED",
    /// `minLength` shrank.
    MinLengthDecreased = "MIN_LENGTH_DECREASED",
    /// `pattern` appeared.
    PatternAdded = "PATTERN_ADDED",
    /// `pattern` disappeared.
    PatternRemoved = "PATTERN_REMOVED",
    /// `pattern` changed.
    PatternChanged = "PATTERN_CHANGED",
    /// `maximum` appeared.
    MaximumAdded = "MAXIMUM_ADDED",
    /// `maximum` disappeared.
    MaximumRemoved = "MAXIMUM_REMOVED",
    /// `maximum` grew.
    MaximumIncreased = "MAXIMUM_INCREASED",
    /// `maximum` shrank.
    MaximumDecreased = "MAXIMUM_DECREASED",
    /// `minimum` appeared.
    MinimumAdded = "MINIMUM_ADDED",
    /// `minimum` disappeared.
    MinimumRemoved = "MINIMUM_REMOVED",
    /// `minimum` grew.
    MinimumIncreased = "MINIMUM_INCREASED",
    /// `minimum` shrank.
    MinimumDecreased = "MINIMUM_DECREASED",
    /// `exclusiveMaximum` appeared.
    ExclusiveMaximumAdded = "EXCLUSIVE_MAXIMUM_ADDED",
    /// `exclusiveMaximum` disappeared.
    ExclusiveMaximumRemoved = "EXCLUSIVE_MAXIMUM_REMOVED",
    /// `exclusiveMaximum` grew.
    ExclusiveMaximumIncreased = "EXCLUSIVE_MAXIMUM_INCREASED",
    /// `exclusiveMaximum` shrank.
    ExclusiveMaximumDecreased = "EXCLUSIVE_MAXIMUM_DECREASED",
    /// `exclusiveMinimum` appeared.
    ExclusiveMinimumAdded = "EXCLUSIVE_MINIMUM_ADDED",
    /// `exclusiveMinimum` disappeared.
    ExclusiveMinimumRemoved = "EXCLUSIVE_MINIMUM_REMOVED",
    /// `exclusiveMinimum` grew.
    ExclusiveMinimumIncreased = "EXCLUSIVE_MINIMUM_INCREASED",
    /// `exclusiveMinimum` shrank.
    ExclusiveMinimumDecreased = "EXCLUSIVE_MINIMUM_DECREASED",
    /// `multipleOf` appeared.
    MultipleOfAdded = "MULTIPLE_OF_ADDED",
    /// `multipleOf` disappeared.
    MultipleOfRemoved = "MULTIPLE_OF_REMOVED",
    /// `multipleOf` became a multiple of its old value (fewer numbers pass).
    MultipleOfExpanded = "MULTIPLE_OF_EXPANDED",
    /// `multipleOf` became a divisor of its old value (more numbers pass).
    MultipleOfReduced = "MULTIPLE_OF_REDUCED",
    /// `multipleOf` changed otherwise.
    MultipleOfChanged = "MULTIPLE_OF_CHANGED",
    /// A property became required.
    RequiredAttributeAdded = "REQUIRED_ATTRIBUTE_ADDED",
    /// A property with a default became required.
    RequiredAttributeWithDefaultAdded = "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
    /// A property stopped being required.
    RequiredAttributeRemoved = "REQUIRED_ATTRIBUTE_REMOVED",
    /// `maxProperties` appeared.
    MaxPropertiesAdded = "MAX_PROPERTIES_ADDED",
    /// `maxProperties` disappeared.
    MaxPropertiesRemoved = "MAX_PROPERTIES_REMOVED",
    /// `maxProperties` grew.
    MaxPropertiesIncreased = "MAX_PROPERTIES_INCREASED",
    /// `maxProperties` shrank.
    MaxPropertiesDecreased = "MAX_PROPERTIES_DECREASED",
    /// `minProperties` appeared.
    MinPropertiesAdded = "MIN_PROPERTIES_ADDED",
    /// `minProperties` disappeared.
    MinPropertiesRemoved = "MIN_PROPERTIES_REMOVED",
    /// `minProperties` grew.
    MinPropertiesIncreased = "MIN_PROPERTIES_INCREASED",
    /// `minProperties` shrank.
    MinPropertiesDecreased = "MIN_PROPERTIES_DECREASED",
    /// `additionalProperties` went from `false` to allowing properties.
    AdditionalPropertiesAdded = "ADDITIONAL_PROPERTIES_ADDED",
    /// `additionalProperties` became `false`.
    AdditionalPropertiesRemoved = "ADDITIONAL_PROPERTIES_REMOVED",
    /// The `additionalProperties` schema was dropped (anything goes now).
    AdditionalPropertiesExtended = "ADDITIONAL_PROPERTIES_EXTENDED",
    /// An `additionalProperties` schema appeared where anything went.
    AdditionalPropertiesNarrowed = "ADDITIONAL_PROPERTIES_NARROWED",
    /// A property dependency (`dependencies`/`dependentRequired` array) appeared.
    DependencyArrayAdded = "DEPENDENCY_ARRAY_ADDED",
    /// A property dependency disappeared.
    DependencyArrayRemoved = "DEPENDENCY_ARRAY_REMOVED",
    /// A property dependency requires more properties.
    DependencyArrayExtended = "DEPENDENCY_ARRAY_EXTENDED",
    /// A property dependency requires fewer properties.
    DependencyArrayNarrowed = "DEPENDENCY_ARRAY_NARROWED",
    /// A property dependency requires other properties.
    DependencyArrayChanged = "DEPENDENCY_ARRAY_CHANGED",
    /// A schema dependency (`dependencies`/`dependentSchemas` schema) appeared.
    DependencySchemaAdded = "DEPENDENCY_SCHEMA_ADDED",
    /// A schema dependency disappeared.
    DependencySchemaRemoved = "DEPENDENCY_SCHEMA_REMOVED",
    /// A property was added to an open content model (Confluent 7.x name).
    PropertyAddedToOpenContentModel = "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    /// A required property was added to an open content model.
    RequiredPropertyAddedToOpenContentModel = "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    /// A required property with a default was added to an open content model.
    RequiredPropertyWithDefaultAddedToOpenContentModel = "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
    /// An optional property was added to an open content model.
    OptionalPropertyAddedToOpenContentModel = "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    /// A property accepting anything was added to an open content model.
    PropertyWithEmptySchemaAddedToOpenContentModel = "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    /// A required property was added to a closed or partially open content model.
    RequiredPropertyAddedToUnopenContentModel = "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    /// A required property with a default was added to a closed or partially open model.
    RequiredPropertyWithDefaultAddedToUnopenContentModel = "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    /// An optional property was added to a closed or partially open content model.
    OptionalPropertyAddedToUnopenContentModel = "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    /// A property was removed from an open content model.
    PropertyRemovedFromOpenContentModel = "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    /// A property whose schema was `false` was removed from a closed content model.
    PropertyWithFalseRemovedFromClosedContentModel = "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    /// A property was removed from a closed content model.
    PropertyRemovedFromClosedContentModel = "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    /// A removed property is still accepted by the partially open content model.
    PropertyRemovedIsCoveredByPartiallyOpenContentModel = "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// A removed property is not accepted by the partially open content model.
    PropertyRemovedNotCoveredByPartiallyOpenContentModel = "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// An added property accepts what the partially open content model accepted.
    PropertyAddedIsCoveredByPartiallyOpenContentModel = "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// An added property does not accept what the partially open content model accepted.
    PropertyAddedNotCoveredByPartiallyOpenContentModel = "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// A reserved property (subject metadata) was removed.
    ReservedPropertyRemoved = "RESERVED_PROPERTY_REMOVED",
    /// A property conflicts with a reserved property (subject metadata).
    ReservedPropertyConflictsWithProperty = "RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY",
    /// `unevaluatedProperties` went from `false` to allowing properties.
    UnevaluatedPropertiesAdded = "UNEVALUATED_PROPERTIES_ADDED",
    /// `unevaluatedProperties` became `false`.
    UnevaluatedPropertiesRemoved = "UNEVALUATED_PROPERTIES_REMOVED",
    /// The `unevaluatedProperties` schema was dropped.
    UnevaluatedPropertiesExtended = "UNEVALUATED_PROPERTIES_EXTENDED",
    /// An `unevaluatedProperties` schema appeared.
    UnevaluatedPropertiesNarrowed = "UNEVALUATED_PROPERTIES_NARROWED",
    /// `maxItems` appeared.
    MaxItemsAdded = "MAX_ITEMS_ADDED",
    /// `maxItems` disappeared.
    MaxItemsRemoved = "MAX_ITEMS_REMOVED",
    /// `maxItems` grew.
    MaxItemsIncreased = "MAX_ITEMS_INCREASED",
    /// `maxItems` shrank.
    MaxItemsDecreased = "MAX_ITEMS_DECREASED",
    /// `minItems` appeared.
    MinItemsAdded = "MIN_ITEMS_ADDED",
    /// `minItems` disappeared.
    MinItemsRemoved = "MIN_ITEMS_REMOVED",
    /// `minItems` grew.
    MinItemsIncreased = "MIN_ITEMS_INCREASED",
    /// `minItems` shrank.
    MinItemsDecreased = "MIN_ITEMS_DECREASED",
    /// `maxContains` appeared.
    MaxContainsAdded = "MAX_CONTAINS_ADDED",
    /// `maxContains` disappeared.
    MaxContainsRemoved = "MAX_CONTAINS_REMOVED",
    /// `maxContains` grew.
    MaxContainsIncreased = "MAX_CONTAINS_INCREASED",
    /// `maxContains` shrank.
    MaxContainsDecreased = "MAX_CONTAINS_DECREASED",
    /// `minContains` appeared.
    MinContainsAdded = "MIN_CONTAINS_ADDED",
    /// `minContains` disappeared.
    MinContainsRemoved = "MIN_CONTAINS_REMOVED",
    /// `minContains` grew.
    MinContainsIncreased = "MIN_CONTAINS_INCREASED",
    /// `minContains` shrank.
    MinContainsDecreased = "MIN_CONTAINS_DECREASED",
    /// `uniqueItems` became true.
    UniqueItemsAdded = "UNIQUE_ITEMS_ADDED",
    /// `uniqueItems` stopped being true.
    UniqueItemsRemoved = "UNIQUE_ITEMS_REMOVED",
    /// `additionalItems` went from `false` to allowing items.
    AdditionalItemsAdded = "ADDITIONAL_ITEMS_ADDED",
    /// `additionalItems` became `false`.
    AdditionalItemsRemoved = "ADDITIONAL_ITEMS_REMOVED",
    /// The `additionalItems` schema was dropped.
    AdditionalItemsExtended = "ADDITIONAL_ITEMS_EXTENDED",
    /// An `additionalItems` schema appeared.
    AdditionalItemsNarrowed = "ADDITIONAL_ITEMS_NARROWED",
    /// `unevaluatedItems` went from `false` to allowing items.
    UnevaluatedItemsAdded = "UNEVALUATED_ITEMS_ADDED",
    /// `unevaluatedItems` became `false`.
    UnevaluatedItemsRemoved = "UNEVALUATED_ITEMS_REMOVED",
    /// The `unevaluatedItems` schema was dropped.
    UnevaluatedItemsExtended = "UNEVALUATED_ITEMS_EXTENDED",
    /// An `unevaluatedItems` schema appeared.
    UnevaluatedItemsNarrowed = "UNEVALUATED_ITEMS_NARROWED",
    /// A tuple position was added to an open content model.
    ItemAddedToOpenContentModel = "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
    /// A tuple position accepting anything was added to an open content model.
    ItemWithEmptySchemaAddedToOpenContentModel = "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    /// A tuple position was added to a closed content model.
    ItemAddedToClosedContentModel = "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
    /// A tuple position was removed from an open content model.
    ItemRemovedFromOpenContentModel = "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    /// A tuple position whose schema was `false` was removed from a closed model.
    ItemWithFalseRemovedFromClosedContentModel = "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    /// A tuple position was removed from a closed content model.
    ItemRemovedFromClosedContentModel = "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    /// A removed tuple position is still accepted by the partially open content model.
    ItemRemovedIsCoveredByPartiallyOpenContentModel = "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// A removed tuple position is not accepted by the partially open content model.
    ItemRemovedNotCoveredByPartiallyOpenContentModel = "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// An added tuple position accepts what the partially open content model accepted.
    ItemAddedIsCoveredByPartiallyOpenContentModel = "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// An added tuple position does not accept what the partially open model accepted.
    ItemAddedNotCoveredByPartiallyOpenContentModel = "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// `enum` gained values (or `const` became a wider enum).
    EnumArrayExtended = "ENUM_ARRAY_EXTENDED",
    /// `enum` lost values.
    EnumArrayNarrowed = "ENUM_ARRAY_NARROWED",
    /// `enum` or `const` changed otherwise.
    EnumArrayChanged = "ENUM_ARRAY_CHANGED",
    /// The combinator changed to one that accepts more (e.g. `oneOf` to `anyOf`).
    CombinedTypeExtended = "COMBINED_TYPE_EXTENDED",
    /// The combinator changed (e.g. `anyOf` to `allOf`).
    CombinedTypeChanged = "COMBINED_TYPE_CHANGED",
    /// `allOf` gained members.
    ProductTypeExtended = "PRODUCT_TYPE_EXTENDED",
    /// `allOf` lost members.
    ProductTypeNarrowed = "PRODUCT_TYPE_NARROWED",
    /// `oneOf`/`anyOf` gained members (or a schema became one of them).
    SumTypeExtended = "SUM_TYPE_EXTENDED",
    /// `oneOf`/`anyOf` lost members.
    SumTypeNarrowed = "SUM_TYPE_NARROWED",
    /// Members of a combined schema no longer correspond one to one.
    CombinedTypeSubschemasChanged = "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
    /// `not` now excludes more.
    NotTypeExtended = "NOT_TYPE_EXTENDED",
    /// `not` now excludes less.
    NotTypeNarrowed = "NOT_TYPE_NARROWED",
}

use DifferenceType as D;

/// Confluent's compatible changes under the strict (default) policy, plus the
/// 2019-09/2020-12 keywords by analogy with their older counterparts
/// (`unevaluated*` like `additional*`, `*Contains` like `*Items`).
const STRICT: &[DifferenceType] = &[
    D::IdChanged,
    D::DescriptionChanged,
    D::TitleChanged,
    D::DefaultChanged,
    D::SchemaRemoved,
    D::TypeExtended,
    D::MaxLengthIncreased,
    D::MaxLengthRemoved,
    D::MinLengthDecreased,
    D::MinLengthRemoved,
    D::PatternRemoved,
    D::MaximumIncreased,
    D::MaximumRemoved,
    D::MinimumDecreased,
    D::MinimumRemoved,
    D::ExclusiveMaximumIncreased,
    D::ExclusiveMaximumRemoved,
    D::ExclusiveMinimumDecreased,
    D::ExclusiveMinimumRemoved,
    D::MultipleOfReduced,
    D::MultipleOfRemoved,
    D::RequiredAttributeWithDefaultAdded,
    D::RequiredAttributeRemoved,
    D::DependencyArrayNarrowed,
    D::DependencyArrayRemoved,
    D::DependencySchemaRemoved,
    D::MaxPropertiesIncreased,
    D::MaxPropertiesRemoved,
    D::MinPropertiesDecreased,
    D::MinPropertiesRemoved,
    D::AdditionalPropertiesAdded,
    D::AdditionalPropertiesExtended,
    D::PropertyWithEmptySchemaAddedToOpenContentModel,
    D::RequiredPropertyWithDefaultAddedToUnopenContentModel,
    D::OptionalPropertyAddedToUnopenContentModel,
    D::PropertyWithFalseRemovedFromClosedContentModel,
    D::PropertyRemovedFromOpenContentModel,
    D::PropertyAddedIsCoveredByPartiallyOpenContentModel,
    D::PropertyRemovedIsCoveredByPartiallyOpenContentModel,
    D::UnevaluatedPropertiesAdded,
    D::UnevaluatedPropertiesExtended,
    D::MaxItemsIncreased,
    D::MaxItemsRemoved,
    D::MinItemsDecreased,
    D::MinItemsRemoved,
    D::MaxContainsIncreased,
    D::MaxContainsRemoved,
    D::MinContainsDecreased,
    D::MinContainsRemoved,
    D::UniqueItemsRemoved,
    D::AdditionalItemsAdded,
    D::AdditionalItemsExtended,
    D::UnevaluatedItemsAdded,
    D::UnevaluatedItemsExtended,
    D::ItemWithEmptySchemaAddedToOpenContentModel,
    D::ItemAddedToClosedContentModel,
    D::ItemWithFalseRemovedFromClosedContentModel,
    D::ItemRemovedFromOpenContentModel,
    D::ItemAddedIsCoveredByPartiallyOpenContentModel,
    D::ItemRemovedIsCoveredByPartiallyOpenContentModel,
    D::EnumArrayExtended,
    D::CombinedTypeExtended,
    D::ProductTypeNarrowed,
    D::SumTypeExtended,
    D::NotTypeNarrowed,
];

/// What Confluent's lenient `compatibilityPolicy` accepts on top of [`STRICT`]:
/// consumers are assumed to ignore properties they do not know, so properties may
/// come and go in open models, and a closed model may open or close.
const LENIENT_EXTRA: &[DifferenceType] = &[
    D::AdditionalPropertiesNarrowed,
    D::AdditionalPropertiesRemoved,
    D::UnevaluatedPropertiesNarrowed,
    D::UnevaluatedPropertiesRemoved,
    D::PropertyAddedToOpenContentModel,
    D::OptionalPropertyAddedToOpenContentModel,
    D::RequiredPropertyWithDefaultAddedToOpenContentModel,
    D::PropertyRemovedFromClosedContentModel,
    D::PropertyAddedNotCoveredByPartiallyOpenContentModel,
    D::PropertyRemovedNotCoveredByPartiallyOpenContentModel,
];

impl DifferenceType {
    /// Whether this difference is on `policy`'s list of compatible changes.
    pub fn is_compatible(self, policy: JsonPolicy) -> bool {
        STRICT.contains(&self) || (policy == JsonPolicy::Lenient && LENIENT_EXTRA.contains(&self))
    }
}

impl fmt::Display for DifferenceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown difference type name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown JSON Schema difference type '{0}'")]
pub struct UnknownDifferenceType(pub String);

impl FromStr for DifferenceType {
    type Err = UnknownDifferenceType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DifferenceType::ALL
            .iter()
            .copied()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| UnknownDifferenceType(s.to_owned()))
    }
}

/// One difference Confluent's diff reports, compatible or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What changed.
    pub kind: DifferenceType,
    /// Confluent's path, e.g. `#/properties/foo`.
    pub path: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.path)
    }
}

/// Every difference between `original` (the registered version) and `update`
/// (the schema being registered), as Confluent lists them. Which count as
/// compatible inside combined schemas depends on `policy`.
pub fn differences(
    original: &JsonSchema,
    update: &JsonSchema,
    policy: JsonPolicy,
) -> Vec<Difference> {
    run(original, update, policy)
        .into_iter()
        .map(|d| Difference {
            kind: d.kind,
            path: d.path_string(),
        })
        .collect()
}

fn run(original: &JsonSchema, update: &JsonSchema, policy: JsonPolicy) -> Vec<Diff> {
    Engine::new(original.documents(), update.documents(), policy).run()
}

/// Findings for `reader` reading documents valid under `writer`: in Confluent's
/// terms `writer` is the original schema and `reader` the update, and every
/// difference not on `policy`'s compatible list is reported.
pub fn check(reader: &JsonSchema, writer: &JsonSchema, policy: JsonPolicy) -> Vec<Finding> {
    run(writer, reader, policy)
        .into_iter()
        .filter(|d| !d.kind.is_compatible(policy))
        .map(|d| Finding {
            kind: IncompatibilityKind::Json(d.kind),
            location: d.path_string(),
            reader_location: pointer(reader.documents(), &d.update),
            writer_location: pointer(writer.documents(), &d.original),
            message: message(&d),
        })
        .collect()
}

/// A location as a JSON pointer; in a referenced schema, prefixed with its name and `#`.
fn pointer(docs: &[Document], loc: &Loc) -> String {
    match docs.get(loc.doc) {
        Some(doc) if loc.doc > 0 => format!("{}#{}", doc.name, loc.pointer),
        _ => loc.pointer.clone(),
    }
}

/// What a path names, for messages: `the root schema`, `property 'a'`,
/// `tuple item 2 of property 'a'`, or the path itself.
fn subject(path: &[String]) -> String {
    match path {
        [] => "the root schema".to_owned(),
        [.., parent, name]
            if matches!(parent.as_str(), "properties" | "required" | "dependencies") =>
        {
            format!("property '{name}'")
        }
        [rest @ .., last] if last.starts_with("items/") => {
            format!(
                "tuple item {} of {}",
                &last["items/".len()..],
                subject(rest)
            )
        }
        _ => format!("'#/{}'", path.join("/")),
    }
}

/// A sentence a person understands.
fn message(d: &Diff) -> String {
    let path = &d.path[..];
    let whole = subject(path);
    let (keyword, parent) = match path {
        [rest @ .., last] => (last.as_str(), subject(rest)),
        [] => ("", whole.clone()),
    };
    let change = match (&d.old, &d.new) {
        (Some(old), Some(new)) => format!(" from {old} to {new}"),
        (None, Some(new)) => format!(" ({new})"),
        (Some(old), None) => format!(" (was {old})"),
        (None, None) => String::new(),
    };
    match d.kind {
        D::TypeChanged => format!("type of {whole} changed{change}"),
        D::TypeNarrowed => format!("type of {whole} narrowed{change}"),
        D::SchemaAdded => {
            format!("{parent} gained an '{keyword}' schema, which old data may not match")
        }
        D::RequiredAttributeAdded => format!("{whole} became required; old data may lack it"),
        D::PropertyAddedToOpenContentModel | D::OptionalPropertyAddedToOpenContentModel => {
            format!(
                "{whole} was added to an open content model; old data may carry it with any value"
            )
        }
        D::RequiredPropertyAddedToOpenContentModel
        | D::RequiredPropertyWithDefaultAddedToOpenContentModel => {
            format!(
                "required {whole} was added to an open content model; old data may lack it or carry any value"
            )
        }
        D::RequiredPropertyAddedToUnopenContentModel => {
            format!("required {whole} was added without a default; old data lacks it")
        }
        D::PropertyRemovedFromClosedContentModel => {
            format!(
                "{whole} was removed from a closed content model, which now rejects old data carrying it"
            )
        }
        D::PropertyRemovedNotCoveredByPartiallyOpenContentModel => format!(
            "{whole} was removed, and the additionalProperties/patternProperties schema left in its place \
             rejects values old data may carry"
        ),
        D::PropertyAddedNotCoveredByPartiallyOpenContentModel => format!(
            "{whole} was added with a schema that rejects values the old additionalProperties/patternProperties \
             schema allowed"
        ),
        D::ItemAddedToOpenContentModel => {
            format!("{whole} was added to an open tuple; old data may hold any value there")
        }
        D::ItemRemovedFromClosedContentModel => {
            format!(
                "{whole} was removed from a closed tuple, which now rejects old data that has it"
            )
        }
        D::ItemRemovedNotCoveredByPartiallyOpenContentModel => {
            format!(
                "{whole} was removed, and the additionalItems schema rejects values old data may hold there"
            )
        }
        D::ItemAddedNotCoveredByPartiallyOpenContentModel => {
            format!(
                "{whole} was added with a schema that rejects values the old additionalItems schema allowed"
            )
        }
        D::AdditionalPropertiesRemoved | D::UnevaluatedPropertiesRemoved => {
            format!(
                "'{keyword}' of {parent} became false: extra properties old data may carry are now rejected"
            )
        }
        D::AdditionalPropertiesNarrowed | D::UnevaluatedPropertiesNarrowed => {
            format!("'{keyword}' of {parent} gained a schema where any extra property was allowed")
        }
        D::AdditionalItemsRemoved | D::UnevaluatedItemsRemoved => {
            format!("'{keyword}' of {parent} became false: items beyond the tuple are now rejected")
        }
        D::AdditionalItemsNarrowed | D::UnevaluatedItemsNarrowed => {
            format!("'{keyword}' of {parent} gained a schema where any extra item was allowed")
        }
        D::EnumArrayNarrowed => format!("{keyword} of {parent} lost values{change}"),
        D::EnumArrayChanged => {
            format!("{keyword} of {parent} changed{change}; old values may be rejected")
        }
        D::SumTypeNarrowed => format!("{whole} lost alternatives{change}"),
        D::ProductTypeExtended => {
            format!("{whole} gained allOf members{change}, each a further constraint")
        }
        D::CombinedTypeChanged => format!("{whole} changed combinator{change}"),
        D::CombinedTypeSubschemasChanged => {
            format!(
                "the members of {whole} no longer correspond: an old member has no compatible new one"
            )
        }
        D::NotTypeExtended => format!("the 'not' of {parent} now excludes values it used to allow"),
        D::DependencyArrayAdded | D::DependencyArrayExtended | D::DependencyArrayChanged => {
            format!("{whole} now requires other properties to be present{change}")
        }
        D::DependencySchemaAdded => {
            format!("{whole} gained a dependent schema, which old data may not match")
        }
        D::UniqueItemsAdded => format!("{parent} now requires unique items"),
        D::MultipleOfAdded | D::MultipleOfExpanded | D::MultipleOfChanged => {
            format!("multipleOf of {parent} changed{change}, rejecting numbers it used to accept")
        }
        D::PatternAdded | D::PatternChanged => {
            format!(
                "pattern of {parent} changed{change}; strings the old schema accepted may be rejected"
            )
        }
        D::ReservedPropertyRemoved => format!("reserved property {whole} was removed"),
        D::ReservedPropertyConflictsWithProperty => {
            format!("{whole} conflicts with a reserved property")
        }
        other => {
            let name = other.as_str();
            let verb = [
                ("_ADDED", "was added"),
                ("_REMOVED", "was removed"),
                ("_INCREASED", "increased"),
                ("_DECREASED", "decreased"),
                ("_EXTENDED", "was extended"),
                ("_NARROWED", "was narrowed"),
            ]
            .iter()
            .find(|(suffix, _)| name.ends_with(suffix))
            .map_or("changed", |(_, verb)| verb);
            if keyword.is_empty() || keyword.contains('/') || whole.starts_with("property") {
                format!("{whole}: {}", name.to_lowercase().replace('_', " "))
            } else {
                format!("{keyword} of {parent} {verb}{change}")
            }
        }
    }
}

#[cfg(test)]
#[path = "compat_tests.rs"]
mod tests;
