// Field labels for people: a field's own `label`, else its name made
// readable (`reading_minutes` → "Reading minutes"). Pure; tested in labels.test.ts.

/** `reading_minutes`, `readingMinutes`, `reading-minutes` → "Reading minutes". */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .replace(/[_\-\s.]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words[0].toUpperCase() + words.slice(1) : name;
}

/** What to call a field: its label when the type gives one, else its humanised name. */
export function fieldLabel(f: { name: string; label?: unknown }): string {
  return typeof f.label === 'string' && f.label.trim() ? f.label.trim() : humanize(f.name);
}

/** The label of the field called `name` among `fields`; a field it does not know is humanised. */
export function fieldLabelIn(fields: readonly { name: string; label?: unknown }[], name: string): string {
  const f = fields.find((x) => x.name === name);
  return f ? fieldLabel(f) : humanize(name);
}
