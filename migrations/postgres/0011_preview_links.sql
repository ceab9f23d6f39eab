-- Preview links: a preview token that reads one entry only.
ALTER TABLE api_tokens ADD COLUMN entry_id TEXT;
