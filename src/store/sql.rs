//! SQL text built at run time: the list query language and the handful of
//! expressions whose spelling differs between SQLite and PostgreSQL.

use crate::model::field::FieldType;
use crate::model::keyset::After;
use crate::model::query::{CmpOp, Column, Cond, Filter, ListQuery, Scalar, Sort, Surface};

/// Which copy of its source a link in `entry_refs` belongs to: the public
/// API follows live copies, the admin API working copies.
pub fn ref_copy(surface: Surface) -> &'static str {
    match surface {
        Surface::Public => "live",
        Surface::Admin => "draft",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A bound parameter.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An id compared with a log column (see [`super::log_id`]).
    LogId(String),
}

impl From<Scalar> for Arg {
    fn from(s: Scalar) -> Arg {
        match s {
            Scalar::Text(t) => Arg::Text(t),
            Scalar::Int(i) => Arg::Int(i),
            Scalar::Float(f) => Arg::Float(f),
            Scalar::Bool(b) => Arg::Bool(b),
        }
    }
}

/// Binds a list of [`Arg`]s to a sqlx query of either database.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                $crate::store::sql::Arg::Text(v) => q.bind(v),
                $crate::store::sql::Arg::Int(v) => q.bind(v),
                $crate::store::sql::Arg::Float(v) => q.bind(v),
                $crate::store::sql::Arg::Bool(v) => q.bind(v),
                $crate::store::sql::Arg::LogId(v) => {
                    q.bind($crate::store::log_id::LogId::from(v.to_string()))
                }
            };
        }
        q
    }};
}
pub(crate) use bind_args;

/// SQL text with numbered placeholders and their values, in order.
#[derive(Debug, Default, Clone)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends `(…)` with a placeholder for each of `args`, for `IN`.
    pub fn list(&mut self, args: impl IntoIterator<Item = Arg>) -> &mut Self {
        self.push("(");
        for (i, arg) in args.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.arg(arg);
        }
        self.push(")")
    }

    /// Appends `IN (…)` over `values` bound as one JSON array: the text is
    /// the same however many there are, so one prepared statement serves
    /// every call. (A placeholder each makes a statement per length, each
    /// prepared anew on PostgreSQL and taking a place in the connection's
    /// statement cache: a stream of writes ran slower when the search
    /// indexer read its rounds' entries that way than with a read each.)
    pub fn in_texts(&mut self, dialect: Dialect, values: &[String]) -> &mut Self {
        let array = serde_json::Value::from(values.to_vec()).to_string();
        match dialect {
            Dialect::Sqlite => self.push(" IN (SELECT value FROM json_each("),
            Dialect::Postgres => self.push(" IN (SELECT jsonb_array_elements_text(CAST("),
        };
        self.arg(Arg::Text(array));
        match dialect {
            Dialect::Sqlite => self.push("))"),
            Dialect::Postgres => self.push(" AS jsonb)))"),
        }
    }

    /// Appends ` LIMIT n`, written out: SQLite prepares a statement whose
    /// `LIMIT` is a bound parameter again each time it runs (the planner
    /// reads its value), which cost an uncached page ~10 % of its time.
    pub fn limit(&mut self, n: i64) -> &mut Self {
        self.push(" LIMIT ").push(&n.to_string())
    }

    /// Appends a placeholder for `arg`. Placeholders are numbered in the
    /// order they appear, which is how SQLite numbers `$N` parameters too.
    pub fn arg(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        let n = self.args.len();
        self.text.push('$');
        self.text.push_str(&n.to_string());
        self
    }
}

/// A translation's working copy in SQL: `draft` holds JSON `null` while
/// the working copy is the live copy, stored once (see `entries::write`).
pub const WORKING_COPY: &str = "(CASE WHEN draft = 'null' THEN published ELSE draft END)";

