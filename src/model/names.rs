//! Rules for the names users choose: content type api ids and field names.

/// Names the public and admin APIs give to every entry beside its fields.
pub const SYSTEM_FIELDS: &[&str] = &[
    "id",
    "type",
    "locale",
    "status",
    "version",
    "created_at",
    "updated_at",
    "published_at",
    "created_by",
    "updated_by",
    "meta",
    "data",
];

/// Path segments under `/api/` that Quire keeps for its own routes.
pub const RESERVED_API_IDS: &[&str] = &[
    "admin",
    "api",
    "assets",
    "auth",
    "content_types",
    "docs",
    "entries",
    "graphql",
    "healthz",
    "locales",
    "media",
    "openapi",
    "readyz",
    "search",
    "sync",
    "tokens",
    "types",
    "uploads",
    "users",
    "webhooks",
];

/// Lower snake case: starts with a letter, then letters, digits and single
/// underscores, at most 64 characters.
pub fn is_snake_case(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && !name.ends_with('_')
        && !name.contains("__")
}

#[cfg(test)]
mod tests {
    use super::is_snake_case;

    #[test]
    fn snake_case() {
        assert!(is_snake_case("blog_posts2"));
        for bad in ["", "Blog", "2x", "a-b", "a__b", "a_", "_a", "a b"] {
            assert!(!is_snake_case(bad), "{bad}");
        }
    }
}
