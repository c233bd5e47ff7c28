//! The only way the dashboard writes HTML: markup comes from `&'static str` literals (written
//! in this crate's source, so trusted), and every other value goes through [`Html::text`],
//! which escapes it. There is no method that inserts a runtime string unescaped, so escaping
//! cannot be forgotten.
use std::fmt::{self, Display, Write};

#[derive(Debug, Default, Clone)]
pub struct Html(String);

impl Html {
    pub fn new() -> Self {
        Html(String::with_capacity(4096))
    }

    /// Trusted markup: a literal from the source code, never data.
    pub fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.0.push_str(markup);
        self
    }

    /// Any value, escaped for text and for quoted attribute values.
    pub fn text(&mut self, value: impl Display) -> &mut Self {
        let _ = write!(Escaper(&mut self.0), "{value}");
        self
    }

    /// Another fragment built the same way.
    pub fn append(&mut self, other: Html) -> &mut Self {
        self.0.push_str(&other.0);
        self
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Escapes while writing, so `Display` output never lands unescaped.
struct Escaper<'a>(&'a mut String);

impl Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            match c {
                '&' => self.0.push_str("&amp;"),
                '<' => self.0.push_str("&lt;"),
                '>' => self.0.push_str("&gt;"),
                '"' => self.0.push_str("&quot;"),
                '\'' => self.0.push_str("&#39;"),
                c => self.0.push(c),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_markup_is_not() {
        let mut h = Html::new();
        h.raw("<td title=\"").text("a\"b").raw("\">").text("<script>&'x'</script>").raw("</td>");
        assert_eq!(h.into_string(), "<td title=\"a&quot;b\">&lt;script&gt;&amp;&#39;x&#39;&lt;/script&gt;</td>");
    }
}
