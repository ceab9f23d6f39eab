//! `populate=author,tags,author.avatar,sections.author`: which relation
//! fields of an entry to replace by the entries they point at (and, below
//! the first level, which media fields to show as assets), as a tree of
//! field paths. A path may pass through a component or blocks field to the
//! relations inside its groups.

use std::sync::Arc;

use super::FieldError;
use super::content_type::{ContentType, Field, Nested};
use super::field::FieldType;

/// Deepest path `populate` takes: `section.parent.parent`.
pub const MAX_DEPTH: usize = 3;
/// Most paths one `populate` names.
const MAX_PATHS: usize = 20;

/// Content types by api id, for following a relation to its target type.
pub trait Types {
    fn get(&self, api_id: &str) -> Option<Arc<ContentType>>;
}

/// No types at all: relation paths are refused.
pub struct NoTypes;

impl Types for NoTypes {
    fn get(&self, _: &str) -> Option<Arc<ContentType>> {
        None
    }
}

/// The fields to populate at one level, each with what to populate in
/// what it points at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Populate {
    pub fields: Vec<(String, Populate)>,
}

impl Populate {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&Populate> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, p)| p)
    }

    fn child(&mut self, field: &str) -> &mut Populate {
        let at = match self.fields.iter().position(|(f, _)| f == field) {
            Some(i) => i,
            None => {
                self.fields.push((field.to_string(), Populate::default()));
                self.fields.len() - 1
            }
        };
        &mut self.fields[at].1
    }

    /// Parses `populate`'s value against `ct`: each path walks relation
    /// fields (to their target types) and may end on a media field.
    pub fn parse(ct: &ContentType, value: &str, types: &dyn Types) -> Result<Populate, FieldError> {
        let mut tree = Populate::default();
        let paths: Vec<&str> = value.split(',').filter(|p| !p.is_empty()).collect();
        if paths.len() > MAX_PATHS {
            return Err(FieldError::new(
                "populate",
                "max_items",
                format!("at most {MAX_PATHS} paths"),
            ));
        }
        for path in paths {
            let segments: Vec<&str> = path.split('.').collect();
            if segments.len() > MAX_DEPTH {
                return Err(FieldError::new(
                    "populate",
                    "depth",
                    format!("`{path}` is deeper than {MAX_DEPTH} levels"),
                ));
            }
            let mut at = &mut tree;
            let mut scope = Scope::Root(ct);
            for (i, name) in segments.iter().enumerate() {
                let next = step(&scope, name, path, i + 1 == segments.len(), types)?;
                at = at.child(name);
                match next {
                    Some(next) => scope = next,
                    None => break,
                }
            }
        }
        Ok(tree)
    }
}

/// Where a path stands: in a content type, or in the groups of a
/// component or blocks field (every kind's fields, for blocks).
enum Scope<'a> {
    Root(&'a ContentType),
    Type(Arc<ContentType>),
    Group(String, Vec<Field>),
}

impl Scope<'_> {
    fn field(&self, name: &str) -> Option<&Field> {
        match self {
            Scope::Root(ct) => ct.field(name),
            Scope::Type(ct) => ct.field(name),
            Scope::Group(_, fields) => fields.iter().find(|f| f.name == name),
        }
    }

    fn name(&self) -> &str {
        match self {
            Scope::Root(ct) => ct.api_id(),
            Scope::Type(ct) => ct.api_id(),
            Scope::Group(name, _) => name,
        }
    }
}

/// The fields a component's groups, or any of a blocks field's kinds, hold
/// (the first kind's field where names repeat).
pub fn group_fields(field: &Field) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    let lists: Vec<&Arc<Vec<Field>>> = match &field.nested {
        Nested::None => Vec::new(),
        Nested::Group(fields) => vec![fields],
        Nested::Kinds(kinds) => kinds.iter().map(|(_, f)| f).collect(),
    };
    for f in lists.into_iter().flat_map(|l| l.iter()) {
        if !out.iter().any(|o| o.name == f.name) {
            out.push(f.clone());
        }
    }
    out
}

