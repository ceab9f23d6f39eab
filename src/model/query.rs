//! The list query language shared by the public and admin APIs:
//! `limit`, `offset`, `sort=-published_at,title`, `filter[field][op]=value`,
//! `fields=a,b`, `locale=en`. Parsed here into typed values, so the store never
//! sees a raw string from the query.

use super::FieldError;
use super::content_type::ContentType;
use super::field::FieldType;
use super::populate::{NoTypes, Populate, Types};

pub const DEFAULT_LIMIT: i64 = 25;
pub const MAX_LIMIT: i64 = 100;
const MAX_FILTERS: usize = 20;
const MAX_IN_VALUES: usize = 100;

/// Which API is asking: the admin API sees working copies and their status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Public,
    Admin,
}

/// Something an entry can be filtered or sorted on.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Id,
    Locale,
    Status,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
    Field { name: String, ty: FieldType },
}

impl Column {
    fn resolve(ct: &ContentType, name: &str, surface: Surface) -> Option<Column> {
        Some(match name {
            "id" => Column::Id,
            "locale" => Column::Locale,
            "status" if surface == Surface::Admin => Column::Status,
            "created_at" => Column::CreatedAt,
            "updated_at" => Column::UpdatedAt,
            "published_at" => Column::PublishedAt,
            _ => {
                let f = ct.field(name)?;
                Column::Field {
                    name: f.name.clone(),
                    ty: f.field_type,
                }
            }
        })
    }

    fn is_time(&self) -> bool {
        matches!(
            self,
            Column::CreatedAt | Column::UpdatedAt | Column::PublishedAt
        )
    }

    fn is_ordered(&self) -> bool {
        match self {
            Column::Field { ty, .. } => ty.is_ordered(),
            _ => true,
        }
    }

    fn is_textual(&self) -> bool {
        match self {
            Column::Field { ty, .. } => ty.is_textual(),
            Column::Id | Column::Locale | Column::Status => true,
            _ => false,
        }
    }
}

/// A typed value to compare a column with.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Cmp(CmpOp, Scalar),
    In(Vec<Scalar>),
    Contains(String),
    StartsWith(String),
    IsNull(bool),
}

/// A filter that reaches through a relation: the condition applies to the
/// entries (of type `target`) that the relation field `field` points at.
#[derive(Debug, Clone, PartialEq)]
pub struct Via {
    pub field: String,
    pub target: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub column: Column,
    pub cond: Cond,
    /// Set when the column is a field of related entries.
    pub via: Option<Via>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    pub column: Column,
    pub desc: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub limit: i64,
    pub offset: i64,
    pub sort: Vec<Sort>,
    pub filters: Vec<Filter>,
    /// Fields to return; `None` for all. `id` is always returned.
    pub fields: Option<Vec<String>>,
    /// The `locale` parameter as given (`*` for every translation).
    pub locale: Option<String>,
    /// Which translation of each entry the list shows; set from `locale`
    /// and the configured locales by [`ListQuery::choose_translations`].
    pub translations: Translations,
    /// Relation fields to replace by the entries they point at.
    pub populate: Populate,
    /// How richtext fields are shown: as stored (markdown) or as HTML.
    pub richtext: RichtextAs,
    /// Keyset paging: the page starts after this entry (`?after=`).
    pub after: Option<super::keyset::After>,
}

/// The form richtext fields are read in (`?richtext=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RichtextAs {
    #[default]
    Markdown,
    /// Rendered and sanitised.
    Html,
}

impl RichtextAs {
    pub fn parse(value: &str) -> Result<RichtextAs, FieldError> {
        match value {
            "markdown" => Ok(RichtextAs::Markdown),
            "html" => Ok(RichtextAs::Html),
            _ => Err(FieldError::new(
                "richtext",
                "values",
                "`richtext` is `markdown` (as stored) or `html` (rendered, sanitised)",
            )),
        }
    }
}

