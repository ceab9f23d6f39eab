// The toolbar editor behind `richtext` fields: Tiptap (on ProseMirror) with
// Tiptap's own markdown extension (@tiptap/markdown, on marked), so what is
// stored stays markdown. Only the extensions markdown can express are loaded.
//
// RichTextEditor.svelte loads this module with import(), so Vite gives it a
// chunk of its own, fetched only when an entry with a richtext field opens.
// Round trips are tested in richeditor.test.ts (happy-dom).
import { Editor, Extension, Mark, type JSONContent } from '@tiptap/core';
import Blockquote from '@tiptap/extension-blockquote';
import Bold from '@tiptap/extension-bold';
import Code from '@tiptap/extension-code';
import CodeBlock from '@tiptap/extension-code-block';
import Document from '@tiptap/extension-document';
import HardBreak from '@tiptap/extension-hard-break';
import Heading from '@tiptap/extension-heading';
import HorizontalRule from '@tiptap/extension-horizontal-rule';
import Image from '@tiptap/extension-image';
import Italic from '@tiptap/extension-italic';
import { BulletList, ListItem, ListKeymap, OrderedList } from '@tiptap/extension-list';
import Paragraph from '@tiptap/extension-paragraph';
import Strike from '@tiptap/extension-strike';
import Text from '@tiptap/extension-text';
import { UndoRedo } from '@tiptap/extensions/undo-redo';
import { Markdown } from '@tiptap/markdown';
import { Marked } from 'marked';
import { cleanAlt, isSafeHref, markdownUrl } from './richtext';

/**
 * Links without Tiptap's link extension (whose autolinking pulls in
 * linkifyjs, ~14 KB compressed): the same markdown handling, and an href
 * rendered only when it is http(s), mailto or a path on this site.
 */
