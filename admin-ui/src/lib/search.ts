// Search results: pure helpers, tested in search.test.ts.
import type { SearchHit } from './api';

export interface Segment {
  text: string;
  mark: boolean;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Undoes HTML escaping: `&amp;` `&lt;` `&#39;` `&#x27;` … (unknown entities stay as they are). */
export function unescapeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[name.toLowerCase()] ?? all;
  });
}

/**
 * A highlight string (HTML-escaped text where only `<mark>` and `</mark>` are
 * markup) → plain-text segments, marked or not, to render without {@html}.
 */
export function highlightSegments(html: string): Segment[] {
  const out: Segment[] = [];
  let mark = false;
  for (const part of html.split(/(<mark>|<\/mark>)/i)) {
    const tag = part.toLowerCase();
    if (tag === '<mark>') mark = true;
    else if (tag === '</mark>') mark = false;
    else if (part) {
      const text = unescapeHtml(part);
      const last = out[out.length - 1];
      if (last && last.mark === mark) last.text += text;
      else out.push({ text, mark });
    }
  }
  return out;
}

const META = new Set(['id', 'type', 'score', 'highlights', 'status', 'locale', 'version']);

/** A hit's entry fields: its `data` object, or the fields beside the hit's own keys. */
export function hitData(hit: SearchHit): Record<string, unknown> {
  const d = hit.data;
  if (d && typeof d === 'object' && !Array.isArray(d)) return d as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hit)) if (!META.has(k)) out[k] = v;
  return out;
}

/** A title for a hit: the first non-empty of the given fields, then `title`/`name`, then any highlight, then its id. */
export function hitTitle(hit: SearchHit, fields: string[] = []): string {
  const d = hitData(hit);
  for (const f of [...fields, 'title', 'name', 'headline', 'label', 'slug']) {
    const v = d[f];
    if (typeof v === 'string' && v.trim()) return v;
  }
  for (const v of Object.values(d)) if (typeof v === 'string' && v.trim() && v.length <= 120) return v;
  const h = Object.values(hit.highlights ?? {})[0];
  if (h) return highlightSegments(h).map((s) => s.text).join('');
  return hit.id;
}