/// `doc` (`draft` or `published`) holds a copy of its own: not SQL `NULL`
/// (no live copy) and not the JSON `null` of a working copy kept as the live one.
pub fn holds_copy(doc: &str) -> String {
    format!("{doc} IS NOT NULL AND {doc} <> 'null'")
}

/// The JSON document a surface reads: live copies for the public API,
/// working copies for the admin API.
fn document(surface: Surface) -> &'static str {
    match surface {
        Surface::Public => "published",
        Surface::Admin => WORKING_COPY,
    }
}

impl Dialect {
    /// `column` (an entry's or another text id) as the logs store it, for
    /// matching log rows against it (see [`super::log_id`]).
    pub fn log_id(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => super::log_id::packed_sql(column),
            Dialect::Postgres => column.to_string(),
        }
    }

    /// The SQL expression for a column, typed so comparisons and ordering
    /// agree between the two databases.
    pub fn column(self, column: &Column, surface: Surface, for_order: bool) -> String {
        match column {
            Column::Id => "entry_id".into(),
            Column::Locale => "locale".into(),
            Column::Status => "status".into(),
            Column::CreatedAt => "created_at".into(),
            Column::UpdatedAt => match surface {
                Surface::Public => "live_updated_at".into(),
                Surface::Admin => "updated_at".into(),
            },
            Column::PublishedAt => "published_at".into(),
            Column::Field { name, ty } => self.json_field(document(surface), name, *ty, for_order),
        }
    }

    /// `doc ->> 'name'`, cast where Postgres would otherwise compare text.
    /// `name` is a checked snake_case field name, safe inside a literal.
    pub fn json_field(self, doc: &str, name: &str, ty: FieldType, for_order: bool) -> String {
        let raw = format!("({doc} ->> '{name}')");
        match (self, ty) {
            (Dialect::Sqlite, _) => raw,
            (Dialect::Postgres, FieldType::Integer | FieldType::Number) => {
                format!("({raw}::numeric)")
            }
            (Dialect::Postgres, FieldType::Boolean) => format!("({raw}::boolean)"),
            // Byte order, as SQLite sorts, whatever the database's locale.
            (Dialect::Postgres, _) if for_order => format!("({raw} COLLATE \"C\")"),
            (Dialect::Postgres, _) => raw,
        }
    }

    /// A JSON null of the column type, for selecting a copy we do not need.
    pub fn null_json(self) -> &'static str {
        match self {
            Dialect::Sqlite => "NULL",
            Dialect::Postgres => "NULL::jsonb",
        }
    }

    /// `doc` without the key `name`.
    pub fn json_remove(self, doc: &str, name: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_remove({doc}, '$.{name}')"),
            Dialect::Postgres => format!("({doc} - '{name}')"),
        }
    }

    /// Serializes writers of one content type on Postgres: a schema change
    /// against the entry writes in flight (which hold it shared, see
    /// [`Self::entry_lock`]), and a singleton's first entry. SQLite's
    /// `BEGIN IMMEDIATE` already serializes every writer.
    pub fn type_lock(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("SELECT pg_advisory_xact_lock(hashtext($1))"),
        }
    }

    /// What an entry write holds on PostgreSQL until it commits: its type
    /// shared (so a schema change, which takes [`Self::type_lock`], waits
    /// for the writes in flight and they for it) and the entry (`$2`, an
    /// entry id) alone, so that writers of different entries run side by
    /// side while two writes of one entry, or of any of its translations,
    /// take turns and see each other's version. SQLite has one writer.
    pub fn entry_lock(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some(
                "SELECT pg_advisory_xact_lock_shared(hashtext($1)), \
                 pg_advisory_xact_lock(hashtext($1), hashtext('entry:' || $2))",
            ),
        }
    }

    /// `BEGIN` followed by [`Self::entry_lock`] of entry `id` of type `ty`,
    /// its values written into the text, for one simple query; `None` on
    /// SQLite, or where a value holds more than ASCII letters, digits, `-`
    /// and `_` (every type's `api_id` and every id Quire makes), so that
    /// nothing needs quoting.
    pub fn begin_entry_write(self, ty: &str, id: &str) -> Option<String> {
        let plain = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        match self {
            Dialect::Postgres if plain(ty) && plain(id) => Some(format!(
                "BEGIN; SELECT pg_advisory_xact_lock_shared(hashtext('{ty}')), \
                 pg_advisory_xact_lock(hashtext('{ty}'), hashtext('entry:{id}'))"
            )),
            _ => None,
        }
    }

    /// Holds the value `$2` (a `column:value` text) of type `$1` until
    /// commit on PostgreSQL, so that two writers checking that a unique
    /// value is free take turns and the second sees the first's row (its
    /// check, a statement of its own, reads after the lock). SQLite has one
    /// writer.
    pub fn value_lock(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))"),
        }
    }

    /// Appended to a SELECT that must lock its rows until commit.
    pub fn row_lock(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// Appended to a SELECT whose rows must not be deleted until commit.
    pub fn key_share_lock(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR KEY SHARE",
        }
    }

    /// Held by every PostgreSQL write that records a change, from before
    /// it draws the change's sequence number to its commit: shared, so
    /// writers commit side by side. A reader takes it alone for a moment
    /// ([`crate::store::changes`]'s horizon): once it has it, every number
    /// drawn so far belongs to a finished transaction, so the feed up to
    /// the newest of them can be read without skipping one still to become
    /// visible. (SQLite's single writer commits in sequence order.)
    pub fn feed_lock(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("SELECT pg_advisory_xact_lock_shared(7311996)"),
        }
    }

    /// What a row-claiming subquery ends with so that rows another
    /// transaction is claiming are skipped rather than waited for. SQLite
    /// has one writer at a time, so there is nothing to skip.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    fn contains(self, sql: &mut Sql, expr: &str, needle: String) {
        let f = match self {
            Dialect::Sqlite => "instr",
            Dialect::Postgres => "strpos",
        };
        sql.push(&format!("{f}({expr}, "))
            .arg(Arg::Text(needle))
            .push(") > 0");
    }

    fn starts_with(self, sql: &mut Sql, expr: &str, prefix: String) {
        match self {
            Dialect::Sqlite => {
                sql.push(&format!("substr({expr}, 1, length("))
                    .arg(Arg::Text(prefix.clone()))
                    .push(")) = ")
                    .arg(Arg::Text(prefix));
            }
            Dialect::Postgres => {
                sql.push(&format!("starts_with({expr}, "))
                    .arg(Arg::Text(prefix))
                    .push(")");
            }
        }
    }

    /// Appends ` AND <condition>` for each filter.
    pub fn filters(self, sql: &mut Sql, filters: &[Filter], surface: Surface) {
        for f in filters {
            sql.push(" AND ");
            if let Some(via) = &f.via {
                // The entries whose `field` points at a matching target.
                sql.push("id IN (SELECT source_id FROM entry_refs WHERE field = ")
                    .arg(Arg::Text(via.field.clone()))
                    .push(" AND copy = ")
                    .arg(Arg::Text(ref_copy(surface).into()))
                    .push(" AND target_id IN (SELECT entry_id FROM entries WHERE type = ")
                    .arg(Arg::Text(via.target.clone()));
                if surface == Surface::Public {
                    sql.push(" AND published IS NOT NULL");
                }
                sql.push(" AND ");
                self.condition(sql, &f.column, &f.cond, surface);
                sql.push("))");
            } else {
                self.condition(sql, &f.column, &f.cond, surface);
            }
        }
    }

    /// One filter's condition on `column` of the rows in scope.
    fn condition(self, sql: &mut Sql, column: &Column, cond: &Cond, surface: Surface) {
        if let Column::Field {
            name,
            ty: FieldType::Relation,
        } = column
        {
            return self.relation_condition(sql, name, cond, surface);
        }
        let expr = self.column(column, surface, false);
        match cond {
            Cond::Cmp(CmpOp::Ne, v) => {
                // "not equal" keeps entries where the field is unset.
                sql.push(&format!("({expr} IS NULL OR {expr} <> "))
                    .arg(v.clone().into())
                    .push(")");
            }
            Cond::Cmp(op, v) => {
                let op = match op {
                    CmpOp::Eq => "=",
                    CmpOp::Lt => "<",
                    CmpOp::Lte => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Gte => ">=",
                    CmpOp::Ne => "<>",
                };
                sql.push(&format!("{expr} {op} ")).arg(v.clone().into());
            }
            Cond::In(values) => {
                sql.push(&format!("{expr} IN "))
                    .list(values.iter().map(|v| v.clone().into()));
            }
            Cond::Contains(s) => self.contains(sql, &expr, s.clone()),
            Cond::StartsWith(s) => self.starts_with(sql, &expr, s.clone()),
            Cond::IsNull(true) => {
                sql.push(&format!("{expr} IS NULL"));
            }
            Cond::IsNull(false) => {
                sql.push(&format!("{expr} IS NOT NULL"));
            }
        }
    }

    /// A condition on a relation field, answered from the link table:
    /// `eq`/`in` an entry id it points at, `ne` one it doesn't, `null`
    /// whether it points at nothing.
    fn relation_condition(self, sql: &mut Sql, field: &str, cond: &Cond, surface: Surface) {
        let (negate, targets): (bool, Option<Vec<Arg>>) = match cond {
            Cond::Cmp(CmpOp::Ne, v) => (true, Some(vec![v.clone().into()])),
            Cond::Cmp(_, v) => (false, Some(vec![v.clone().into()])),
            Cond::In(values) => (
                false,
                Some(values.iter().map(|v| v.clone().into()).collect()),
            ),
            Cond::IsNull(null) => (*null, None),
            // The parser refuses other operators on relations.
            Cond::Contains(_) | Cond::StartsWith(_) => (false, Some(Vec::new())),
        };
        sql.push(if negate { "id NOT IN " } else { "id IN " })
            .push("(SELECT source_id FROM entry_refs WHERE field = ")
            .arg(Arg::Text(field.to_string()))
            .push(" AND copy = ")
            .arg(Arg::Text(ref_copy(surface).into()));
        match targets {
            Some(list) if list.is_empty() => {
                sql.push(" AND 1 = 0");
            }
            Some(list) => {
                sql.push(" AND target_id IN ").list(list);
            }
            None => {}
        }
        sql.push(")");
    }

    /// ` AND …`: the rows that come after `after` in the order `sort` (and
    /// then `id`) makes, nulls last as `order_by` puts them.
    pub fn after(self, sql: &mut Sql, sort: &[Sort], after: &After, surface: Surface) {
        sql.push(" AND (");
        for i in 0..=sort.len() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("(");
            for (s, v) in sort.iter().zip(&after.values).take(i) {
                let expr = self.column(&s.column, surface, true);
                match v {
                    Some(v) => sql.push(&format!("{expr} = ")).arg(v.clone().into()),
                    None => sql.push(&format!("{expr} IS NULL")),
                };
                sql.push(" AND ");
            }
            match (sort.get(i), after.values.get(i)) {
                (Some(s), Some(Some(v))) => {
                    let expr = self.column(&s.column, surface, true);
                    let op = if s.desc { "<" } else { ">" };
                    if self.nulls_last(s, surface) {
                        sql.push(&format!("({expr} {op} "))
                            .arg(v.clone().into())
                            .push(&format!(" OR {expr} IS NULL)"));
                    } else {
                        sql.push(&format!("{expr} {op} ")).arg(v.clone().into());
                    }
                }
                // Nothing sorts after a null but other nulls, which the
                // next positions tell apart.
                (Some(_), _) => {
                    sql.push("1 = 0");
                }
                (None, _) => {
                    let desc = sort.last().is_some_and(|s| s.desc);
                    sql.push(if desc { "id < " } else { "id > " })
                        .arg(Arg::Text(after.row.clone()));
                }
            }
            sql.push(")");
        }
        sql.push(")");
    }

    /// Whether a sort key can be null, and so sorts its nulls last.
    fn nulls_last(self, s: &Sort, surface: Surface) -> bool {
        matches!(s.column, Column::Field { .. } | Column::PublishedAt)
            && !(s.column == Column::PublishedAt && surface == Surface::Public)
    }

    /// ` ORDER BY …`, ending with `id` so pages never overlap.
    pub fn order_by(self, sql: &mut Sql, sort: &[Sort], surface: Surface) {
        sql.push(" ORDER BY ");
        let mut last_desc = false;
        for s in sort {
            let expr = self.column(&s.column, surface, true);
            let dir = if s.desc { "DESC" } else { "ASC" };
            // Non-null system columns keep the plain form an index can serve.
            if self.nulls_last(s, surface) {
                sql.push(&format!("{expr} {dir} NULLS LAST, "));
            } else {
                sql.push(&format!("{expr} {dir}, "));
            }
            last_desc = s.desc;
        }
        sql.push(if last_desc { "id DESC" } else { "id ASC" });
    }

    /// ` LIMIT … OFFSET …`
    pub fn page(self, sql: &mut Sql, q: &ListQuery) {
        sql.limit(q.limit).push(" OFFSET ").arg(Arg::Int(q.offset));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_texts_is_one_statement_whatever_its_length() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let of = |values: &[&str]| {
                let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                let mut sql = Sql::default();
                sql.push("SELECT 1 WHERE x").in_texts(dialect, &values);
                sql
            };
            let one = of(&["a"]);
            let three = of(&["a", "b'c", "d\"e"]);
            assert_eq!(one.text, three.text, "{dialect:?}");
            assert_eq!(three.args.len(), 1);
            match &three.args[0] {
                Arg::Text(t) => assert_eq!(t, r#"["a","b'c","d\"e"]"#),
                other => panic!("a JSON array of the values, not {other:?}"),
            }
        }
    }

    #[test]
    fn a_limit_is_written_out_and_the_values_around_it_stay_bound() {
        let mut sql = Sql::default();
        sql.push("SELECT id FROM entries WHERE type = ")
            .arg(Arg::Text("articles".into()))
            .limit(20)
            .push(" OFFSET ")
            .arg(Arg::Int(40));
        assert_eq!(
            sql.text,
            "SELECT id FROM entries WHERE type = $1 LIMIT 20 OFFSET $2"
        );
        assert!(matches!(sql.args[..], [Arg::Text(_), Arg::Int(40)]));
    }

    #[test]
    fn an_entry_write_begins_with_its_locks_only_for_values_that_need_no_quoting() {
        let id = "0193a5b2-7c1e-7d2f-9a00-1234567890ab";
        let Some(sql) = Dialect::Postgres.begin_entry_write("blog_posts", id) else {
            panic!("a type's api_id and a made id are written in");
        };
        assert_eq!(
            sql,
            format!(
                "BEGIN; SELECT pg_advisory_xact_lock_shared(hashtext('blog_posts')), \
                 pg_advisory_xact_lock(hashtext('blog_posts'), hashtext('entry:{id}'))"
            )
        );
        for (ty, id) in [
            ("articles", "x'); DROP TABLE entries; --"),
            ("articles", ""),
            ("a b", "id"),
        ] {
            assert_eq!(
                Dialect::Postgres.begin_entry_write(ty, id),
                None,
                "{ty:?} {id:?}"
            );
        }
        assert_eq!(Dialect::Sqlite.begin_entry_write("articles", id), None);
    }
}
