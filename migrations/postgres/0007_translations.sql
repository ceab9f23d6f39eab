-- Linked translations: one entry, one row per locale. `entry_id` is the id
-- every API shows and relations point at; `id` stays the row's own key
-- (revisions, media and relation links of that translation). The first
-- translation of an entry is the row whose id is the entry's id.
ALTER TABLE entries ADD COLUMN entry_id TEXT NOT NULL DEFAULT '';

-- Entries written before, one per locale, that share a slug within their
-- type are translations of one entry: the one created first gives the id.
-- Everything else becomes an entry with one translation. No row is changed
-- otherwise, so nothing is lost.
UPDATE entries SET entry_id = COALESCE(
    (SELECT f.id FROM entries f
      WHERE f.type = entries.type AND f.slug = entries.slug
      ORDER BY f.created_at, f.id LIMIT 1),
    id);

CREATE UNIQUE INDEX entries_translation ON entries (entry_id, locale);
