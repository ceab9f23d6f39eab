// @vitest-environment happy-dom
// The real editor (Tiptap and its markdown extension) in happy-dom: markdown
// in, markdown out, with and without edits.
import { afterEach, describe, expect, it } from 'vitest';
import { TextSelection } from '@tiptap/pm/state';
import { createRichEditor, rendered, type RichEditor } from './richeditor';

const made: RichEditor[] = [];
function open(markdown: string, onChange: (md: string) => void = () => {}) {
  const element = document.createElement('div');
  document.body.append(element);
  const ed = createRichEditor({ element, markdown, editable: true, attributes: { 'aria-labelledby': 'body-label' }, onChange });
  made.push(ed);
  return ed;
}
afterEach(() => {
  for (const ed of made.splice(0)) ed.destroy();
  document.body.replaceChildren();
});

/** Selects the first occurrence of `text` in the document. */
function select(ed: RichEditor, text: string) {
  const { state, view } = ed.tiptap;
  let from = -1;
  state.doc.descendants((node, pos) => {
    if (from >= 0 || !node.isText) return;
    const i = node.text!.indexOf(text);
    if (i >= 0) from = pos + i;
  });
  expect(from, `"${text}" in the document`).toBeGreaterThanOrEqual(0);
  view.dispatch(state.tr.setSelection(TextSelection.create(state.doc, from, from + text.length)));
}
/** Puts the cursor at the end of the document. */
function toEnd(ed: RichEditor) {
  ed.tiptap.commands.focus('end');
}

describe('round trip without edits', () => {
  // Written as the editor writes them: they come back exactly.
  const canonical: Record<string, string> = {
    headings: '# Title\n\n## Section\n\n### Subsection\n\n#### Deeper',
    emphasis: 'Some **bold**, *italic*, ***both*** and ~~struck~~ text.',
    links: 'A [link](https://example.com/a_b?x=1), a [titled one](https://example.com "The title") and [a page](/about).',
    'bulleted lists': '- one\n- two\n  - nested\n- three',
    'numbered lists': '1. first\n2. second\n   1. inner\n\nBetween.\n\n3. starts\n4. at three',
    quotes: '> A quote\n> over two lines\n\n> - a list in a quote',
    'inline code': 'Run `npm ci` first.',
    'code blocks': '```js\nconst x = 1 * 2;\n```\n\n```\nplain\n```',
    images: '![A red dot](/media/01H/dot.png)\n\nText with ![an icon](/media/01H/i.png) inside.',
    'line breaks and rules': 'A line  \nbreak.\n\n---\n\nAfter the rule.',
  };
  for (const [what, md] of Object.entries(canonical)) {
    it(`keeps ${what} exactly`, () => {
      const ed = open(md);
      expect(ed.markdown()).toBe(md);
      expect(ed.keeps(md)).toBe(true);
    });
  }

  // Other spellings of the same thing come back equivalent: they render the same.
  const equivalent: Record<string, string> = {
    'star bullets': '* one\n* two\n',
    'underscore emphasis': '__strong__ and _em_\n',
    'setext headings': 'Title\n=====\n\nSection\n-------\n',
    'indented code': '    indented code\n',
    'loose lists': '- loose\n\n- list\n',
    'reference links': '[a link][r]\n\n[r]: https://example.com\n',
    'autolinks': 'See <https://example.com>.\n',
    'characters that need escaping': 'snake_case and 2 * 3 and [brackets]\n',
    'a trailing newline': '## Heading\n\nText.\n',
    entities: 'a &amp; b &lt; c\n',
  };
  for (const [what, md] of Object.entries(equivalent)) {
    it(`keeps ${what} equivalent`, () => {
      const ed = open(md);
      expect(rendered(ed.markdown())).toBe(rendered(md));
      expect(ed.keeps(md)).toBe(true);
    });
  }

  it('reports nothing on load: an untouched field keeps its text byte for byte', () => {
    const changes: string[] = [];
    const ed = open('* one\n* two\n', (md) => changes.push(md));
    ed.setMarkdown('__strong__\n');
    expect(changes).toEqual([]);
  });

  it('tells what it cannot show', () => {
    for (const md of [
      '| a | b |\n|---|---|\n| 1 | 2 |\n',
      '<div>block html</div>\n',
      'Some <b>inline html</b>.\n',
      '- [ ] a task\n- [x] done\n',
    ]) {
      expect(open(md).keeps(md), md).toBe(false);
    }
  });

  it('gives an empty document as an empty string', () => {
    expect(open('').markdown()).toBe('');
  });
});