/// Which of an entry's translations a list shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Translations {
    /// Every translation as an item of its own (`locale=*`).
    #[default]
    All,
    /// Each entry once, as its translation in the first of `order` it has;
    /// with `only`, an entry with none of them is left out, else it shows
    /// in whichever translation comes first.
    Best { order: Vec<String>, only: bool },
}

impl ListQuery {
    /// Turns `locale` into the translations to show: on the public API the
    /// locale's fallback chain (the default locale when none is given); on
    /// the admin API exactly the locale given, or each entry once, in the
    /// first configured locale it has. A locale not configured is refused.
    pub fn choose_translations(
        &mut self,
        locales: &super::locale::Locales,
        surface: Surface,
    ) -> Result<(), FieldError> {
        self.translations = match self.locale.as_deref() {
            Some("*") => Translations::All,
            Some(code) => {
                let code = known_locale(locales, code)?;
                match surface {
                    Surface::Public => Translations::Best {
                        order: locales.chain(code).iter().map(|c| c.to_string()).collect(),
                        only: true,
                    },
                    Surface::Admin => Translations::Best {
                        order: vec![code.to_string()],
                        only: true,
                    },
                }
            }
            None => match surface {
                Surface::Public => Translations::Best {
                    order: vec![locales.default_locale().to_string()],
                    only: true,
                },
                Surface::Admin => Translations::Best {
                    order: locales.all().to_vec(),
                    only: false,
                },
            },
        };
        Ok(())
    }

    /// The fallback chain readers asked for, when it is longer than one
    /// locale (so values may come from another locale).
    pub fn chain(&self) -> Option<&[String]> {
        match &self.translations {
            Translations::Best { order, only: true } if order.len() > 1 => Some(order),
            _ => None,
        }
    }
}

/// `code` when it is one of the configured locales.
pub fn known_locale<'a>(
    locales: &super::locale::Locales,
    code: &'a str,
) -> Result<&'a str, FieldError> {
    if locales.contains(code) {
        Ok(code)
    } else {
        Err(FieldError::new(
            "locale",
            "locale",
            format!(
                "`{code}` is not one of this server's locales ({}; see QUIRE_LOCALES)",
                locales.all().join(", ")
            ),
        ))
    }
}

impl ListQuery {
    /// The order a list is in: the one asked for, else the newest first
    /// (by publication on the public API, by last edit on the admin API).
    pub fn sort_for(&self, surface: Surface) -> Vec<Sort> {
        if !self.sort.is_empty() {
            return self.sort.clone();
        }
        vec![Sort {
            column: match surface {
                Surface::Public => Column::PublishedAt,
                Surface::Admin => Column::UpdatedAt,
            },
            desc: true,
        }]
    }

    /// Parses decoded query pairs, knowing no other type: filters and
    /// `populate` cannot reach through relations.
    pub fn parse(
        ct: &ContentType,
        pairs: &[(String, String)],
        surface: Surface,
    ) -> Result<ListQuery, Vec<FieldError>> {
        ListQuery::parse_with(ct, pairs, surface, &NoTypes)
    }