/// Follows `name` in `current`: the target type of a relation, the groups
/// of a component or blocks field, or `None` for a media field that ends
/// its path.
fn step<'a>(
    current: &Scope<'_>,
    name: &str,
    path: &str,
    last: bool,
    types: &dyn Types,
) -> Result<Option<Scope<'a>>, FieldError> {
    let field = current.field(name).ok_or_else(|| {
        FieldError::new(
            "populate",
            "unknown_field",
            format!("`{name}` in `{path}` is not a field of {}", current.name()),
        )
    })?;
    if field.field_type.is_nested() && !last {
        return Ok(Some(Scope::Group(
            format!("{}.{name}", current.name()),
            group_fields(field),
        )));
    }
    match (field.field_type, field.to.as_deref()) {
        (FieldType::Relation, Some(to)) => {
            types.get(to).map(|t| Some(Scope::Type(t))).ok_or_else(|| {
                FieldError::new(
                    "populate",
                    "unknown_type",
                    format!("`{name}` points at `{to}`, which is not a content type"),
                )
            })
        }
        (FieldType::Media, _) if last => Ok(None),
        _ => Err(FieldError::new(
            "populate",
            "not_populatable",
            format!(
                "`{name}` in `{path}` is neither a relation, a component or blocks field on the way to one, nor, at the end of a path, a media field"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    struct Map(HashMap<String, Arc<ContentType>>);
    impl Types for Map {
        fn get(&self, api_id: &str) -> Option<Arc<ContentType>> {
            self.0.get(api_id).cloned()
        }
    }

    fn types() -> Map {
        let mut m = HashMap::new();
        for v in [
            json!({"api_id": "pages", "name": "P", "fields": [
                {"name": "title", "type": "string"},
                {"name": "parent", "type": "relation", "to": "pages"},
                {"name": "author", "type": "relation", "to": "authors"}]}),
            json!({"api_id": "authors", "name": "A", "fields": [
                {"name": "name", "type": "string"},
                {"name": "avatar", "type": "media"}]}),
            json!({"api_id": "landings", "name": "L", "fields": [
                {"name": "seo", "type": "component", "fields": [
                    {"name": "reviewer", "type": "relation", "to": "authors"}]}]}),
        ] {
            let ct = ContentType::from_json(v).unwrap();
            m.insert(ct.api_id().to_string(), Arc::new(ct));
        }
        Map(m)
    }

    #[test]
    fn builds_a_tree_of_paths() {
        let t = types();
        let pages = t.get("pages").unwrap();
        let p = Populate::parse(&pages, "author,author.avatar,parent.parent.author", &t).unwrap();
        assert!(p.get("author").unwrap().get("avatar").is_some());
        let pp = p.get("parent").unwrap().get("parent").unwrap();
        assert!(pp.get("author").is_some());
    }

    #[test]
    fn paths_pass_through_groups_to_their_relations() {
        let t = types();
        let landings = t.get("landings").unwrap();
        let p = Populate::parse(&landings, "seo.reviewer.avatar", &t).unwrap();
        assert!(
            p.get("seo")
                .unwrap()
                .get("reviewer")
                .unwrap()
                .get("avatar")
                .is_some()
        );
        for (v, rule) in [("seo", "not_populatable"), ("seo.nope", "unknown_field")] {
            assert_eq!(
                Populate::parse(&landings, v, &t).unwrap_err().rule,
                rule,
                "{v}"
            );
        }
    }

    #[test]
    fn refusals_name_the_rule() {
        let t = types();
        let pages = t.get("pages").unwrap();
        for (v, rule) in [
            ("parent.parent.parent.author", "depth"),
            ("nope", "unknown_field"),
            ("title", "not_populatable"),
            ("author.avatar.x", "not_populatable"),
        ] {
            assert_eq!(
                Populate::parse(&pages, v, &t).unwrap_err().rule,
                rule,
                "{v}"
            );
        }
        assert_eq!(
            Populate::parse(&pages, "author", &NoTypes)
                .unwrap_err()
                .rule,
            "unknown_type"
        );
    }
}
