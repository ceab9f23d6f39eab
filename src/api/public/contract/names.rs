//! The names content types' schemas and interfaces go by.

use std::collections::HashSet;
use std::sync::Arc;

use crate::model::content_type::ContentType;

/// Schema and interface names that are not a content type's. A type whose
/// PascalCase name (or its `List`/`Entry` envelope) would take one of these
/// gets another name.
const SHARED_NAMES: &[&str] = &[
    "Asset",
    "ContentTypes",
    "List",
    "ListMeta",
    "One",
    "Problem",
    "ProblemField",
    "SearchHit",
    "SearchMeta",
    "SearchResult",
];

/// A content type with the name its schema and interface go by.
pub(super) struct Named<'a> {
    pub(super) ct: &'a ContentType,
    pub(super) name: String,
}

/// The types in api_id order, each with a name no other schema takes.
pub(super) fn named(types: &[Arc<ContentType>]) -> Vec<Named<'_>> {
    // Components have no routes; their fields show inside the types using them.
    let mut sorted: Vec<&ContentType> = types
        .iter()
        .map(Arc::as_ref)
        .filter(|ct| ct.def.kind != crate::model::content_type::Kind::Component)
        .collect();
    sorted.sort_by(|a, b| a.api_id().cmp(b.api_id()));
    sorted.dedup_by(|a, b| a.api_id() == b.api_id());
    let mut taken: HashSet<String> = SHARED_NAMES.iter().map(|s| s.to_string()).collect();
    sorted
        .into_iter()
        .map(|ct| Named {
            ct,
            name: claim_name(&pascal_case(ct.api_id()), &mut taken),
        })
        .collect()
}

/// `blog_posts` → `BlogPosts`.
fn pascal_case(api_id: &str) -> String {
    api_id
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The first of `base`, `baseType`, `baseType2`, … that neither itself nor
/// its envelopes (`…List`, `…Entry`) collide with a name already given;
/// `a_1b` and `a1b` both make `A1b`, and `foo_list` would be `foo`'s list.
fn claim_name(base: &str, taken: &mut HashSet<String>) -> String {
    let family = |n: &str| [n.to_string(), format!("{n}List"), format!("{n}Entry")];
    let mut name = base.to_string();
    let mut tries = 1;
    while family(&name).iter().any(|n| taken.contains(n)) {
        name = if tries == 1 {
            format!("{base}Type")
        } else {
            format!("{base}Type{tries}")
        };
        tries += 1;
    }
    taken.extend(family(&name));
    name
}