    /// Parses decoded query pairs. Unknown parameters, fields and operators are
    /// refused rather than ignored, so a typo never reads as "no results".
    pub fn parse_with(
        ct: &ContentType,
        pairs: &[(String, String)],
        surface: Surface,
        types: &dyn Types,
    ) -> Result<ListQuery, Vec<FieldError>> {
        let mut q = ListQuery {
            limit: DEFAULT_LIMIT,
            offset: 0,
            sort: Vec::new(),
            filters: Vec::new(),
            fields: None,
            locale: None,
            translations: Translations::All,
            populate: Populate::default(),
            richtext: RichtextAs::Markdown,
            after: None,
        };
        let mut after = None;
        let mut errors = Vec::new();
        for (key, value) in pairs {
            let result = match key.as_str() {
                "limit" => parse_int(key, value, 1, MAX_LIMIT).map(|n| q.limit = n),
                "offset" => parse_int(key, value, 0, i64::MAX).map(|n| q.offset = n),
                "sort" => parse_sort(ct, value, surface).map(|s| q.sort = s),
                "fields" => parse_fields(ct, value, surface).map(|f| q.fields = Some(f)),
                "locale" => parse_locale(value).map(|l| q.locale = Some(l)),
                "populate" => Populate::parse(ct, value, types).map(|p| q.populate = p),
                "richtext" if surface == Surface::Public => {
                    RichtextAs::parse(value).map(|r| q.richtext = r)
                }
                "after" => {
                    after = Some(value.as_str());
                    Ok(())
                }
                k if k.starts_with("filter[") => {
                    parse_filter(ct, k, value, surface, types).map(|f| q.filters.push(f))
                }
                _ => Err(FieldError::new(
                    key.clone(),
                    "unknown_parameter",
                    format!(
                        "`{key}` is not a query parameter; use limit, offset, after, sort, fields, locale, populate, richtext or filter[field][op]"
                    ),
                )),
            };
            if let Err(e) = result {
                errors.push(e);
            }
        }
        if let Some(text) = after {
            if q.offset != 0 {
                errors.push(FieldError::new(
                    "after",
                    "exclusive",
                    "page with `after` or with `offset`, not both",
                ));
            }
            match super::keyset::parse(text, &q.sort_for(surface)) {
                Ok(a) => q.after = Some(a),
                Err(e) => errors.push(e),
            }
        }
        if q.filters.len() > MAX_FILTERS {
            errors.push(FieldError::new(
                "filter",
                "max_items",
                format!("at most {MAX_FILTERS} filters"),
            ));
        }
        if errors.is_empty() {
            Ok(q)
        } else {
            Err(errors)
        }
    }
}

fn parse_int(key: &str, value: &str, min: i64, max: i64) -> Result<i64, FieldError> {
    match value.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ if max == i64::MAX => Err(FieldError::new(
            key,
            "range",
            format!("`{key}` must be a whole number of at least {min}"),
        )),
        _ => Err(FieldError::new(
            key,
            "range",
            format!("`{key}` must be a whole number from {min} to {max}"),
        )),
    }
}

fn parse_locale(value: &str) -> Result<String, FieldError> {
    if value == "*" || super::locale::is_valid(value) {
        Ok(value.to_string())
    } else {
        Err(FieldError::new(
            "locale",
            "locale",
            format!("`{value}` is not a locale like en or pt-BR, or `*` for every translation"),
        ))
    }
}

fn unknown_field(param: &str, name: &str, ct: &ContentType) -> FieldError {
    FieldError::new(
        param,
        "unknown_field",
        format!("`{name}` is not a field of {}", ct.api_id()),
    )
}

fn parse_sort(ct: &ContentType, value: &str, surface: Surface) -> Result<Vec<Sort>, FieldError> {
    let mut keys = Vec::new();
    for part in value.split(',').filter(|p| !p.is_empty()) {
        let (desc, name) = match part.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, part.strip_prefix('+').unwrap_or(part)),
        };
        let column =
            Column::resolve(ct, name, surface).ok_or_else(|| unknown_field("sort", name, ct))?;
        if !column.is_ordered() {
            return Err(FieldError::new(
                "sort",
                "not_sortable",
                format!("`{name}` cannot be sorted"),
            ));
        }
        keys.push(Sort { column, desc });
    }
    if keys.len() > 5 {
        return Err(FieldError::new("sort", "max_items", "at most 5 sort keys"));
    }
    Ok(keys)
}

fn parse_fields(
    ct: &ContentType,
    value: &str,
    surface: Surface,
) -> Result<Vec<String>, FieldError> {
    value
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|name| match Column::resolve(ct, name, surface) {
            Some(_) => Ok(name.to_string()),
            None => Err(unknown_field("fields", name, ct)),
        })
        .collect()
}

