// Pure helpers for the rich text (markdown) editor: link checks and the
// text of inserted images. No DOM and no editor library here (that lives in
// richeditor.ts, loaded on demand), so the main bundle can use them too.
// Unit tested in richtext.test.ts.

export type LinkCheck = { ok: true; href: string } | { ok: false; error: string };

const hex = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

/** Whether every `(` in a URL has its `)`, as markdown needs to keep it whole. */
function balanced(url: string): boolean {
  let depth = 0;
  for (const c of url) {
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/**
 * A URL written so a markdown link keeps it whole: whitespace and angle
 * brackets percent-encoded, and parentheses too unless they pair up.
 */
export function markdownUrl(url: string): string {
  const out = url.replace(/[\s<>]/g, (c) => (c === ' ' ? '%20' : hex(c)));
  return balanced(out) ? out : out.replace(/[()]/g, hex);
}

/** Whether a link target is safe to render and follow: http(s), mailto, or a path on this site. */
export function isSafeHref(href: unknown): href is string {
  if (typeof href !== 'string') return false;
  const h = href.trim();
  if (!h) return false;
  if (/^(https?:|mailto:)/i.test(h)) return true;
  // Anything else with a scheme (javascript:, data:, vbscript: …) is refused.
  return !/^[a-z][a-z0-9+.-]*:/i.test(h) && !h.startsWith('//') && !/[\u0000-\u001f]/.test(h);
}

/**
 * What an editor typed as a link's address, checked: `https://…` or
 * `http://…` with a host, `mailto:…`, a path on this site (`/…`, `./…`,
 * `../…`, `#…`, `?…`), or `www.…` (taken as https). Returns the address to
 * store, or a sentence saying what to type.
 */
export function checkLinkUrl(input: string): LinkCheck {
  const raw = input.trim();
  if (!raw) return { ok: false, error: 'Enter an address.' };
  if (/[\u0000-\u001f\u007f]/.test(raw)) return { ok: false, error: 'The address has a line break or control character in it.' };
  if (/^www\./i.test(raw)) return checkLinkUrl(`https://${raw}`);
  if (/^https?:/i.test(raw)) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return { ok: false, error: 'That is not a valid web address.' };
    }
    if (!u.hostname || !/^https?:\/\//i.test(raw)) return { ok: false, error: 'A web address needs a site name, like https://example.com.' };
    return { ok: true, href: markdownUrl(raw) };
  }
  if (/^mailto:/i.test(raw)) {
    return /^mailto:[^\s@]+@[^\s@]+$/i.test(raw)
      ? { ok: true, href: markdownUrl(raw) }
      : { ok: false, error: 'An email link looks like mailto:name@example.com.' };
  }
  if (raw.startsWith('//')) return { ok: false, error: 'Start with https:// for another site.' };
  if (/^(\/|\.\.?\/|#|\?)/.test(raw)) return { ok: true, href: markdownUrl(raw) };
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) return { ok: false, error: 'Only web (http, https) and email (mailto) links are allowed.' };
  return { ok: false, error: 'Start with https:// for another site, or / for a page on this one.' };
}

/** An image's alt text as markdown can hold it: one line, no brackets or backslashes. */
export function cleanAlt(alt: string | null | undefined): string {
  return (alt ?? '')
    .replace(/[[\]\\]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The markdown for an image from the media library: `![alt](url)`. */
export function imageMarkdown(asset: { url: string; alt?: string | null }): string {
  return `![${cleanAlt(asset.alt)}](${markdownUrl(asset.url)})`;
}

/** Which way a richtext field is edited: the toolbar editor, or raw markdown. */
export type RichMode = 'rich' | 'markdown';
const MODE_KEY = 'quire.richtext.mode';

/** The mode last chosen in this browser (`rich` unless markdown was picked). */
export function storedMode(storage: Pick<Storage, 'getItem'> | null | undefined): RichMode {
  try {
    return storage?.getItem(MODE_KEY) === 'markdown' ? 'markdown' : 'rich';
  } catch {
    return 'rich';
  }
}

export function storeMode(storage: Pick<Storage, 'setItem'> | null | undefined, mode: RichMode): void {
  try {
    storage?.setItem(MODE_KEY, mode);
  } catch {
    /* private mode: not remembered */
  }
}
