import { describe, expect, it } from 'vitest';
import type { SearchHit } from './api';
import { highlightSegments, hitData, hitTitle, unescapeHtml } from './search';

/** A hit as the API sends it, with these keys. */
const hit = (h: Record<string, unknown>): SearchHit => ({ score: 1, highlights: {}, status: 'draft', ...h }) as SearchHit;

describe('highlightSegments', () => {
  it('splits on <mark> and unescapes the text between', () => {
    expect(highlightSegments('Lemon <mark>pasta</mark> &amp; <mark>peas</mark>!')).toEqual([
      { text: 'Lemon ', mark: false },
      { text: 'pasta', mark: true },
      { text: ' & ', mark: false },
      { text: 'peas', mark: true },
      { text: '!', mark: false },
    ]);
  });
  it('keeps escaped markup as text, never as tags', () => {
    const segs = highlightSegments('&lt;script&gt;alert(1)&lt;/script&gt; <mark>x</mark>');
    expect(segs[0]).toEqual({ text: '<script>alert(1)</script> ', mark: false });
    expect(segs[1]).toEqual({ text: 'x', mark: true });
  });
  it('treats an escaped mark tag as text', () => {
    expect(highlightSegments('&lt;mark&gt;no&lt;/mark&gt;')).toEqual([{ text: '<mark>no</mark>', mark: false }]);
  });
  it('handles empty input and a plain string', () => {
    expect(highlightSegments('')).toEqual([]);
    expect(highlightSegments('plain')).toEqual([{ text: 'plain', mark: false }]);
  });
});

describe('unescapeHtml', () => {
  it('decodes named and numeric entities', () => {
    expect(unescapeHtml('&quot;a&quot; &#39;b&#x27; &amp;amp; &unknown;')).toBe(`"a" 'b' &amp; &unknown;`);
  });
});

describe('hits', () => {
  it('reads flat fields or a data object', () => {
    expect(hitData(hit({ id: '1', type: 't', score: 2, highlights: {}, title: 'A' }))).toEqual({ title: 'A' });
    expect(hitData(hit({ id: '1', type: 't', data: { title: 'B' } }))).toEqual({ title: 'B' });
  });
  it('finds a title', () => {
    expect(hitTitle(hit({ id: '1', type: 't', headline: 'H', title: null }), ['headline'])).toBe('H');
    expect(hitTitle(hit({ id: '1', type: 't', title: 'T' }))).toBe('T');
    expect(hitTitle(hit({ id: '1', type: 't', highlights: { body: 'a <mark>b</mark>' } }))).toBe('a b');
    expect(hitTitle(hit({ id: 'abc', type: 't' }))).toBe('abc');
  });
});
