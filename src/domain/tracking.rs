//! Tracking numbers: format checks for the carriers whose formats are published, and tracking
//! links from per-slug URL templates.
//!
//! Checked (by slug, aliases as AfterShip-style lists spell them):
//! * Royal Mail (`royal-mail`): UPU S10 shape, 2 letters + 9 digits + `GB` (`AB123456789GB`).
//!   The S10 check digit is not enforced (published examples, including John Lewis's, do not
//!   carry a valid one).
//! * Parcelforce (`parcelforce`, `parcel-force`): 2 letters + 7 digits (domestic consignment), or
//!   the S10 shape above (international).
//! * DPD UK (`dpd`, `dpd-uk`): 14-digit parcel number or 10-digit consignment number.
//! * UPS (`ups`): `1Z` + 16 letters or digits.
//!
//! Any other carrier (DHL, Evri/Hermes, … whose numbers vary by service) accepts any non-empty
//! number up to The Edge's 100 characters. Spaces inside a number are removed before checking
//! (people paste `AB 1234 5678 9GB`); letters are upper-cased.
use std::fmt;

/// The Edge's `tracking_number` field limit.
pub const MAX_TRACKING_LEN: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTracking {
    pub slug: String,
    pub expected: &'static str,
}

impl fmt::Display for BadTracking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tracking number is not a {} number ({})", self.slug, self.expected)
    }
}

fn letters(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_uppercase())
}
fn digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

fn s10_gb(n: &str) -> bool {
    n.len() == 13 && letters(&n[..2]) && digits(&n[2..11]) && &n[11..] == "GB"
}

/// A known format: what it looks like, and the check.
type Format = (&'static str, fn(&str) -> bool);

/// The rule for a slug, if its format is known.
fn rule(slug: &str) -> Option<Format> {
    match slug.trim().to_ascii_lowercase().as_str() {
        "royal-mail" | "royalmail" => Some(("2 letters, 9 digits, GB, e.g. AB123456789GB", s10_gb)),
        "parcelforce" | "parcel-force" => Some(("2 letters and 7 digits, or like AB123456789GB", |n| {
            (n.len() == 9 && letters(&n[..2]) && digits(&n[2..])) || s10_gb(n)
        })),
        "dpd" | "dpd-uk" => Some(("14 or 10 digits", |n| (n.len() == 14 || n.len() == 10) && digits(n))),
        "ups" => Some(("1Z and 16 letters or digits", |n| {
            n.len() == 18 && n.starts_with("1Z") && n.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })),
        _ => None,
    }
}

/// The number as it will be sent (spaces removed, upper case), or why it is refused.
pub fn normalise(slug: &str, number: &str) -> Result<String, BadTracking> {
    let n: String = number.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    if n.is_empty() || n.len() > MAX_TRACKING_LEN {
        return Err(BadTracking { slug: slug.to_owned(), expected: "1 to 100 characters" });
    }
    match rule(slug) {
        Some((expected, ok)) if !ok(&n) => Err(BadTracking { slug: slug.to_owned(), expected }),
        _ => Ok(n),
    }
}

/// Whether the slug has a known format (for documentation and the carrier check).
pub fn has_known_format(slug: &str) -> bool {
    rule(slug).is_some()
}

/// Fills `{tracking}` in a template with the number, percent-encoded. `None` when the result
/// is longer than The Edge's 255 characters.
pub fn tracking_url(template: &str, number: &str) -> Option<String> {
    let encoded = percent_encoding::utf8_percent_encode(number, percent_encoding::NON_ALPHANUMERIC).to_string();
    let url = template.replace("{tracking}", &encoded);
    (url.len() <= 255).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn royal_mail() {
        assert_eq!(normalise("royal-mail", "AB123456789GB").unwrap(), "AB123456789GB");
        assert_eq!(normalise("royal-mail", "ab 1234 5678 9gb").unwrap(), "AB123456789GB");
        assert!(normalise("royal-mail", "AB12345678GB").is_err());
        assert!(normalise("royal-mail", "AB123456789FR").is_err());
        assert!(normalise("royal-mail", "1234567890123").is_err());
        let e = normalise("royal-mail", "X").unwrap_err();
        assert!(e.to_string().contains("AB123456789GB"));
    }

    #[test]
    fn parcelforce_dpd_ups() {
        assert!(normalise("parcelforce", "PB1234567").is_ok());
        assert!(normalise("parcelforce", "CH123456789GB").is_ok());
        assert!(normalise("parcelforce", "PB12345").is_err());
        assert!(normalise("dpd", "15501234567890").is_ok());
        assert!(normalise("dpd-uk", "1550123456").is_ok());
        assert!(normalise("dpd", "1550123456789").is_err());
        assert!(normalise("dpd", "JD0002212345678").is_err());
        assert!(normalise("ups", "1Z999AA10123456784").is_ok());
        assert!(normalise("ups", "1Z999AA1012345678").is_err());
    }

    #[test]
    fn unknown_carriers_accept_any_non_empty() {
        assert_eq!(normalise("evri", "H01HYA0012345678").unwrap(), "H01HYA0012345678");
        assert!(normalise("dhl", "JD014600003828").is_ok());
        assert!(normalise("dhl", "  ").is_err());
        assert!(normalise("dhl", &"9".repeat(101)).is_err());
        assert!(!has_known_format("evri") && has_known_format("royal-mail"));
    }

    #[test]
    fn urls_are_filled_and_encoded() {
        let t = "https://track.example/parcel?n={tracking}";
        assert_eq!(tracking_url(t, "AB123456789GB").unwrap(), "https://track.example/parcel?n=AB123456789GB");
        assert_eq!(tracking_url(t, "A/B C").unwrap(), "https://track.example/parcel?n=A%2FB%20C");
        assert!(tracking_url(&format!("https://x/{}{{tracking}}", "a".repeat(250)), "123456").is_none());
    }
}