/// `filter[title][eq]` → (`title`, `eq`).
fn split_filter_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("filter[")?;
    let (field, rest) = rest.split_once("][")?;
    let op = rest.strip_suffix(']')?;
    Some((field, op))
}

/// `filter[author.name]`: the relation field, its target type, and the
/// column of the target; `None` when `name` has no dot.
fn through_relation(
    ct: &ContentType,
    key: &str,
    name: &str,
    surface: Surface,
    types: &dyn Types,
) -> Option<Result<(Via, Column), FieldError>> {
    let (rel, rest) = name.split_once('.')?;
    Some((|| {
        let field = ct.field(rel).ok_or_else(|| unknown_field(key, rel, ct))?;
        let Some(to) = field
            .to
            .as_deref()
            .filter(|_| field.field_type == FieldType::Relation)
        else {
            return Err(FieldError::new(
                key,
                "not_a_relation",
                format!("`{rel}` is not a relation, so `{name}` cannot reach through it"),
            ));
        };
        let target = types.get(to).ok_or_else(|| {
            FieldError::new(key, "unknown_type", format!("`{to}` is not a content type"))
        })?;
        let column = match Column::resolve(&target, rest, surface) {
            Some(Column::Field {
                ty: FieldType::Relation,
                ..
            })
            | None => return Err(unknown_field(key, rest, &target)),
            Some(c) => c,
        };
        let via = Via {
            field: field.name.clone(),
            target: to.to_string(),
        };
        Ok((via, column))
    })())
}

fn parse_filter(
    ct: &ContentType,
    key: &str,
    value: &str,
    surface: Surface,
    types: &dyn Types,
) -> Result<Filter, FieldError> {
    let (name, op) = split_filter_key(key).ok_or_else(|| {
        FieldError::new(key, "syntax", "filters are written filter[field][op]=value")
    })?;
    let (via, column) = match through_relation(ct, key, name, surface, types) {
        Some(found) => {
            let (via, column) = found?;
            (Some(via), column)
        }
        None => (
            None,
            Column::resolve(ct, name, surface).ok_or_else(|| unknown_field(key, name, ct))?,
        ),
    };
    if let Column::Field {
        ty: FieldType::Relation,
        ..
    } = column
        && !matches!(op, "eq" | "ne" | "in" | "null")
    {
        return Err(FieldError::new(
            key,
            "operator",
            format!("`{op}` does not apply to a relation; use eq, ne, in or null with entry ids"),
        ));
    }
    let bad_op = |why: &str| FieldError::new(key, "operator", format!("`{op}` {why}"));
    let cmp = |op| -> Result<Cond, FieldError> {
        if op != CmpOp::Eq && op != CmpOp::Ne && !column.is_ordered() {
            return Err(bad_op("does not apply to this field"));
        }
        if matches!(
            &column,
            Column::Field {
                ty: FieldType::Json | FieldType::Component | FieldType::Blocks,
                ..
            }
        ) {
            return Err(bad_op(
                "does not apply to a json, component or blocks field; use null",
            ));
        }
        Ok(Cond::Cmp(op, typed_value(&column, key, value)?))
    };
    let cond = match op {
        "eq" => cmp(CmpOp::Eq)?,
        "ne" => cmp(CmpOp::Ne)?,
        "lt" => cmp(CmpOp::Lt)?,
        "lte" => cmp(CmpOp::Lte)?,
        "gt" => cmp(CmpOp::Gt)?,
        "gte" => cmp(CmpOp::Gte)?,
        "in" => {
            if matches!(
                &column,
                Column::Field {
                    ty: FieldType::Json | FieldType::Component | FieldType::Blocks,
                    ..
                }
            ) {
                return Err(bad_op(
                    "does not apply to a json, component or blocks field; use null",
                ));
            }
            let values: Vec<Scalar> = value
                .split(',')
                .map(|v| typed_value(&column, key, v))
                .collect::<Result<_, _>>()?;
            if values.len() > MAX_IN_VALUES {
                return Err(FieldError::new(
                    key,
                    "max_items",
                    format!("at most {MAX_IN_VALUES} values"),
                ));
            }
            Cond::In(values)
        }
        "contains" | "starts_with" => {
            if !column.is_textual() {
                return Err(bad_op("applies only to text fields"));
            }
            if op == "contains" {
                Cond::Contains(value.to_string())
            } else {
                Cond::StartsWith(value.to_string())
            }
        }
        "null" => match value {
            "true" => Cond::IsNull(true),
            "false" => Cond::IsNull(false),
            _ => {
                return Err(FieldError::new(key, "type", "`null` takes true or false"));
            }
        },
        _ => {
            return Err(bad_op(
                "is not an operator; use eq, ne, lt, lte, gt, gte, in, contains, starts_with or null",
            ));
        }
    };
    Ok(Filter { column, cond, via })
}

