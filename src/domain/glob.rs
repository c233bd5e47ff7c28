//! Minimal glob matching for SKU patterns: `*` is any run of characters (even none), `?` is one
//! character; everything else matches itself exactly (case-sensitive, like SKUs).

/// Whether `text` matches `pattern` as a whole.
pub fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether the pattern has any wildcard (a pattern without one is really an exact SKU).
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("*", "", true),
            ("*", "ANY", true),
            ("TEE-*", "TEE-RED-M", true),
            ("TEE-*", "tee-RED", false),
            ("TEE-*", "XTEE-1", false),
            ("*-XL", "TEE-RED-XL", true),
            ("*-XL", "TEE-XL-RED", false),
            ("T?E", "TEE", true),
            ("T?E", "TE", false),
            ("A*B*C", "AxxBxxC", true),
            ("A*B*C", "AxxCxxB", false),
            ("ABC", "ABC", true),
            ("ABC", "ABCD", false),
            ("**", "x", true),
        ];
        for (p, t, want) in cases {
            assert_eq!(matches(p, t), want, "{p:?} vs {t:?}");
        }
        assert!(has_wildcard("A*") && has_wildcard("A?") && !has_wildcard("ABC"));
    }
}
