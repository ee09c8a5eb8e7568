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

/// Defines a string newtype checked by `check` when it is built or deserialized,
/// and written back exactly as it was read (so documents round-trip unchanged).
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $what:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks `value` and wraps it.
            pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
                let value = value.into();
                let check: fn(&str) -> Result<(), String> = $check;
                match check(&value) {
                    Ok(()) => Ok($name(value)),
                    Err(reason) => Err(ValidationError::new(
                        $what,
                        format!("{value:?} is not a valid {}: {reason}", $what),
                    )),
                }
            }

            /// The text, as it was given.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text, as it was given.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, ValidationError> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(s: String) -> Result<Self, ValidationError> {
                $name::new(s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

checked_string!(
    /// A JSON Schema `format: uri`: an absolute URI (with a scheme) per RFC 3986,
    /// checked by `fluent-uri`, the parser the `jsonschema` crate's own `uri` check uses.
    /// Relative references (`format: uri-reference`) stay plain strings.
    ///
    /// ```
    /// use evreg_client::Uri;
    /// assert!(Uri::new("https://example.com/a?b#c").is_ok());
    /// assert!(Uri::new("/relative/path").is_err());
    /// let u: Uri = serde_json::from_str(r#""urn:isbn:0451450523""#)?;
    /// assert_eq!(serde_json::to_string(&u)?, r#""urn:isbn:0451450523""#);
    /// assert!(serde_json::from_str::<Uri>(r#""not a uri""#).is_err());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    Uri,
    "uri",
    |s| {
        fluent_uri::Uri::parse(s)
            .map(drop)
            .map_err(|e| e.to_string())
    }
);

checked_string!(
    /// A JSON Schema `format: email`: an RFC 5322 address, checked by `email_address`,
    /// the parser the `jsonschema` crate's own `email` check uses.
    ///
    /// ```
    /// use evreg_client::Email;
    /// assert!(Email::new("ops@example.com").is_ok());
    /// let e: Result<Email, _> = serde_json::from_str(r#""ops.example.com""#);
    /// assert!(e.is_err());
    /// ```
    Email,
    "email",
    |s| {
        s.parse::<email_address::EmailAddress>()
            .map(drop)
            .map_err(|e| e.to_string())
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_accepts_absolute_and_refuses_relative() {
        for ok in [
            "https://example.com",
            "mailto:a@b.c",
            "urn:x:y",
            "file:///tmp/a%20b",
        ] {
            assert_eq!(Uri::new(ok).map(Uri::into_string).as_deref(), Ok(ok));
        }
        for bad in [
            "",
            "example.com/a",
            "/a/b",
            "http://exa mple.com",
            "http://[::1",
        ] {
            let err = Uri::new(bad).expect_err(bad);
            assert_eq!(err.type_name(), "uri");
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn email_accepts_addresses_and_refuses_others() {
        for ok in ["a@example.com", "first.last+tag@sub.example.org"] {
            assert!(Email::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "example.com", "a@", "@example.com", "a b@example.com"] {
            assert_eq!(Email::new(bad).expect_err(bad).type_name(), "email");
        }
    }

    #[test]
    fn serde_keeps_the_text_and_rejects_invalid() {
        let u: Uri = serde_json::from_str(r#""HTTP://Example.COM/%7e""#).expect("valid uri");
        assert_eq!(
            serde_json::to_string(&u).expect("serializes"),
            r#""HTTP://Example.COM/%7e""#
        );
        let err = serde_json::from_str::<Email>(r#""nope""#).expect_err("invalid email");
        assert!(err.to_string().contains("invalid email"), "{err}");
    }
}
