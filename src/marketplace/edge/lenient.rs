//! Lenient field readers for The Edge's JSON: text that may come as a number, quantities and
//! money that may come as strings, flags as `true`/`"Y"`. Unknown shapes of *optional* text
//! become `None`; money and quantities that are present but unreadable are errors (never guessed).
use rust_decimal::Decimal;
use serde::{de::Error, Deserialize, Deserializer};
use serde_json::Value;

/// `null` (or a missing field, with `#[serde(default)]`) becomes the empty value.
pub fn null_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Text, or a number/flag written as text; `null`, objects and arrays become `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

pub fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let text = match Value::deserialize(d)? {
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Null => return Ok(None),
        other => return Err(D::Error::custom(format!("expected a decimal amount, got {other}"))),
    };
    let t = text.trim();
    t.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(t))
        .map(Some)
        .map_err(|e| D::Error::custom(format!("amount {t:?} is not a decimal: {e}")))
}

pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64))
            .and_then(|v| u32::try_from(v).ok())
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("quantity {n} is not a whole number"))),
        Value::String(s) => s
            .trim()
            .parse::<u32>()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("quantity {s:?} is not a whole number"))),
        other => Err(D::Error::custom(format!("expected a quantity, got {other}"))),
    }
}

pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::String(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "y" | "yes" | "true" | "1"),
        Value::Number(n) => n.as_i64() == Some(1),
        _ => false,
    })
}
