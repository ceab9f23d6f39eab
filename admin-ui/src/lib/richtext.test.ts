import { describe, expect, it } from 'vitest';
import { checkLinkUrl, cleanAlt, imageMarkdown, isSafeHref, markdownUrl, storedMode, storeMode } from './richtext';

describe('checkLinkUrl', () => {
  it('takes web addresses with a host', () => {
    expect(checkLinkUrl('https://example.com/a?b=1#c')).toEqual({ ok: true, href: 'https://example.com/a?b=1#c' });
    expect(checkLinkUrl('  http://example.com  ')).toEqual({ ok: true, href: 'http://example.com' });
    expect(checkLinkUrl('HTTPS://Example.com')).toEqual({ ok: true, href: 'HTTPS://Example.com' });
  });

  it('reads www. as https', () => {
    expect(checkLinkUrl('www.example.com/page')).toEqual({ ok: true, href: 'https://www.example.com/page' });
  });

  it('takes paths on this site', () => {
    for (const p of ['/about', './next', '../up', '#section', '?page=2']) {
      expect(checkLinkUrl(p)).toEqual({ ok: true, href: p });
    }
  });

  it('takes email links', () => {
    expect(checkLinkUrl('mailto:desk@example.com')).toEqual({ ok: true, href: 'mailto:desk@example.com' });
    expect(checkLinkUrl('mailto:nobody').ok).toBe(false);
  });

  it('encodes what would break the markdown', () => {
    expect(checkLinkUrl('/files/annual report.pdf')).toEqual({ ok: true, href: '/files/annual%20report.pdf' });
    // Parentheses that pair up are fine in markdown; others are encoded.
    expect(checkLinkUrl('https://en.wikipedia.org/wiki/Rust_(language)')).toEqual({
      ok: true,
      href: 'https://en.wikipedia.org/wiki/Rust_(language)',
    });
    expect(checkLinkUrl('/a)b(')).toEqual({ ok: true, href: '/a%29b%28' });
  });

  it('refuses other schemes, hostless URLs and guesses', () => {
    for (const bad of ['javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,hi', 'ftp://example.com', 'vbscript:x']) {
      const r = checkLinkUrl(bad);
      expect(r.ok, bad).toBe(false);
    }
    expect(checkLinkUrl('https://').ok).toBe(false);
    expect(checkLinkUrl('https:example.com').ok).toBe(false);
    expect(checkLinkUrl('//evil.example').ok).toBe(false);
    expect(checkLinkUrl('example.com')).toEqual({
      ok: false,
      error: 'Start with https:// for another site, or / for a page on this one.',
    });
    expect(checkLinkUrl('   ')).toEqual({ ok: false, error: 'Enter an address.' });
    expect(checkLinkUrl('/a\nb').ok).toBe(false);
  });
});

describe('isSafeHref', () => {
  it('allows web, email and site links', () => {
    for (const h of ['https://x.example', 'http://x.example', 'mailto:a@b.c', '/p', 'p/q', '#top', '?q=1']) {
      expect(isSafeHref(h), h).toBe(true);
    }
  });
  it('refuses scripts, data and protocol-relative links', () => {
    for (const h of ['javascript:alert(1)', ' javascript:x', 'data:text/html,x', '//evil.example', '', null, undefined, 3]) {
      expect(isSafeHref(h), String(h)).toBe(false);
    }
  });
});

describe('images', () => {
  it('writes ![alt](url) from an asset', () => {
    expect(imageMarkdown({ url: '/media/01H/dot.png', alt: 'A red dot' })).toBe('![A red dot](/media/01H/dot.png)');
    expect(imageMarkdown({ url: '/media/01H/dot.png', alt: null })).toBe('![](/media/01H/dot.png)');
  });
  it('keeps alt text and url markdown-safe', () => {
    expect(cleanAlt('  A [bracketed]\n alt \\ text ')).toBe('A bracketed alt text');
    expect(imageMarkdown({ url: '/media/01H/my photo (1).png', alt: 'x' })).toBe('![x](/media/01H/my%20photo%20(1).png)');
    expect(imageMarkdown({ url: '/media/01H/smile :).png', alt: 'x' })).toBe('![x](/media/01H/smile%20:%29.png)');
    expect(markdownUrl('/a<b>')).toBe('/a%3Cb%3E');
  });
});

describe('the remembered mode', () => {
  it('is rich unless markdown was chosen', () => {
    const m = new Map<string, string>();
    const storage = { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
    expect(storedMode(storage)).toBe('rich');
    storeMode(storage, 'markdown');
    expect(storedMode(storage)).toBe('markdown');
    storeMode(storage, 'rich');
    expect(storedMode(storage)).toBe('rich');
    expect(storedMode(null)).toBe('rich');
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    expect(storedMode(broken)).toBe('rich');
    expect(() => storeMode(broken, 'markdown')).not.toThrow();
  });
});
