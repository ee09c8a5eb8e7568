//! Checks that validated newtypes run on construction and deserialization.

use std::fmt;

/// A value that a validated newtype refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    type_name: &'static str,
    message: String,
}

impl ValidationError {
    /// A refusal by `type_name`.
    pub fn new(type_name: &'static str, message: impl Into<String>) -> Self {
        ValidationError {
            type_name,
            message: message.into(),
        }
    }

    /// The type that refused the value.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.type_name, self.message)
    }
}

impl std::error::Error for ValidationError {}

/// Checks a length (characters of a string, elements of a list).
pub fn length(
    type_name: &'static str,
    len: usize,
    min: Option<u64>,
    max: Option<u64>,
) -> Result<(), ValidationError> {
    let len = len as u64;
    if let Some(min) = min
        && len < min
    {
        return Err(ValidationError::new(
            type_name,
            format!("length {len} is below the minimum {min}"),
        ));
    }
    if let Some(max) = max
        && len > max
    {
        return Err(ValidationError::new(
            type_name,
            format!("length {len} is above the maximum {max}"),
        ));
    }
    Ok(())
}

/// Checks that `value` matches `pattern` (compiled once by the caller).
pub fn pattern(
    type_name: &'static str,
    value: &str,
    pattern: &Result<regex::Regex, regex::Error>,
) -> Result<(), ValidationError> {
    match pattern {
        Ok(re) if re.is_match(value) => Ok(()),
        Ok(re) => Err(ValidationError::new(
            type_name,
            format!("{value:?} does not match the pattern {}", re.as_str()),
        )),
        Err(e) => Err(ValidationError::new(
            type_name,
            format!("the pattern does not compile: {e}"),
        )),
    }
}

/// Numeric bounds, compared as `f64` (exact for the integers schemas use in practice).
#[derive(Debug, Clone, Copy, Default)]
pub struct Bounds {
    /// Inclusive minimum.
    pub minimum: Option<f64>,
    /// Inclusive maximum.
    pub maximum: Option<f64>,
    /// Exclusive minimum.
    pub exclusive_minimum: Option<f64>,
    /// Exclusive maximum.
    pub exclusive_maximum: Option<f64>,
    /// The value must be a multiple of this.
    pub multiple_of: Option<f64>,
}

/// Checks `value` against `bounds`.
pub fn number(type_name: &'static str, value: f64, bounds: Bounds) -> Result<(), ValidationError> {
    let fail = |what: String| Err(ValidationError::new(type_name, what));
    if let Some(m) = bounds.minimum
        && value < m
    {
        return fail(format!("{value} is below the minimum {m}"));
    }
    if let Some(m) = bounds.maximum
        && value > m
    {
        return fail(format!("{value} is above the maximum {m}"));
    }
    if let Some(m) = bounds.exclusive_minimum
        && value <= m
    {
        return fail(format!("{value} is not above {m}"));
    }
    if let Some(m) = bounds.exclusive_maximum
        && value >= m
    {
        return fail(format!("{value} is not below {m}"));
    }
    if let Some(m) = bounds.multiple_of
        && m != 0.0
        && (value / m).fract() != 0.0
    {
        return fail(format!("{value} is not a multiple of {m}"));
    }
    Ok(())
}
