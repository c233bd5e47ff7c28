//! A list setting that reads as a TOML array or as a comma-separated string (environment).
use serde::{Deserialize, Deserializer};

#[derive(Clone, Default, PartialEq, Eq)]
pub struct StringList(pub Vec<String>);

impl StringList {
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for StringList {
    // Lists hold secrets and tokens: show only how many there are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{} entries]", self.0.len())
    }
}

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let items: Vec<String> = match Raw::deserialize(d)? {
            Raw::One(s) => s.split(',').map(|p| p.trim().to_owned()).collect(),
            Raw::Many(v) => v.into_iter().map(|p| p.trim().to_owned()).collect(),
        };
        Ok(StringList(items.into_iter().filter(|s| !s.is_empty()).collect()))
    }
}
