//! Keywords of strings, numbers and enums, and numeric bounds of every kind.

use serde_json::{Number, Value};

use super::{At, Ctx};
use crate::json::compat::DifferenceType as D;
use crate::json::model::{NumberKw, StringKw};

/// `[added, removed, increased, decreased]` for a numeric bound.
pub(super) const MAX_PROPERTIES: [D; 4] = [
    D::MaxPropertiesAdded,
    D::MaxPropertiesRemoved,
    D::MaxPropertiesIncreased,
    D::MaxPropertiesDecreased,
];
pub(super) const MIN_PROPERTIES: [D; 4] = [
    D::MinPropertiesAdded,
    D::MinPropertiesRemoved,
    D::MinPropertiesIncreased,
    D::MinPropertiesDecreased,
];
pub(super) const MAX_ITEMS: [D; 4] = [
    D::MaxItemsAdded,
    D::MaxItemsRemoved,
    D::MaxItemsIncreased,
    D::MaxItemsDecreased,
];
pub(super) const MIN_ITEMS: [D; 4] = [
    D::MinItemsAdded,
    D::MinItemsRemoved,
    D::MinItemsIncreased,
    D::MinItemsDecreased,
];
pub(super) const MAX_CONTAINS: [D; 4] = [
    D::MaxContainsAdded,
    D::MaxContainsRemoved,
    D::MaxContainsIncreased,
    D::MaxContainsDecreased,
];
pub(super) const MIN_CONTAINS: [D; 4] = [
    D::MinContainsAdded,
    D::MinContainsRemoved,
    D::MinContainsIncreased,
    D::MinContainsDecreased,
];
const MAX_LENGTH: [D; 4] = [
    D::MaxLengthAdded,
    D::MaxLengthRemoved,
    D::MaxLengthIncreased,
    D::MaxLengthDecreased,
];
const MIN_LENGTH: [D; 4] = [
    D::MinLengthAdded,
    D::MinLengthRemoved,
    D::MinLengthIncreased,
    D::MinLengthDecreased,
];
const MAXIMUM: [D; 4] = [
    D::MaximumAdded,
    D::MaximumRemoved,
    D::MaximumIncreased,
    D::MaximumDecreased,
];
const MINIMUM: [D; 4] = [
    D::MinimumAdded,
    D::MinimumRemoved,
    D::MinimumIncreased,
    D::MinimumDecreased,
];
const EXCLUSIVE_MAXIMUM: [D; 4] = [
    D::ExclusiveMaximumAdded,
    D::ExclusiveMaximumRemoved,
    D::ExclusiveMaximumIncreased,
    D::ExclusiveMaximumDecreased,
];
const EXCLUSIVE_MINIMUM: [D; 4] = [
    D::ExclusiveMinimumAdded,
    D::ExclusiveMinimumRemoved,
    D::ExclusiveMinimumIncreased,
    D::ExclusiveMinimumDecreased,
];

/// Compares an optional bound: added, removed, increased or decreased.
pub(super) fn compare_bound<T: PartialOrd + ToString>(
    ctx: &mut Ctx,
    at: &At,
    keyword: &str,
    o: Option<T>,
    u: Option<T>,
    [added, removed, increased, decreased]: [D; 4],
) {
    let kind = match (&o, &u) {
        (None, Some(_)) => added,
        (Some(_), None) => removed,
        (Some(a), Some(b)) if a < b => increased,
        (Some(a), Some(b)) if a > b => decreased,
        _ => return,
    };
    let show = |v: &Option<T>| v.as_ref().map(ToString::to_string);
    at.emit(ctx, kind, Some(keyword), show(&o), show(&u));
}

pub(super) fn compare_strings(ctx: &mut Ctx, at: &At, o: &StringKw, u: &StringKw) {
    compare_bound(ctx, at, "maxLength", o.max_length, u.max_length, MAX_LENGTH);
    compare_bound(ctx, at, "minLength", o.min_length, u.min_length, MIN_LENGTH);
    let kind = match (&o.pattern, &u.pattern) {
        (None, Some(_)) => D::PatternAdded,
        (Some(_), None) => D::PatternRemoved,
        (Some(a), Some(b)) if a != b => D::PatternChanged,
        _ => return,
    };
    let quote = |p: &Option<String>| p.as_ref().map(|p| format!("'{p}'"));
    at.emit(
        ctx,
        kind,
        Some("pattern"),
        quote(&o.pattern),
        quote(&u.pattern),
    );
}

/// A number as f64 for ordering (as Confluent compares bounds).
#[derive(Debug, Clone, PartialEq, PartialOrd)]
struct Bound(f64, String);

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.1)
    }
}

fn bound(n: &Option<Number>) -> Option<Bound> {
    n.as_ref()
        .and_then(|n| Some(Bound(n.as_f64()?, n.to_string())))
}

