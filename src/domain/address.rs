//! Address rules for orders going into Magento: UK postcode format, required lines, phone
//! numbers, name splitting. Pure; problems are reported without echoing personal data, so
//! they can be logged and shown in the exception queue as they are.
use super::country;
use std::fmt;

/// What kind of thing a mapping problem is about, so the orders flow can raise the right
/// exception (`address_invalid`, `part_number_unmapped`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemCategory {
    Address,
    Sku,
    Price,
    Order,
}

/// One reason a marketplace order cannot be mapped. `code` is stable (tests, dashboards);
/// `message` is for people and never contains the customer's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingProblem {
    pub category: ProblemCategory,
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl MappingProblem {
    pub fn new(category: ProblemCategory, field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        MappingProblem { category, field: field.into(), code, message: message.into() }
    }
    fn address(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ProblemCategory::Address, field, code, message)
    }
}

impl fmt::Display for MappingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.code)
    }
}

/// Countries that use the UK postcode system (Crown dependencies included).
pub fn uses_uk_postcodes(alpha2: &str) -> bool {
    matches!(alpha2, "GB" | "JE" | "GG" | "IM")
}

/// Normalises a UK postcode to `OUTWARD INWARD` upper case (`sw1a1aa` → `SW1A 1AA`), or
/// explains why it is not one. Formats: A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA,
/// AA9A 9AA, plus the special GIR 0AA.
pub fn normalise_uk_postcode(raw: &str) -> Result<String, &'static str> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    if compact.is_empty() {
        return Err("postcode_missing");
    }
    if !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("postcode_bad_characters");
    }
    if !(5..=7).contains(&compact.len()) {
        return Err("postcode_bad_length");
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    if compact == "GIR0AA" {
        return Ok("GIR 0AA".into());
    }
    let inb = inward.as_bytes();
    // Inward code: digit then two letters, never C I K M O V.
    let inward_ok = inb[0].is_ascii_digit()
        && inb[1..].iter().all(|b| b.is_ascii_alphabetic() && !b"CIKMOV".contains(b));
    if !inward_ok {
        return Err("postcode_bad_inward_code");
    }
    let shape: String = outward.bytes().map(|b| if b.is_ascii_digit() { '9' } else { 'A' }).collect();
    if !matches!(shape.as_str(), "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A") {
        return Err("postcode_bad_outward_code");
    }
    let ob = outward.as_bytes();
    // First letter is never Q, V or X; a second letter is never I, J or Z.
    if b"QVX".contains(&ob[0]) || (ob[1].is_ascii_alphabetic() && b"IJZ".contains(&ob[1])) {
        return Err("postcode_bad_outward_code");
    }
    Ok(format!("{outward} {inward}"))
}

/// Normalises a phone number: UK numbers (for UK-postcode countries) to national form
/// `0…` with 10 or 11 digits; others to `+`/digits, 7 to 15 digits.
pub fn normalise_phone(raw: &str, alpha2: &str) -> Result<String, &'static str> {
    let cleaned: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{a0}')).collect();
    if cleaned.is_empty() {
        return Err("phone_missing");
    }
    let (plus, digits) = match cleaned.strip_prefix('+') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, cleaned.clone()),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("phone_bad_characters");
    }
    if uses_uk_postcodes(alpha2) {
        let national = if let Some(rest) = digits.strip_prefix("44").filter(|_| plus) {
            format!("0{}", rest.trim_start_matches('0'))
        } else if let Some(rest) = digits.strip_prefix("0044") {
            format!("0{}", rest.trim_start_matches('0'))
        } else if plus {
            return Ok(format!("+{digits}")); // a foreign mobile on a UK delivery: keep it
        } else {
            digits
        };
        if !national.starts_with('0') || !(10..=11).contains(&national.len()) {
            return Err("phone_bad_uk_format");
        }
        return Ok(national);
    }
    if !(7..=15).contains(&digits.len()) {
        return Err("phone_bad_length");
    }
    Ok(if plus { format!("+{digits}") } else { digits })
}

const TITLES: &[&str] = &["MR", "MRS", "MS", "MISS", "MX", "DR", "PROF", "SIR", "DAME", "REV", "LADY", "LORD"];

