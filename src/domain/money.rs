//! The one money type: a decimal amount with its ISO 4217 currency. Never a float.
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// ISO 4217 alphabetic currency code, upper case (e.g. `GBP`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const GBP: Currency = Currency(*b"GBP");

    pub fn parse(code: &str) -> Result<Self, String> {
        let code = code.trim();
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!("currency code {code:?} is not three letters (e.g. GBP)"));
        }
        let mut out = [0u8; 3];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b.to_ascii_uppercase();
        }
        Ok(Currency(out))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("currency is ASCII")
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Currency::parse(&s)
    }
}
impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}
impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }
    pub fn zero(currency: Currency) -> Self {
        Money { amount: Decimal::ZERO, currency }
    }
    /// Parses a decimal string as sent by the APIs ("12.50"); the scale is kept.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, String> {
        amount
            .trim()
            .parse::<Decimal>()
            .map(|a| Money::new(a, currency))
            .map_err(|e| format!("amount {amount:?} is not a decimal number: {e}"))
    }
    /// Adds two amounts of the same currency; `None` when the currencies differ.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency).then(|| Money::new(self.amount + other.amount, self.currency))
    }
    /// Amount rounded to pennies (banker's rounding is not used: money rounds half away from zero).
    pub fn round_minor(self) -> Money {
        Money::new(
            self.amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
            self.currency,
        )
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_scale_and_adds_exactly() {
        let a = Money::parse("0.10", Currency::GBP).unwrap();
        let b = Money::parse("0.20", Currency::GBP).unwrap();
        assert_eq!(a.checked_add(b).unwrap().amount.to_string(), "0.30");
    }

    #[test]
    fn different_currencies_do_not_add() {
        let a = Money::parse("1", Currency::GBP).unwrap();
        let b = Money::parse("1", Currency::parse("eur").unwrap()).unwrap();
        assert!(a.checked_add(b).is_none());
        assert!(Currency::parse("£").is_err());
    }
}