pub(super) fn compare_numbers(ctx: &mut Ctx, at: &At, o: &NumberKw, u: &NumberKw) {
    compare_bound(
        ctx,
        at,
        "maximum",
        bound(&o.maximum),
        bound(&u.maximum),
        MAXIMUM,
    );
    compare_bound(
        ctx,
        at,
        "minimum",
        bound(&o.minimum),
        bound(&u.minimum),
        MINIMUM,
    );
    compare_bound(
        ctx,
        at,
        "exclusiveMaximum",
        bound(&o.exclusive_maximum),
        bound(&u.exclusive_maximum),
        EXCLUSIVE_MAXIMUM,
    );
    compare_bound(
        ctx,
        at,
        "exclusiveMinimum",
        bound(&o.exclusive_minimum),
        bound(&u.exclusive_minimum),
        EXCLUSIVE_MINIMUM,
    );
    let multiple = match (&o.multiple_of, &u.multiple_of) {
        (None, Some(_)) => Some(D::MultipleOfAdded),
        (Some(_), None) => Some(D::MultipleOfRemoved),
        (Some(a), Some(b)) => match (decimal(a), decimal(b)) {
            (Some(a), Some(b)) => divisibility(a, b),
            _ if a.as_f64() == b.as_f64() => None,
            _ => Some(D::MultipleOfChanged),
        },
        (None, None) => None,
    };
    if let Some(kind) = multiple {
        let show = |n: &Option<Number>| n.as_ref().map(Number::to_string);
        at.emit(
            ctx,
            kind,
            Some("multipleOf"),
            show(&o.multiple_of),
            show(&u.multiple_of),
        );
    }
    if o.integer != u.integer {
        let kind = if o.integer {
            D::TypeExtended
        } else {
            D::TypeNarrowed
        };
        let name = |integer: bool| Some(if integer { "integer" } else { "number" }.to_owned());
        at.emit(ctx, kind, None, name(o.integer), name(u.integer));
    }
}

/// A decimal number as `mantissa × 10^exponent`.
type Decimal = (i128, i32);

/// Parses a JSON number's text exactly (`0.5`, `10`, `1e-3`, `2.5E+2`).
fn decimal(n: &Number) -> Option<Decimal> {
    let text = n.to_string();
    let (number, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
        None => (text.as_str(), 0),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = format!("{whole}{fraction}");
    let mantissa = digits.parse::<i128>().ok()?;
    let scale = i32::try_from(fraction.len()).ok()?;
    Some((mantissa, exponent.checked_sub(scale)?))
}

/// How `multipleOf` changed from `a` to `b`: equal, expanded (b is a multiple of
/// a, so fewer numbers pass), reduced (a is a multiple of b) or changed.
fn divisibility(a: Decimal, b: Decimal) -> Option<D> {
    let exponent = a.1.min(b.1);
    let scale = |(m, e): Decimal| -> Option<i128> {
        let shift = u32::try_from(e - exponent).ok()?;
        m.checked_mul(10i128.checked_pow(shift)?)
    };
    let (Some(x), Some(y)) = (scale(a), scale(b)) else {
        return Some(D::MultipleOfChanged);
    };
    if x == y {
        None
    } else if x != 0 && y % x == 0 {
        Some(D::MultipleOfExpanded)
    } else if y != 0 && x % y == 0 {
        Some(D::MultipleOfReduced)
    } else {
        Some(D::MultipleOfChanged)
    }
}

pub(super) fn compare_enums(ctx: &mut Ctx, at: &At, o: &[Value], u: &[Value]) {
    let o_in_u = o.iter().all(|v| u.contains(v));
    let u_in_o = u.iter().all(|v| o.contains(v));
    let kind = match (o_in_u, u_in_o) {
        (true, true) => return,
        (true, false) => D::EnumArrayExtended,
        (false, true) => D::EnumArrayNarrowed,
        (false, false) => D::EnumArrayChanged,
    };
    let list = |values: &[Value]| Some(Value::Array(values.to_vec()).to_string());
    at.emit(ctx, kind, Some("enum"), list(o), list(u));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        let n = |s: &str| serde_json::from_str::<Number>(s).unwrap();
        assert_eq!(decimal(&n("0.5")), Some((5, -1)));
        assert_eq!(decimal(&n("10")), Some((10, 0)));
        assert_eq!(
            divisibility(decimal(&n("0.5")).unwrap(), decimal(&n("10")).unwrap()),
            Some(D::MultipleOfExpanded)
        );
        assert_eq!(
            divisibility(decimal(&n("10")).unwrap(), decimal(&n("0.5")).unwrap()),
            Some(D::MultipleOfReduced)
        );
        assert_eq!(
            divisibility(decimal(&n("0.5")).unwrap(), decimal(&n("0.50")).unwrap()),
            None
        );
        assert_eq!(
            divisibility(decimal(&n("3")).unwrap(), decimal(&n("5")).unwrap()),
            Some(D::MultipleOfChanged)
        );
        assert_eq!(
            divisibility(decimal(&n("0.1")).unwrap(), decimal(&n("0.3")).unwrap()),
            Some(D::MultipleOfExpanded)
        );
    }
}