/// Splits a full name into (first name, last name) for Magento, which needs both: a
/// leading title is dropped, the last word is the last name, the rest the first name; a
/// single word fills both. `None` when there is no name at all.
pub fn split_name(full: &str) -> Option<(String, String)> {
    let mut words: Vec<&str> = full.split_whitespace().collect();
    if words.len() > 1 {
        let first = words[0].trim_end_matches('.').to_ascii_uppercase();
        if TITLES.contains(&first.as_str()) {
            words.remove(0);
        }
    }
    match words.as_slice() {
        [] => None,
        [only] => Some(((*only).to_owned(), (*only).to_owned())),
        [rest @ .., last] => Some((rest.join(" "), (*last).to_owned())),
    }
}

/// A checked address ready for Magento.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckedAddress {
    pub firstname: String,
    pub lastname: String,
    pub street: Vec<String>,
    pub city: String,
    pub region: Option<String>,
    pub postcode: String,
    pub country_id: &'static str,
    pub telephone: String,
}

impl fmt::Debug for CheckedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CheckedAddress {{ country_id: {:?}, .. (personal data redacted) }}", self.country_id)
    }
}

/// Checks a marketplace address; every problem is listed, not only the first.
/// `phone_fallback` is used when the marketplace sent no phone (None = a phone is required).
pub fn check_address(
    a: &super::order::Address,
    field: &str,
    phone_fallback: Option<&str>,
) -> Result<CheckedAddress, Vec<MappingProblem>> {
    let mut problems = Vec::new();
    let f = |name: &str| format!("{field}.{name}");
    let names = split_name(&a.full_name);
    if names.is_none() {
        problems.push(MappingProblem::address(&f("full_name"), "name_missing", "the recipient name is empty"));
    }
    let street: Vec<String> = [Some(&a.line_1), a.line_2.as_ref(), a.line_3.as_ref()]
        .into_iter()
        .flatten()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    if a.line_1.trim().is_empty() {
        problems.push(MappingProblem::address(&f("line_1"), "street_missing", "the first address line is empty"));
    }
    let city = a.city.as_deref().map(str::trim).unwrap_or_default().to_owned();
    if city.is_empty() {
        problems.push(MappingProblem::address(&f("city"), "city_missing", "the town or city is empty"));
    }
    let country_id = country::to_alpha2(&a.country);
    if country_id.is_none() {
        problems.push(MappingProblem::address(
            &f("country"),
            "country_unknown",
            "the country is not an ISO 3166-1 alpha-2 or alpha-3 code",
        ));
    }
    let cc = country_id.unwrap_or("");
    let postcode = if uses_uk_postcodes(cc) {
        match normalise_uk_postcode(&a.postal_code) {
            Ok(p) => p,
            Err(code) => {
                problems.push(MappingProblem::address(
                    &f("postal_code"),
                    code,
                    "not a valid UK postcode (expected a form such as SW1A 1AA)",
                ));
                String::new()
            }
        }
    } else {
        let p = a.postal_code.trim().to_owned();
        if p.is_empty() && country_id.is_some() {
            problems.push(MappingProblem::address(&f("postal_code"), "postcode_missing", "the postcode is empty"));
        }
        p
    };
    let telephone = match (a.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()), phone_fallback) {
        (Some(p), _) => normalise_phone(p, cc).unwrap_or_else(|code| {
            problems.push(MappingProblem::address(&f("phone"), code, "the phone number is not a valid number"));
            String::new()
        }),
        (None, Some(fallback)) => fallback.to_owned(),
        (None, None) => {
            problems.push(MappingProblem::address(&f("phone"), "phone_missing", "no phone number was given"));
            String::new()
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let (firstname, lastname) = names.expect("checked above");
    Ok(CheckedAddress {
        firstname,
        lastname,
        street,
        city,
        region: a.state.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
        postcode,
        country_id: cc,
        telephone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::Address;

    #[test]
    fn accepts_every_uk_postcode_shape() {
        for (raw, want) in [
            ("sw1a1aa", "SW1A 1AA"),
            ("M1 1AE", "M1 1AE"),
            ("B33 8TH", "B33 8TH"),
            ("CR2 6XH", "CR2 6XH"),
            ("DN55 1PT", "DN55 1PT"),
            (" w1a 0ax ", "W1A 0AX"),
            ("EC1A 1BB", "EC1A 1BB"),
            ("JE2 3AB", "JE2 3AB"),
            ("GIR 0AA", "GIR 0AA"),
        ] {
            assert_eq!(normalise_uk_postcode(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn rejects_bad_uk_postcodes_with_a_named_reason() {
        assert_eq!(normalise_uk_postcode(""), Err("postcode_missing"));
        assert_eq!(normalise_uk_postcode("SW1A-1AA"), Err("postcode_bad_characters"));
        assert_eq!(normalise_uk_postcode("SW1A 1AAA"), Err("postcode_bad_length"));
        assert_eq!(normalise_uk_postcode("SW1A 1CA"), Err("postcode_bad_inward_code"));
        assert_eq!(normalise_uk_postcode("SW1A AAA"), Err("postcode_bad_inward_code"));
        assert_eq!(normalise_uk_postcode("1W1A 1AA"), Err("postcode_bad_outward_code"));
        assert_eq!(normalise_uk_postcode("QA1 1AA"), Err("postcode_bad_outward_code"));
        assert_eq!(normalise_uk_postcode("AZ1 1AA"), Err("postcode_bad_outward_code"));
        assert_eq!(normalise_uk_postcode("90210"), Err("postcode_bad_inward_code"));
    }

    #[test]
    fn phones() {
        assert_eq!(normalise_phone("+44 (0)20 7946 0958", "GB").as_deref(), Ok("02079460958"));
        assert_eq!(normalise_phone("07700 900123", "GB").as_deref(), Ok("07700900123"));
        assert_eq!(normalise_phone("0044 7700 900123", "GB").as_deref(), Ok("07700900123"));
        assert_eq!(normalise_phone("+33 1 23 45 67 89", "GB").as_deref(), Ok("+33123456789"));
        assert_eq!(normalise_phone("12345", "GB"), Err("phone_bad_uk_format"));
        assert_eq!(normalise_phone("call me", "GB"), Err("phone_bad_characters"));
        assert_eq!(normalise_phone("+353 1 234 5678", "IE").as_deref(), Ok("+35312345678"));
    }

    #[test]
    fn names() {
        assert_eq!(split_name("  Jane   Q  Public "), Some(("Jane Q".into(), "Public".into())));
        assert_eq!(split_name("Mrs. Jane Doe"), Some(("Jane".into(), "Doe".into())));
        assert_eq!(split_name("Cher"), Some(("Cher".into(), "Cher".into())));
        assert_eq!(split_name("Dr"), Some(("Dr".into(), "Dr".into())));
        assert_eq!(split_name("   "), None);
    }

    fn good() -> Address {
        Address {
            full_name: "Jane Doe".into(),
            line_1: "1 High Street".into(),
            line_2: Some("  ".into()),
            city: Some("London".into()),
            postal_code: "sw1a1aa".into(),
            country: "GBR".into(),
            phone: Some("07700 900123".into()),
            ..Default::default()
        }
    }

    #[test]
    fn checks_a_good_address() {
        let c = check_address(&good(), "shipping", None).unwrap();
        assert_eq!((c.country_id, c.postcode.as_str(), c.street.len()), ("GB", "SW1A 1AA", 1));
        assert_eq!(c.firstname, "Jane");
    }

    #[test]
    fn lists_every_problem_without_personal_data() {
        let a = Address { full_name: "".into(), line_1: " ".into(), city: None, postal_code: "XX1 1XX".into(), phone: None, ..good() };
        let problems = check_address(&a, "shipping", None).unwrap_err();
        let codes: Vec<_> = problems.iter().map(|p| p.code).collect();
        assert_eq!(codes, ["name_missing", "street_missing", "city_missing", "postcode_bad_outward_code", "phone_missing"]);
        assert!(problems.iter().all(|p| !p.to_string().contains("XX1")));
        assert_eq!(problems[3].field, "shipping.postal_code");
    }

    #[test]
    fn unknown_country_is_a_problem_and_fallback_phone_is_used() {
        let a = Address { country: "ZZZ".into(), phone: None, ..good() };
        let problems = check_address(&a, "shipping", Some("0000000000")).unwrap_err();
        assert_eq!(problems.iter().map(|p| p.code).collect::<Vec<_>>(), ["country_unknown"]);
        let ok = check_address(&Address { phone: None, ..good() }, "shipping", Some("0000000000")).unwrap();
        assert_eq!(ok.telephone, "0000000000");
    }
}