describe('editing with the toolbar actions', () => {
  it('makes headings, bold, italic, code, lists, quotes and code blocks', () => {
    const changes: string[] = [];
    const ed = open('Title\n\nSome words here.\n\nItem\n\nQuoted\n\nlet x = 1;\n\nNumbered', (md) => changes.push(md));
    select(ed, 'Title');
    ed.run('h2');
    expect(ed.active().h2).toBe(true);
    select(ed, 'words');
    ed.run('bold');
    expect(ed.active().bold).toBe(true);
    select(ed, 'here');
    ed.run('italic');
    select(ed, 'Some');
    ed.run('code');
    select(ed, 'Item');
    ed.run('bulletList');
    expect(ed.active().bulletList).toBe(true);
    select(ed, 'Quoted');
    ed.run('blockquote');
    select(ed, 'let x');
    ed.run('codeBlock');
    select(ed, 'Numbered');
    ed.run('orderedList');
    const md = ed.markdown();
    expect(md).toBe(
      '## Title\n\n`Some` **words** *here*.\n\n- Item\n\n> Quoted\n\n```\nlet x = 1;\n```\n\n1. Numbered',
    );
    expect(changes.at(-1)).toBe(md);
    // And back to the same document from its markdown.
    expect(open(md).markdown()).toBe(md);
  });

  it('switches headings between levels and off', () => {
    const ed = open('Title');
    select(ed, 'Title');
    ed.run('h3');
    expect(ed.markdown()).toBe('### Title');
    ed.run('h2');
    expect(ed.markdown()).toBe('## Title');
    ed.run('h2');
    expect(ed.markdown()).toBe('Title');
  });

  it('links the selection, edits and removes the link', () => {
    const ed = open('Read the guide now.');
    select(ed, 'the guide');
    ed.setLink('https://example.com/guide');
    expect(ed.markdown()).toBe('Read [the guide](https://example.com/guide) now.');
    expect(ed.linkHref()).toBe('https://example.com/guide');
    expect(ed.active().link).toBe(true);
    select(ed, 'guide');
    ed.setLink('/guide');
    expect(ed.markdown()).toBe('Read [the guide](/guide) now.');
    ed.unsetLink();
    expect(ed.markdown()).toBe('Read the guide now.');
  });

  it('inserts the address as a link when nothing is selected', () => {
    const ed = open('See ');
    toEnd(ed);
    ed.setLink('https://example.com');
    expect(ed.markdown()).toBe('See [https://example.com](https://example.com)');
  });

  it('inserts an image from the library as ![alt](url)', () => {
    const ed = open('Before');
    toEnd(ed);
    ed.insertImage('/media/01H/dot.png', 'A red [dot]');
    // At the end of a line, on a line of its own.
    expect(ed.markdown()).toBe('Before\n\n![A red dot](/media/01H/dot.png)');
    const img = document.querySelector('img[src]');
    expect(img?.getAttribute('alt')).toBe('A red dot');
    expect(img?.getAttribute('src')).toBe('/media/01H/dot.png');
  });

  it('keeps a link it will not render: no href for javascript:, the markdown unchanged', () => {
    const md = 'A [bad link](javascript:alert(1)) and a [good one](https://example.com).';
    const ed = open(md);
    const links = [...document.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual([null, 'https://example.com']);
    expect(ed.markdown()).toBe(md);
  });

  it('inserts an image inside a line where the cursor is', () => {
    const ed = open('An icon here.');
    select(ed, 'here');
    ed.tiptap.commands.setTextSelection(ed.tiptap.state.selection.from);
    ed.insertImage('/media/01H/i.png', '');
    expect(ed.markdown()).toBe('An icon ![](/media/01H/i.png)here.');
  });

  it('gives images without alt text an empty alt', () => {
    open('![](/media/01H/dot.png)');
    expect(document.querySelector('img[src]')?.getAttribute('alt')).toBe('');
  });

  it('does not undo past what was loaded', () => {
    const ed = open('Loaded text');
    ed.setMarkdown('Restored text');
    ed.run('undo');
    expect(ed.markdown()).toBe('Restored text');
  });
});
