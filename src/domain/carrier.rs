//! Carrier mapping (DESIGN §3.3 `JLBRIDGE_CARRIER_MAP`): a Magento track's carrier code or
//! title → a Virtualstock carrier slug. Rules are `pattern=slug`; `*` is a wildcard; matching
//! ignores case and surrounding spaces; the first rule that matches the code or the title wins
//! (the code is tried before the title for each rule, so put specific rules first).
//! The slugs are checked against The Edge's carriers list (`validate`).
use super::glob;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierRule {
    pub pattern: String,
    pub slug: String,
}

impl fmt::Display for CarrierRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.pattern, self.slug)
    }
}

/// The ordered rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CarrierMap {
    rules: Vec<CarrierRule>,
}

/// A mapped slug that The Edge does not list: a configuration error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSlug {
    pub pattern: String,
    pub slug: String,
}

impl fmt::Display for UnknownSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "carriers.map entry {:?} maps to slug {:?}, which is not in The Edge's carriers list; \
             correct JLBRIDGE_CARRIER_MAP (or carriers.map) with a listed slug",
            format!("{}={}", self.pattern, self.slug),
            self.slug
        )
    }
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

impl CarrierMap {
    /// Parses `pattern=slug` entries (the config validator has already checked their shape).
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut rules = Vec::new();
        for (i, e) in entries.into_iter().enumerate() {
            match e.split_once('=') {
                Some((p, s)) if !p.trim().is_empty() && !s.trim().is_empty() => {
                    rules.push(CarrierRule { pattern: p.trim().to_owned(), slug: s.trim().to_owned() })
                }
                _ => return Err(format!("carriers.map entry {} {e:?} is not pattern=slug", i + 1)),
            }
        }
        Ok(CarrierMap { rules })
    }

    pub fn rules(&self) -> &[CarrierRule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule matching the Magento carrier code or the track title.
    pub fn resolve(&self, carrier_code: &str, title: &str) -> Option<&CarrierRule> {
        let (code, title) = (norm(carrier_code), norm(title));
        self.rules.iter().find(|r| {
            let p = norm(&r.pattern);
            (!code.is_empty() && glob::matches(&p, &code)) || (!title.is_empty() && glob::matches(&p, &title))
        })
    }

    /// Every rule whose slug The Edge does not list (slugs compare exactly: they are ids).
    pub fn validate<S: AsRef<str>>(&self, known_slugs: &[S]) -> Vec<UnknownSlug> {
        self.rules
            .iter()
            .filter(|r| !known_slugs.iter().any(|k| k.as_ref() == r.slug))
            .map(|r| UnknownSlug { pattern: r.pattern.clone(), slug: r.slug.clone() })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> CarrierMap {
        CarrierMap::parse(["Royal Mail*=royal-mail", "dpd=dpd", "custom=evri", "*Parcelforce*=parcelforce"]).unwrap()
    }

    #[test]
    fn title_wildcard_case_and_spaces() {
        let m = map();
        assert_eq!(m.resolve("", "Royal Mail Tracked 48").unwrap().slug, "royal-mail");
        assert_eq!(m.resolve("", "  royal mail tracked 24 ").unwrap().slug, "royal-mail");
        assert_eq!(m.resolve("foo", "Express Parcelforce 48").unwrap().slug, "parcelforce");
        assert!(m.resolve("ups", "UPS Standard").is_none());
    }

    #[test]
    fn code_is_tried_and_first_rule_wins() {
        let m = map();
        assert_eq!(m.resolve("dpd", "anything").unwrap().slug, "dpd");
        assert_eq!(m.resolve("DPD", "").unwrap().slug, "dpd");
        // `custom` + "Royal Mail Tracked 48": the Royal Mail rule comes first and matches the title.
        assert_eq!(m.resolve("custom", "Royal Mail Tracked 48").unwrap().slug, "royal-mail");
        assert_eq!(m.resolve("custom", "Some courier").unwrap().slug, "evri");
        assert!(m.resolve("", "").is_none());
    }

    #[test]
    fn unknown_slugs_name_pattern_and_slug() {
        let m = CarrierMap::parse(["Royal Mail*=royal-mail", "dpd=dpd-uk"]).unwrap();
        let bad = m.validate(&["royal-mail", "dpd"]);
        assert_eq!(bad, vec![UnknownSlug { pattern: "dpd".into(), slug: "dpd-uk".into() }]);
        let text = bad[0].to_string();
        assert!(text.contains("\"dpd=dpd-uk\"") && text.contains("\"dpd-uk\"") && text.contains("JLBRIDGE_CARRIER_MAP"));
        assert!(m.validate(&["royal-mail", "dpd-uk"]).is_empty());
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(CarrierMap::parse(["royal-mail"]).is_err());
        assert!(CarrierMap::parse(["=x"]).is_err());
        assert!(CarrierMap::parse(Vec::<&str>::new()).unwrap().is_empty());
    }
}