/// Converts a query string value to the column's type, or says why not.
fn typed_value(column: &Column, key: &str, raw: &str) -> Result<Scalar, FieldError> {
    let wrong = |what: &str| FieldError::new(key, "type", format!("`{raw}` is not {what}"));
    if column.is_time() {
        return crate::clock::parse(raw)
            .map(Scalar::Int)
            .ok_or_else(|| wrong("an RFC 3339 date-time"));
    }
    let Column::Field { ty, .. } = column else {
        return Ok(Scalar::Text(raw.to_string()));
    };
    match ty {
        FieldType::Integer => raw
            .parse()
            .map(Scalar::Int)
            .map_err(|_| wrong("a whole number")),
        FieldType::Number => raw
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Scalar::Float)
            .ok_or_else(|| wrong("a number")),
        FieldType::Boolean => match raw {
            "true" => Ok(Scalar::Bool(true)),
            "false" => Ok(Scalar::Bool(false)),
            _ => Err(wrong("true or false")),
        },
        FieldType::Date => super::validate::parse_date(raw)
            .map(Scalar::Text)
            .ok_or_else(|| wrong("a date like 2026-01-31")),
        FieldType::Datetime => crate::clock::parse(raw)
            .map(|m| Scalar::Text(crate::clock::format(m)))
            .ok_or_else(|| wrong("an RFC 3339 date-time")),
        _ => Ok(Scalar::Text(raw.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ct() -> ContentType {
        ContentType::from_json(json!({"api_id": "t", "name": "T", "fields": [
            {"name": "title", "type": "string"},
            {"name": "views", "type": "integer"},
            {"name": "extra", "type": "json"},
        ]}))
        .unwrap()
    }

    fn parse(q: &[(&str, &str)]) -> Result<ListQuery, Vec<FieldError>> {
        let pairs: Vec<_> = q
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ListQuery::parse(&ct(), &pairs, Surface::Public)
    }

    #[test]
    fn parses_sort_filter_and_paging() {
        let q = parse(&[
            ("sort", "-published_at,title"),
            ("filter[views][gte]", "10"),
            ("limit", "20"),
        ])
        .unwrap();
        assert_eq!(q.limit, 20);
        assert!(q.sort[0].desc && q.sort[0].column == Column::PublishedAt);
        assert_eq!(q.filters[0].cond, Cond::Cmp(CmpOp::Gte, Scalar::Int(10)));
    }

    #[test]
    fn refusals_name_the_parameter() {
        for (k, v, rule) in [
            ("filter[nope][eq]", "1", "unknown_field"),
            ("filter[title][like]", "x", "operator"),
            ("filter[views][gt]", "ten", "type"),
            ("filter[extra][eq]", "1", "operator"),
            ("limit", "101", "range"),
            ("sort", "extra", "not_sortable"),
            ("status", "draft", "unknown_parameter"),
        ] {
            let errs = parse(&[(k, v)]).unwrap_err();
            assert_eq!((errs[0].field.as_str(), errs[0].rule.as_str()), (k, rule));
        }
    }
}
