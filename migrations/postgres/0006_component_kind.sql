-- Content types of kind `component`: reusable groups of fields used inside
-- other types' component and blocks fields.
ALTER TABLE content_types DROP CONSTRAINT content_types_kind_check;
ALTER TABLE content_types ADD CONSTRAINT content_types_kind_check
    CHECK (kind IN ('collection', 'singleton', 'component'));