const Link = Mark.create({
  name: 'link',
  priority: 1000,
  keepOnSplit: false,
  exitable: true,
  inclusive: false,
  addAttributes() {
    return { href: { default: null }, title: { default: null } };
  },
  parseHTML() {
    return [
      {
        tag: 'a[href]',
        getAttrs: (dom) => {
          const href = dom.getAttribute('href');
          return isSafeHref(href) ? { href, title: dom.getAttribute('title') } : false;
        },
      },
    ];
  },
  renderHTML({ HTMLAttributes }) {
    const href = isSafeHref(HTMLAttributes.href) ? HTMLAttributes.href : null;
    return ['a', { href, title: HTMLAttributes.title ?? null, rel: 'noopener noreferrer nofollow' }, 0];
  },
  markdownTokenName: 'link',
  parseMarkdown: (token, helpers) =>
    helpers.applyMark('link', helpers.parseInline(token.tokens ?? []), { href: token.href, title: token.title || null }),
  renderMarkdown: (node: JSONContent, h) => {
    const href = markdownUrl(String(node.attrs?.href ?? ''));
    const title = node.attrs?.title ? String(node.attrs.title).replace(/["\\]/g, '\\$&') : '';
    const text = h.renderChildren(node);
    return title ? `[${text}](${href} "${title}")` : `[${text}](${href})`;
  },
});

/** What the toolbar shows as pressed at the selection. */
export interface Active {
  h2: boolean;
  h3: boolean;
  bold: boolean;
  italic: boolean;
  link: boolean;
  bulletList: boolean;
  orderedList: boolean;
  blockquote: boolean;
  code: boolean;
  codeBlock: boolean;
}

export type Action =
  | 'h2'
  | 'h3'
  | 'bold'
  | 'italic'
  | 'bulletList'
  | 'orderedList'
  | 'blockquote'
  | 'code'
  | 'codeBlock'
  | 'undo'
  | 'redo';

export interface RichEditorOptions {
  /** Where the editable area goes. */
  element: HTMLElement;
  markdown: string;
  editable: boolean;
  /** Attributes of the editable element (id, role, aria-labelledby …). */
  attributes: Record<string, string>;
  /** After every change to the document: its markdown. */
  onChange: (markdown: string) => void;
  /** After every transaction (the selection moved, marks changed): refresh the toolbar. */
  onState?: () => void;
  /** Ctrl/Cmd+K. */
  onLinkShortcut?: () => void;
}

export interface RichEditor {
  /** The Tiptap editor itself (for tests). */
  tiptap: Editor;
  /** The document as markdown. */
  markdown(): string;
  /** Replaces the document without reporting a change. */
  setMarkdown(markdown: string): void;
  /** Whether markdown loads and saves back to something that renders the same. */
  keeps(markdown: string): boolean;
  active(): Active;
  run(action: Action): void;
  /** The link at the selection, if any. */
  linkHref(): string | null;
  /** Links the selection (or the word at the cursor's link) to href; inserts href as text when nothing is selected. */
  setLink(href: string): void;
  unsetLink(): void;
  insertImage(src: string, alt: string): void;
  setEditable(editable: boolean): void;
  setAttributes(attributes: Record<string, string>): void;
  focus(): void;
  destroy(): void;
}

/** The extensions, also used by the tests. */
export function extensions(onLinkShortcut?: () => void) {
  return [
    Document,
    Paragraph,
    Text,
    HardBreak,
    Heading.configure({ levels: [1, 2, 3, 4, 5, 6] }),
    Bold,
    Italic,
    Strike,
    Code,
    CodeBlock,
    Blockquote,
    BulletList,
    OrderedList,
    ListItem,
    ListKeymap,
    HorizontalRule,
    // Inline, as markdown has them: an image inside a line of text stays there.
    Image.extend({
      // Always an alt attribute (empty for none), so no image reads as its file name.
      renderHTML({ HTMLAttributes }) {
        return ['img', { ...HTMLAttributes, alt: HTMLAttributes.alt ?? '' }];
      },
    }).configure({ inline: true }),
    Link,
    UndoRedo,
    Markdown.configure({ indentation: { style: 'space', size: 2 } }),
    Extension.create({
      name: 'quireShortcuts',
      addKeyboardShortcuts() {
        return {
          'Mod-k': () => {
            onLinkShortcut?.();
            return true;
          },
        };
      },
    }),
  ];
}

const reference = new Marked({ gfm: true });

/**
 * HTML as marked renders markdown, to compare two texts: without
 * layout-only whitespace, and with a loose list's item paragraphs
 * (`- a\n\n- b`) counted the same as a tight list's (the editor writes
 * lists tight).
 */
export function rendered(markdown: string): string {
  const html = reference.parse(markdown, { async: false });
  return html
    .replace(/>\s+</g, '><')
    .replace(/\s+/g, ' ')
    .replace(/<li><p>((?:(?!<\/?p>).)*)<\/p><\/li>/g, '<li>$1</li>')
    .trim();
}

export function createRichEditor(o: RichEditorOptions): RichEditor {
  const editor = new Editor({
    element: o.element,
    extensions: extensions(() => o.onLinkShortcut?.()),
    content: o.markdown,
    contentType: 'markdown',
    editable: o.editable,
    injectCSS: false,
    editorProps: { attributes: o.attributes },
    onUpdate: ({ editor: e }) => o.onChange(e.getMarkdown()),
    onTransaction: () => o.onState?.(),
    onFocus: () => o.onState?.(),
    onBlur: () => o.onState?.(),
  });

  return {
    tiptap: editor,
    markdown: () => editor.getMarkdown(),
    setMarkdown(markdown) {
      // Not an edit: not reported, and not something Undo goes back over.
      editor.chain().setMeta('addToHistory', false).setContent(markdown, { contentType: 'markdown', emitUpdate: false }).run();
    },
    keeps(markdown) {
      const m = editor.markdown;
      if (!m) return true;
      try {
        return rendered(m.serialize(m.parse(markdown))) === rendered(markdown);
      } catch {
        return false;
      }
    },
    active: () => ({
      h2: editor.isActive('heading', { level: 2 }),
      h3: editor.isActive('heading', { level: 3 }),
      bold: editor.isActive('bold'),
      italic: editor.isActive('italic'),
      link: editor.isActive('link'),
      bulletList: editor.isActive('bulletList'),
      orderedList: editor.isActive('orderedList'),
      blockquote: editor.isActive('blockquote'),
      code: editor.isActive('code'),
      codeBlock: editor.isActive('codeBlock'),
    }),
    run(action) {
      const c = editor.chain().focus();
      switch (action) {
        case 'h2':
          c.toggleHeading({ level: 2 }).run();
          break;
        case 'h3':
          c.toggleHeading({ level: 3 }).run();
          break;
        case 'bold':
          c.toggleBold().run();
          break;
        case 'italic':
          c.toggleItalic().run();
          break;
        case 'bulletList':
          c.toggleBulletList().run();
          break;
        case 'orderedList':
          c.toggleOrderedList().run();
          break;
        case 'blockquote':
          c.toggleBlockquote().run();
          break;
        case 'code':
          c.toggleCode().run();
          break;
        case 'codeBlock':
          c.toggleCodeBlock().run();
          break;
        case 'undo':
          c.undo().run();
          break;
        case 'redo':
          c.redo().run();
          break;
      }
    },
    linkHref() {
      const href = editor.getAttributes('link').href;
      return typeof href === 'string' ? href : null;
    },
    setLink(href) {
      const { empty } = editor.state.selection;
      if (empty && !editor.isActive('link')) {
        editor
          .chain()
          .focus()
          .insertContent({ type: 'text', text: href, marks: [{ type: 'link', attrs: { href } }] })
          .run();
        return;
      }
      editor.chain().focus().extendMarkRange('link').setMark('link', { href }).run();
    },
    unsetLink() {
      editor.chain().focus().extendMarkRange('link').unsetMark('link').run();
    },
    insertImage(src, alt) {
      const image = { type: 'image', attrs: { src, alt: cleanAlt(alt) } };
      const { empty, $from } = editor.state.selection;
      const atEnd = empty && $from.parent.type.name === 'paragraph' && $from.parentOffset === $from.parent.content.size;
      if (atEnd && $from.parent.content.size > 0) {
        // At the end of a line of text: on a line of its own, after it.
        editor.chain().focus().insertContentAt($from.after(), { type: 'paragraph', content: [image] }).run();
        return;
      }
      editor.chain().focus().insertContent(image).run();
    },
    setEditable(editable) {
      if (editor.isEditable !== editable) editor.setEditable(editable, false);
    },
    setAttributes(attributes) {
      editor.setOptions({ editorProps: { attributes } });
    },
    focus() {
      editor.commands.focus();
    },
    destroy() {
      editor.destroy();
    },
  };
}
