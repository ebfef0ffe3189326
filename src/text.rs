//! Text folding for search that ignores case and Vietnamese diacritics ("Điện Bàn" → "dien ban").
//!
//! Folded copies are stored next to the names, so the same `LIKE` works on SQLite and PostgreSQL
//! without collations or extensions.

/// Lowercase ASCII transliteration with single spaces.
pub fn fold(s: &str) -> String {
    let ascii = deunicode::deunicode(s).to_lowercase();
    ascii.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `LIKE` patterns (one per word of the query, all must match), escaped with `\`.
pub fn like_patterns(query: &str) -> Vec<String> {
    fold(query)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let escaped = w
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        })
        .collect()
}

/// Trims and collapses inner whitespace of a name as users typed it.
pub fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Điện Bàn"), "dien ban");
        assert_eq!(fold("  Trà   sâm "), "tra sam");
        assert_eq!(fold("HỢP TÁC XÃ Đồng Dương"), "hop tac xa dong duong");
        assert_eq!(like_patterns("tra 50%"), vec!["%tra%", "%50\\%%"]);
    }
}
