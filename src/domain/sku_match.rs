//! Is the SKU John Lewis holds (`tradedCode`) exactly the Magento SKU? Near misses are told
//! apart so an operator can fix the right side; they are never fixed silently (DESIGN §4).
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkuMatch {
    Exact,
    /// Same once letter case is ignored.
    CaseMismatch,
    /// Same once surrounding or inner whitespace is removed (and case ignored).
    SpaceMismatch,
    /// Same once everything but letters and digits is removed (and case ignored).
    CharacterMismatch,
    /// A different SKU.
    Different,
}

impl SkuMatch {
    pub fn as_str(self) -> &'static str {
        match self {
            SkuMatch::Exact => "exact",
            SkuMatch::CaseMismatch => "case_mismatch",
            SkuMatch::SpaceMismatch => "space_mismatch",
            SkuMatch::CharacterMismatch => "character_mismatch",
            SkuMatch::Different => "different",
        }
    }
    /// A near miss: the same product written differently (an `sku_mismatch`).
    pub fn is_near_miss(self) -> bool {
        matches!(self, SkuMatch::CaseMismatch | SkuMatch::SpaceMismatch | SkuMatch::CharacterMismatch)
    }
    /// What an operator reads in the exception.
    pub fn describe(self) -> &'static str {
        match self {
            SkuMatch::Exact => "identical",
            SkuMatch::CaseMismatch => "differs only in letter case",
            SkuMatch::SpaceMismatch => "differs only in spaces",
            SkuMatch::CharacterMismatch => "differs only in special characters",
            SkuMatch::Different => "is a different SKU",
        }
    }
}

fn folded(s: &str, keep: impl Fn(char) -> bool) -> String {
    s.chars().filter(|c| keep(*c)).flat_map(char::to_lowercase).collect()
}

/// Classifies `theirs` (John Lewis `tradedCode`) against `ours` (the Magento SKU).
pub fn classify(ours: &str, theirs: &str) -> SkuMatch {
    if ours == theirs {
        SkuMatch::Exact
    } else if ours.to_lowercase() == theirs.to_lowercase() {
        SkuMatch::CaseMismatch
    } else if folded(ours, |c| !c.is_whitespace()) == folded(theirs, |c| !c.is_whitespace()) {
        SkuMatch::SpaceMismatch
    } else if !folded(ours, char::is_alphanumeric).is_empty()
        && folded(ours, char::is_alphanumeric) == folded(theirs, char::is_alphanumeric)
    {
        SkuMatch::CharacterMismatch
    } else {
        SkuMatch::Different
    }
}

/// The key under which near misses collide (for finding them across two catalogues).
pub fn loose_key(sku: &str) -> String {
    folded(sku, char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        use SkuMatch::*;
        let cases = [
            ("TEE-RED-M", "TEE-RED-M", Exact),
            ("TEE-RED-M", "tee-red-m", CaseMismatch),
            ("TEE-RED-M", "Tee-Red-M", CaseMismatch),
            ("TEE-RED-M", " TEE-RED-M", SpaceMismatch),
            ("TEE-RED-M", "TEE-RED-M ", SpaceMismatch),
            ("TEE-RED-M", "TEE- RED-M", SpaceMismatch),
            ("TEE-RED-M", "TEE-RED-M\t", SpaceMismatch),
            ("TEE-RED-M", "tee red m", CharacterMismatch),
            ("TEE-RED-M", "TEE_RED_M", CharacterMismatch),
            ("TEE-RED-M", "TEERED/M", CharacterMismatch),
            ("TEE-RED-M", "TEE-RED-L", Different),
            ("TEE-RED-M", "", Different),
            ("--", "__", Different),
            ("ÉCLAIR-1", "éclair-1", CaseMismatch),
        ];
        for (ours, theirs, want) in cases {
            assert_eq!(classify(ours, theirs), want, "{ours:?} vs {theirs:?}");
        }
    }

    #[test]
    fn near_misses_collide_on_the_loose_key() {
        assert_eq!(loose_key("TEE-RED M"), loose_key("tee_red_m"));
        assert_ne!(loose_key("TEE-RED-M"), loose_key("TEE-RED-L"));
        assert!(SkuMatch::SpaceMismatch.is_near_miss() && !SkuMatch::Exact.is_near_miss() && !SkuMatch::Different.is_near_miss());
    }
}
