// End-to-end tests of the admin UI: Debian's Chromium, driven by
// playwright-core, against the real quire binary on an ephemeral port.
//   QUIRE_BIN=../target/release/quire node e2e/run.mjs
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const bin = resolve(process.env.QUIRE_BIN ?? join(repo, 'target/release/quire'));
const shots = join(here, 'screenshots');
const ADMIN = { email: 'admin@example.com', password: 'a long e2e passphrase' };
const VIEWER = { email: 'viewer@example.com', password: 'a long viewer passphrase' };
/** A 2 x 2 PNG. */
const DOT_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

/** Starts quire on port 0 and resolves with its base URL once it listens. */
function startServer(dataDir) {
  const child = spawn(bin, ['serve'], {
    env: {
      ...process.env,
      QUIRE_BIND: '127.0.0.1:0',
      QUIRE_DATA_DIR: dataDir,
      QUIRE_CONTENT_TYPES: join(repo, 'content-types'),
      QUIRE_SEARCH_DIR: 'memory',
      QUIRE_MEDIA_URL: 'memory://',
      QUIRE_MEDIA_SIGNING_KEY: 'e2e signing key, thirty-two chars or more',
      QUIRE_ADMIN_EMAIL: ADMIN.email,
      QUIRE_ADMIN_PASSWORD: ADMIN.password,
      // Two locales, en the default: entries without a locale stay English.
      QUIRE_LOCALES: 'en,fr',
      // The webhook test's receiver listens on 127.0.0.1, which is refused otherwise.
      QUIRE_WEBHOOK_ALLOW_PRIVATE: 'true',
      QUIRE_LOG: 'info',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((ok, fail) => {
    let log = '';
    const timer = setTimeout(() => fail(new Error(`quire did not start:\n${log}`)), 20000);
    const read = (chunk) => {
      log += chunk;
      const m = log.match(/addr=(127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        ok({ child, base: `http://${m[1]}` });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => fail(new Error(`quire exited with ${code}:\n${log}`)));
  });
}

async function api(base, token, method, path, body) {
  const res = await fetch(`${base}/admin/api${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const results = [];
async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}\n     ${e.stack ?? e}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Serious or critical accessibility violations on the current page. */
async function axe(page, screen) {
  // Evaluated through the debugging protocol: the app's CSP (no inline
  // scripts) stays on for everything the app itself does.
  await page.evaluate(readFileSync(join(here, '../node_modules/axe-core/axe.min.js'), 'utf8'));
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert(found.length === 0, `accessibility on ${screen}:\n${found.join('\n')}`);
}

async function signIn(page, base, who) {
  await page.goto(`${base}/admin/`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Content types' }).waitFor();
}

const dataDir = mkdtempSync(join(tmpdir(), 'quire-e2e-'));
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });
const { child, base } = await startServer(dataDir);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' });
/** A page that accepts the app's confirm() dialogs, as an editor would. */
async function newPage() {
  const page = await browser.newPage();
  page.on('dialog', (d) => d.accept());
  return page;
}
try {
  const login = await api(base, null, 'POST', '/auth/login', ADMIN);
  const token = login.body.token;

  await test('sign in, write an entry with errors, fix them, publish it', async () => {
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.screenshot({ path: join(shots, 'home.png') });
    await axe(page, 'home');
    await page.getByRole('navigation', { name: 'Content types' }).getByRole('link', { name: 'Article', exact: true }).click();
    await page.getByRole('link', { name: 'New' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    // The API's refusal, at the field it names.
    await page.getByText('`title` is required').waitFor();
    await page.getByLabel('title', { exact: false }).first().fill('Written in a browser');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/admin\/entries\/articles\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop();
    await page.screenshot({ path: join(shots, 'editor.png') });
    await axe(page, 'editor');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('published', { exact: true }).first().waitFor();
    const res = await fetch(`${base}/api/articles/${id}`);
    assert(res.status === 200, `public API answers ${res.status}`);
    assert((await res.json()).data.title === 'Written in a browser', 'published title');
    await page.close();
  });

  await test('an admin defines a content type in the builder', async () => {
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.getByRole('link', { name: 'Types' }).click();
    await page.getByRole('link', { name: 'New type' }).click();
    await page.getByLabel('API id').fill('recipes');
    await page.getByLabel('Name', { exact: true }).fill('Recipe');
    if ((await page.getByLabel('Field name').count()) === 0) {
      await page.getByRole('button', { name: 'Add field' }).click();
    }
    await page.getByLabel('Field name').first().fill('title');
    await page.getByLabel('Field type').first().selectOption('string');
    await page.getByLabel('Required').first().check();
    // A number the site filters on, indexed for it.
    await page.getByRole('button', { name: 'Add field' }).click();
    await page.getByLabel('Field name').nth(1).fill('servings');
    await page.getByLabel('Field type').nth(1).selectOption('integer');
    await page.getByLabel('Indexed for filters').nth(1).check();
    await page.getByRole('button', { name: 'Save type' }).click();
    await page.getByRole('navigation', { name: 'Content types' }).getByRole('link', { name: 'Recipe', exact: true }).waitFor();
    await page.screenshot({ path: join(shots, 'type-builder.png') });
    await axe(page, 'type builder');
    const stored = await api(base, token, 'GET', '/content-types/recipes');
    assert(stored.status === 200, `type stored: ${stored.status}`);
    const fields = stored.body.definition?.fields ?? stored.body.fields;
    assert(fields.length === 2 && fields[0].name === 'title' && fields[0].required && !fields[0].index, `fields: ${JSON.stringify(fields)}`);
    assert(fields[1].name === 'servings' && fields[1].type === 'integer' && fields[1].index === true, `indexed field: ${JSON.stringify(fields[1])}`);
    const filtered = await fetch(`${base}/api/recipes?filter[servings][gte]=2`);
    assert(filtered.status === 200, `a filter on the indexed field answers ${filtered.status}`);
    await page.close();
  });

  await test('rename a field in the builder and see the data kept', async () => {
    const made = await api(base, token, 'POST', '/content-types', {
      api_id: 'dishes',
      name: 'Dish',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'minutes', type: 'string' },
      ],
    });
    assert(made.status === 201, `dishes type: ${made.status} ${JSON.stringify(made.body)}`);
    const entry = await api(base, token, 'POST', '/entries/dishes', { data: { title: 'Soup', minutes: '20' } });
    assert(entry.status === 201, `dish: ${entry.status} ${JSON.stringify(entry.body)}`);
    const id = entry.body.id;
    // Published too: the rename moves the live copy's value as well.
    const live = await api(base, token, 'POST', `/entries/dishes/${id}/publish`);
    assert(live.status === 200, `dish published: ${live.status}`);

    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.goto(`${base}/admin/types/dishes`);
    // Rows in definition order: title, minutes.
    await page.getByLabel('Field name').nth(1).fill('cook_time');
    await page.getByText('Renamed from minutes; its values are kept.').waitFor();
    await page.getByRole('button', { name: 'Save type' }).click();
    // The dry run's plan, before anything changes.
    const review = page.getByRole('region', { name: 'Review the change' });
    await review.getByRole('listitem').filter({ hasText: 'Rename minutes → cook_time (1 entry keeps its value)' }).waitFor();
    const steps = await review.getByRole('listitem').allTextContents();
    assert(steps.length === 1, `one step: ${JSON.stringify(steps)}`);
    await page.screenshot({ path: join(shots, 'type-review.png') });
    await axe(page, 'schema change review');
    const before = await api(base, token, 'GET', `/entries/dishes/${id}`);
    assert(before.body.data.minutes === '20' && !('cook_time' in before.body.data), `unchanged before applying: ${JSON.stringify(before.body.data)}`);

    await review.getByRole('button', { name: 'Apply change' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved (schema version' }).waitFor();
    const stored = await api(base, token, 'GET', `/entries/dishes/${id}`);
    assert(stored.status === 200, `dish read back: ${stored.status}`);
    assert(stored.body.data.cook_time === '20', `kept under the new name: ${JSON.stringify(stored.body.data)}`);
    assert(!('minutes' in stored.body.data), `old name gone: ${JSON.stringify(stored.body.data)}`);
    const res = await fetch(`${base}/api/dishes/${id}`);
    assert(res.status === 200, `public API answers ${res.status}`);
    const published = (await res.json()).data;
    assert(published.cook_time === '20', `live copy kept: ${JSON.stringify(published)}`);
    const type = await api(base, token, 'GET', '/content-types/dishes');
    const names = type.body.definition.fields.map((f) => f.name);
    assert(JSON.stringify(names) === '["title","cook_time"]', `fields: ${JSON.stringify(names)}`);
    // Reloaded as saved: the field is called cook_time now, no rename pending.
    assert((await page.getByLabel('Field name').nth(1).inputValue()) === 'cook_time', 'the builder shows the new name');
    assert((await page.getByText('its values are kept').count()) === 0, 'no rename pending after applying');
    await page.close();
  });

  await test('define a component field in the builder', async () => {
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.getByRole('link', { name: 'Types' }).click();
    await page.getByRole('link', { name: 'New type' }).click();
    await page.getByLabel('API id').fill('help_pages');
    await page.getByLabel('Name', { exact: true }).fill('Help page');
    if ((await page.getByLabel('Field name').count()) === 0) {
      await page.getByRole('button', { name: 'Add field', exact: true }).click();
    }
    // The type's first field: an inline, repeatable component.
    await page.getByLabel('Field name').first().fill('faq');
    await page.getByLabel('Field type').first().selectOption('component');
    const faq = page.getByRole('group', { name: 'Field 1: Faq', exact: true });
    await faq.getByLabel('Fields defined here', { exact: true }).check();
    await faq.getByLabel('Repeatable', { exact: true }).check();
    // Its own fields, in a group named after it, with the same row editor.
    const inner = faq.getByRole('group', { name: 'Fields of Faq', exact: true });
    const addInner = inner.getByRole('button', { name: 'Add inner field', exact: true });
    await addInner.click();
    const question = inner.getByRole('group', { name: /^Field 1\b/ });
    await question.getByLabel('Field name', { exact: true }).fill('question');
    await question.getByLabel('Field type', { exact: true }).selectOption('string');
    await question.getByLabel('Required', { exact: true }).check();
    // Options a component does not allow are not offered inside it.
    assert((await question.getByLabel('Unique', { exact: true }).count()) === 0, 'no Unique inside a component');
    assert((await question.getByLabel('Translated per language', { exact: true }).count()) === 0, 'no per-language value inside a component');
    await addInner.click();
    const answer = inner.getByRole('group', { name: /^Field 2\b/ });
    await answer.getByLabel('Field name', { exact: true }).fill('answer');
    await answer.getByLabel('Field type', { exact: true }).selectOption('text');
    await page.screenshot({ path: join(shots, 'type-builder-component.png') });
    await axe(page, 'component field in the builder');
    await page.getByRole('button', { name: 'Save type' }).click();
    await page.getByRole('navigation', { name: 'Content types' }).getByRole('link', { name: 'Help page', exact: true }).waitFor();
    const stored = await api(base, token, 'GET', '/content-types/help_pages');
    assert(stored.status === 200, `type stored: ${stored.status} ${JSON.stringify(stored.body)}`);
    const fields = stored.body.definition?.fields ?? stored.body.fields;
    const shape = JSON.stringify(fields);
    assert(fields.length === 1, `one field: ${shape}`);
    const [group] = fields;
    assert(group.name === 'faq' && group.type === 'component' && group.repeatable === true && !('component' in group), `an inline repeatable component: ${shape}`);
    const nested = group.fields ?? [];
    assert(nested.length === 2, `two inner fields: ${shape}`);
    assert(nested[0].name === 'question' && nested[0].type === 'string' && nested[0].required === true, `question, required: ${shape}`);
    assert(nested[1].name === 'answer' && nested[1].type === 'text' && !nested[1].required, `answer, text: ${shape}`);
    // Reopened from the server, the builder shows the inner fields.
    await page.goto(`${base}/admin/types/help_pages`);
    const reopened = page.getByRole('group', { name: 'Fields of Faq', exact: true });
    await reopened.getByRole('group', { name: 'Field 2: Answer', exact: true }).waitFor();
    assert((await reopened.getByLabel('Field name', { exact: true }).first().inputValue()) === 'question', 'the first inner field is question');
    await page.close();
  });

  await test('set a type’s HTTP caching in the builder and see the public API send it', async () => {
    const made = await api(base, token, 'POST', '/content-types', {
      api_id: 'bulletins',
      name: 'Bulletin',
      fields: [{ name: 'title', type: 'string', required: true }],
    });
    assert(made.status === 201, `bulletins type: ${made.status} ${JSON.stringify(made.body)}`);
    assert(!('cache' in made.body.definition), `no cache settings yet: ${JSON.stringify(made.body.definition)}`);

    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.goto(`${base}/admin/types/bulletins`);
    const caching = page.getByText('Caching', { exact: true });
    const maxAge = page.getByLabel('Browsers may keep answers for (seconds)', { exact: true });
    const sMaxage = page.getByLabel('CDNs may keep answers for (seconds)', { exact: true });
    const stale = page.getByLabel('Serve stale while refreshing (seconds)', { exact: true });
    const header = (value) => page.getByText(`Cache-Control: ${value}`, { exact: true });
    // Folded away while the type has no settings; a component type has none to offer.
    await caching.waitFor();
    assert(!(await maxAge.isVisible()), 'the cache inputs start folded away');
    await page.getByLabel('Kind', { exact: true }).selectOption('component');
    await caching.waitFor({ state: 'detached' });
    await page.getByLabel('Kind', { exact: true }).selectOption('collection');
    await caching.click();
    await maxAge.waitFor();
    await header('public, max-age=0, must-revalidate').waitFor();

    // The preview follows the inputs, by the server's rule.
    await maxAge.fill('60');
    await header('public, max-age=60').waitFor();
    await sMaxage.fill('600');
    await stale.fill('1.5');
    await header('public, max-age=60, s-maxage=600').waitFor();
    // A bad input is marked like any other field's, and nothing is saved.
    await page.getByRole('button', { name: 'Save type' }).click();
    await page.getByText('Enter a whole number of seconds, 0 or more.', { exact: true }).waitFor();
    await page.getByText('Not saved: fix the marked inputs.').waitFor();
    assert((await stale.getAttribute('aria-invalid')) === 'true', 'the bad input is marked');
    assert(await stale.evaluate((el) => el === document.activeElement), 'the bad input has the focus');
    await page.screenshot({ path: join(shots, 'type-caching.png') });
    await axe(page, 'cache settings in the builder');
    const unsaved = await api(base, token, 'GET', '/content-types/bulletins');
    assert(!('cache' in unsaved.body.definition), `nothing saved yet: ${JSON.stringify(unsaved.body.definition)}`);

    // Empty means not set: only the two lifetimes are sent.
    await stale.fill('');
    await header('public, max-age=60, s-maxage=600').waitFor();
    await page.getByRole('button', { name: 'Save type' }).click();
    // A change that touches no entry is saved without a review.
    await page.getByRole('status').filter({ hasText: 'Saved (schema version' }).waitFor();
    const stored = await api(base, token, 'GET', '/content-types/bulletins');
    assert(stored.status === 200, `type read back: ${stored.status}`);
    const cache = JSON.stringify(stored.body.definition.cache);
    assert(cache === '{"max_age":60,"s_maxage":600}', `cache settings stored: ${cache}`);

    // Reopened, the section is open and the inputs hold the settings.
    await page.reload();
    await maxAge.waitFor();
    assert((await maxAge.inputValue()) === '60', `max_age shown: "${await maxAge.inputValue()}"`);
    assert((await sMaxage.inputValue()) === '600', `s_maxage shown: "${await sMaxage.inputValue()}"`);
    assert((await stale.inputValue()) === '', `stale_while_revalidate not set: "${await stale.inputValue()}"`);
    await header('public, max-age=60, s-maxage=600').waitFor();
    await page.close();

    // The public API sends them for the type's answers, and the default for other types.
    const entry = await api(base, token, 'POST', '/entries/bulletins', { data: { title: 'Cached for a minute' } });
    assert(entry.status === 201, `bulletin: ${entry.status} ${JSON.stringify(entry.body)}`);
    const live = await api(base, token, 'POST', `/entries/bulletins/${entry.body.id}/publish`);
    assert(live.status === 200, `bulletin published: ${live.status} ${JSON.stringify(live.body)}`);
    for (const path of ['/api/bulletins', `/api/bulletins/${entry.body.id}`]) {
      const res = await fetch(`${base}${path}`);
      assert(res.status === 200, `${path} answers ${res.status}`);
      const got = res.headers.get('cache-control');
      assert(got === 'public, max-age=60, s-maxage=600', `${path} cache-control: ${got}`);
    }
    const list = await (await fetch(`${base}/api/bulletins`)).json();
    assert(list.data.some((e) => e.title === 'Cached for a minute'), `the published bulletin is listed: ${JSON.stringify(list.data)}`);
    const other = await fetch(`${base}/api/articles`);
    const otherControl = other.headers.get('cache-control');
    assert(otherControl === 'public, max-age=0, must-revalidate', `a type without settings: ${otherControl}`);
  });

  await test('the editor fits a tablet, in the dark theme too', async () => {
    for (const colorScheme of ['light', 'dark']) {
      const context = await browser.newContext({ viewport: { width: 768, height: 1024 }, colorScheme });
      const page = await context.newPage();
      await signIn(page, base, ADMIN);
      await page.goto(`${base}/admin/entries/articles/new`);
      await page.getByRole('button', { name: 'Save' }).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `no sideways scrolling at 768 px (${colorScheme}): ${overflow}px too wide`);
      await page.screenshot({ path: join(shots, `editor-tablet-${colorScheme}.png`) });
      await axe(page, `editor at 768 px, ${colorScheme}`);
      await context.close();
    }
  });

  await test('format an article with the toolbar', async () => {
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.goto(`${base}/admin/entries/articles/new`);
    await page.getByLabel('title', { exact: false }).first().fill('Formatted in a browser');
    // The body's editor: a toolbar named after the field, and an editable
    // area (role textbox) labelled by the field's label. Loaded on demand.
    const toolbar = page.getByRole('toolbar', { name: 'Body formatting' });
    const tool = (name) => toolbar.getByRole('button', { name, exact: true });
    const body = page.getByRole('textbox', { name: 'Body', exact: true });
    await body.click();
    await page.keyboard.type('Why it matters');
    await tool('Heading 2').click();
    assert((await tool('Heading 2').getAttribute('aria-pressed')) === 'true', 'Heading 2 shows as pressed');
    // The toolbar gives the focus back to the text.
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('This is important');
    await page.keyboard.press('Shift+Control+ArrowLeft');
    await tool('Bold').click();
    assert((await tool('Bold').getAttribute('aria-pressed')) === 'true', 'Bold shows as pressed');
    // At the end of the bold word, Bold again stops it for what comes next.
    await page.keyboard.press('End');
    await tool('Bold').click();
    assert((await tool('Bold').getAttribute('aria-pressed')) === 'false', 'Bold is off again');
    // A click on a tool never takes the focus from the text, so the next key lands there.
    assert(await body.evaluate((el) => el.contains(document.activeElement)), 'the text keeps the focus');
    await page.keyboard.type(' news, ');
    // Keyboard shortcuts work too.
    await page.keyboard.press('Control+i');
    await page.keyboard.type('really');
    await page.keyboard.press('Control+i');
    await page.keyboard.type('.');
    await page.keyboard.press('Enter');
    await tool('Bulleted list').click();
    await page.keyboard.type('First point');
    assert((await tool('Bulleted list').getAttribute('aria-pressed')) === 'true', 'Bulleted list shows as pressed');
    await body.locator('h2', { hasText: 'Why it matters' }).waitFor();
    await page.screenshot({ path: join(shots, 'richtext.png') });
    await axe(page, 'rich text editor');

    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/admin\/entries\/articles\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop();
    const stored = await api(base, token, 'GET', `/entries/articles/${id}`);
    assert(stored.status === 200, `article read back: ${stored.status}`);
    const md = stored.body.data.body;
    assert(typeof md === 'string', `body stored as a string: ${JSON.stringify(stored.body.data)}`);
    assert(/^## Why it matters$/m.test(md), `a heading in ${JSON.stringify(md)}`);
    assert(md.includes('**important**'), `bold in ${JSON.stringify(md)}`);
    assert(/(^|[^*])[*_]really[*_]([^*]|$)/.test(md), `italic in ${JSON.stringify(md)}`);
    assert(/^[-*] First point$/m.test(md), `a bulleted list in ${JSON.stringify(md)}`);

    // Reopened, it shows formatted; the Markdown toggle shows the text itself
    // and comes back, and none of that counts as a change.
    await body.locator('strong', { hasText: 'important' }).waitFor();
    await tool('Markdown').click();
    const raw = page.getByRole('textbox', { name: 'Body', exact: true });
    assert((await raw.evaluate((el) => el.tagName)) === 'TEXTAREA', 'Markdown shows a textarea');
    assert((await raw.inputValue()) === md, 'the textarea holds the stored markdown');
    await tool('Markdown').click();
    await body.locator('li', { hasText: 'First point' }).waitFor();
    assert((await page.getByText('Unsaved changes').count()) === 0, 'switching views changes nothing');
    await page.close();
  });

  await test('typing survives a session that ends mid-edit', async () => {
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.goto(`${base}/admin/entries/articles/new`);
    await page.getByLabel('title', { exact: false }).first().fill('Typed before the session ended');
    // The session ends behind the editor's back.
    const pageToken = await page.evaluate(() => sessionStorage.getItem('quire.token'));
    const out = await api(base, pageToken, 'POST', '/auth/logout');
    assert(out.status === 204 || out.status === 200, `logout: ${out.status}`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const title = page.getByLabel('title', { exact: false }).first();
    await title.waitFor();
    const kept = await title.inputValue();
    assert(kept === 'Typed before the session ended', `the typing is back: "${kept}"`);
    await page.close();
  });

  await test('a concurrent edit shows both versions, not a lost write', async () => {
    const created = await api(base, token, 'POST', '/entries/articles', { data: { title: 'Shared draft' } });
    const id = created.body.id;
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.goto(`${base}/admin/entries/articles/${id}`);
    const title = page.getByLabel('title', { exact: false }).first();
    await title.waitFor();
    // Someone else saves first.
    const other = await api(base, token, 'PATCH', `/entries/articles/${id}`, { data: { title: 'Their title' }, version: 1 });
    assert(other.status === 200, `their save: ${other.status}`);
    await title.fill('My title');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Someone else saved this entry' }).waitFor();
    await page.getByText('Their title').first().waitFor();
    await page.screenshot({ path: join(shots, 'conflict.png') });
    const stored = await api(base, token, 'GET', `/entries/articles/${id}`);
    assert(stored.body.data.title === 'Their title', 'nothing overwritten behind the editor\'s back');
    await page.close();
  });

  await test('restore an earlier version from the history, then publish it', async () => {
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.goto(`${base}/admin/entries/articles/new`);
    const title = page.getByLabel('title', { exact: false }).first();
    await title.fill('The first title');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(/\/admin\/entries\/articles\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop();
    // The saved entry's editor (History is there only for a saved entry).
    const historyButton = page.getByRole('button', { name: 'History', exact: true });
    await historyButton.waitFor();
    await title.fill('The second title');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved (version 2)' }).waitFor();
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('Published.', { exact: true }).waitFor();
    const publicTitle = async () => {
      const res = await fetch(`${base}/api/articles/${id}`);
      assert(res.status === 200, `public API answers ${res.status}`);
      return (await res.json()).data.title;
    };
    assert((await publicTitle()) === 'The second title', 'the second title is live');

    await historyButton.click();
    const history = page.getByRole('region', { name: 'History', exact: true });
    const versions = history.getByRole('list', { name: 'Versions, newest first' });
    await versions.getByRole('button', { name: /^Version 3 · Published/ }).waitFor();
    await versions.getByRole('button', { name: /^Version 2 · Saved/ }).click();
    // Version 2's diff names the title, before and after.
    const diff = history.getByRole('table', { name: 'Changes in version 2' });
    const titleRow = diff.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^Title\b/ }) });
    await titleRow.waitFor();
    const cells = (await titleRow.getByRole('cell').allTextContents()).map((t) => t.trim());
    assert(cells[0] === 'The first title' && cells[1] === 'The second title', `the title's change: ${JSON.stringify(cells)}`);
    await page.screenshot({ path: join(shots, 'history.png') });
    await axe(page, 'history');

    // Restoring warns about unsaved edits, which it replaces.
    await versions.getByRole('button', { name: /^Version 1 · Created/ }).click();
    await history.getByRole('heading', { name: /^Version 1\b/ }).waitFor();
    await title.fill('Typed and not saved');
    await history.getByRole('button', { name: 'Restore this version', exact: true }).click();
    await history.getByText('You have unsaved changes: restoring replaces them.').waitFor();
    await axe(page, 'restore confirmation');
    await history.getByRole('button', { name: 'Restore version 1', exact: true }).click();
    await page.getByText('Version 1 restored as a draft — publish to make it live.').waitFor();
    assert((await title.inputValue()) === 'The first title', `the form shows version 1: "${await title.inputValue()}"`);
    assert((await page.getByText('Unsaved changes').count()) === 0, 'nothing unsaved after the restore');
    // A new working copy; the live one is untouched until Publish.
    const statusLine = page.getByRole('status').filter({ hasText: 'Status:' });
    await statusLine.getByText('changed', { exact: true }).waitFor();
    await statusLine.getByText('version 4', { exact: false }).waitFor();
    const stored = await api(base, token, 'GET', `/entries/articles/${id}`);
    assert(stored.body.data.title === 'The first title' && stored.body.status === 'changed', `working copy: ${JSON.stringify(stored.body)}`);
    assert((await publicTitle()) === 'The second title', 'the live copy is as it was');

    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('Published.', { exact: true }).waitFor();
    assert((await publicTitle()) === 'The first title', 'the restored title is live');
    const revisions = await api(base, token, 'GET', `/entries/articles/${id}/revisions`);
    const actions = revisions.body.data.map((r) => r.action).join(',');
    assert(actions === 'publish,restore,publish,update,create', `revisions: ${actions}`);
    await page.close();
  });

  await test('schedule a publish in the editor, clear it, and see a past time refused', async () => {
    const created = await api(base, token, 'POST', '/entries/articles', { data: { title: 'Scheduled in a browser' } });
    assert(created.status === 201, `article: ${created.status} ${JSON.stringify(created.body)}`);
    const id = created.body.id;
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.goto(`${base}/admin/entries/articles/${id}`);
    const panel = page.getByRole('region', { name: 'Schedule', exact: true });
    const publishAt = panel.getByLabel('Publish at', { exact: true });
    const scheduleButton = panel.getByRole('button', { name: 'Schedule', exact: true });
    const scheduledText = panel.getByText(/^Scheduled to publish at /);
    /** A `datetime-local` value `ms` from now, in the browser's own zone. */
    const localIn = (ms) =>
      page.evaluate((ms) => {
        const d = new Date(Date.now() + ms);
        const p = (n) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
      }, ms);
    const storedSchedule = async () => (await api(base, token, 'GET', `/entries/articles/${id}`)).body.schedule;

    // An hour ahead: shown as scheduled, and stored as that moment in UTC.
    await publishAt.fill(await localIn(3600_000));
    await scheduleButton.click();
    await scheduledText.waitFor();
    const at = (await storedSchedule()).publish_at;
    assert(at && Math.abs(Date.parse(at) - (Date.now() + 3600_000)) < 120_000, `publish_at an hour ahead: ${at}`);
    assert((await panel.locator('time').getAttribute('datetime')) === at, 'the shown time is the stored one');
    await page.getByRole('status').filter({ hasText: 'Status:' }).getByText('draft', { exact: true }).waitFor();
    await page.screenshot({ path: join(shots, 'schedule.png') });
    await axe(page, 'scheduled publish');

    // Still there after a reload.
    await page.reload();
    await scheduledText.waitFor();

    // Cleared: the form is back, and nothing is stored.
    await panel.getByRole('button', { name: 'Clear the scheduled publish', exact: true }).click();
    await publishAt.waitFor();
    assert((await scheduledText.count()) === 0, 'no schedule shown after Clear');
    const cleared = await storedSchedule();
    assert(cleared.publish_at == null, `publish_at cleared: ${JSON.stringify(cleared)}`);

    // A past time: the server's `future` refusal, under the Publish at input.
    await publishAt.fill(await localIn(-3600_000));
    await scheduleButton.click();
    await panel.getByText(/^must be later than now/).waitFor();
    assert((await publishAt.getAttribute('aria-invalid')) === 'true', 'the Publish at input is marked invalid');
    const described = await publishAt.evaluate((el) =>
      (el.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((ref) => document.getElementById(ref)?.textContent ?? '')
        .join(' '),
    );
    assert(described.includes('must be later than now'), `the Publish at input's description: ${described}`);
    assert((await storedSchedule()).publish_at == null, 'nothing scheduled by the refused time');
    await page.close();
  });

  await test('upload an image and see it in the library', async () => {
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.getByRole('link', { name: 'Media' }).click();
    await page.getByLabel('Upload files').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: DOT_PNG });
    await page.locator('img[src*="/media/"]').first().waitFor();
    await page.screenshot({ path: join(shots, 'media.png') });
    const list = await api(base, token, 'GET', '/assets');
    assert(list.body.meta.total === 1, `one asset stored, found ${list.body.meta.total}`);
    await axe(page, 'media');
    await page.close();
  });

  await test('a link to another size of an image works for anyone', async () => {
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.getByRole('link', { name: 'Media' }).click();
    const thumb = page.locator('img[src*="/media/"]').first();
    await thumb.waitFor();
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await thumb.elementHandle());
    await page.getByText('Link to another size').first().click();
    await page.getByLabel('Width for dot.png').fill('1');
    await page.getByRole('button', { name: 'Get link' }).first().click();
    const link = page.getByLabel('Link to the resized dot.png');
    await link.waitFor();
    const url = await link.inputValue();
    assert(url.includes('sig='), `a signed link: ${url}`);
    const res = await fetch(url);
    assert(res.status === 200, `anyone may fetch it: ${res.status}`);
    assert(res.headers.get('content-type') === 'image/webp', `as WebP: ${res.headers.get('content-type')}`);
    const forged = await fetch(url.replace('w=1', 'w=2'));
    assert(forged.status === 403, `a changed link is refused: ${forged.status}`);
    await page.close();
  });

  await test('attach an image to an entry and see it on the public API', async () => {
    const type = await api(base, token, 'POST', '/content-types', {
      api_id: 'galleries',
      name: 'Gallery',
      fields: [
        { name: 'title', type: 'string', required: true },
        { name: 'cover', type: 'media', accept: ['image/*'] },
      ],
    });
    assert(type.status === 201, `gallery type: ${type.status}`);
    const form = new FormData();
    form.append('file', new Blob([DOT_PNG], { type: 'image/png' }), 'cover.png');
    const up = await fetch(`${base}/admin/api/assets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    assert(up.status === 201, `upload: ${up.status}`);
    const asset = await up.json();
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.goto(`${base}/admin/entries/galleries/new`);
    await page.getByLabel('title', { exact: false }).first().fill('With a cover');
    await page.getByLabel('cover').selectOption({ label: 'cover.png (image/png)' });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/admin\/entries\/galleries\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop();
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('published', { exact: true }).first().waitFor();
    const res = await fetch(`${base}/api/galleries/${id}`);
    const cover = (await res.json()).data.cover;
    assert(cover && cover.id === asset.id && cover.mime_type === 'image/png', `cover: ${JSON.stringify(cover)}`);
    // The library refuses to delete it while the entry uses it, and says why.
    await page.getByRole('link', { name: 'Media' }).click();
    await page.getByRole('button', { name: 'Delete cover.png' }).click();
    await page.getByRole('alert').filter({ hasText: `galleries/${id}` }).waitFor();
    const still = await api(base, token, 'GET', `/assets/${asset.id}`);
    assert(still.status === 200, `the asset is kept: ${still.status}`);
    await page.close();
  });

  await test('an API token is shown once, then only listed', async () => {
    const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    await signIn(page, base, ADMIN);
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Token name').fill('site build');
    await page.getByLabel('Scope').selectOption('read');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.getByRole('textbox', { name: 'New token' }).inputValue();
    assert(secret.length > 20, 'the secret is shown');
    await page.getByText('Shown once: copy it now.').waitFor();
    await page.getByRole('button', { name: 'Copy' }).click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert(copied === secret, 'Copy puts the secret on the clipboard');
    await page.screenshot({ path: join(shots, 'tokens.png') });
    await axe(page, 'tokens');
    // It works, and the list never shows it again.
    const res = await fetch(`${base}/api/articles`, { headers: { authorization: `Bearer ${secret}` } });
    assert(res.status === 200, `the token reads the public API: ${res.status}`);
    await page.reload();
    await page.getByText('site build').first().waitFor();
    assert(!(await page.content()).includes(secret), 'the secret is not listed');
    await context.close();
  });

  await test('search across content finds a draft', async () => {
    await api(base, token, 'POST', '/entries/articles', { data: { title: 'Marmalade notes' } });
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.getByRole('link', { name: 'Search' }).click();
    // The index follows the database within moments; search until it shows.
    for (let i = 0; ; i++) {
      await page.getByLabel('Search all content').fill('marmalade');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      try {
        await page.getByText('Marmalade').first().waitFor({ timeout: 1000 });
        break;
      } catch (e) {
        if (i > 10) throw e;
      }
    }
    await page.close();
  });

  await test('the home screen does not shift as it loads', async () => {
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.reload();
    // Buffered: every shift since this load began, not only later ones.
    await page.evaluate(() => {
      window.__shift = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shift += e.value;
      }).observe({ type: 'layout-shift', buffered: true });
    });
    await page.getByRole('navigation', { name: 'Content types' }).getByRole('link').first().waitFor();
    await page.waitForTimeout(500);
    const shift = await page.evaluate(() => window.__shift);
    assert(shift < 0.1, `cumulative layout shift ${shift} (good is under 0.1)`);
    await page.close();
  });

  await test('bulk publish from the list', async () => {
    const ids = [];
    for (const title of ['Bulk one', 'Bulk two']) {
      ids.push((await api(base, token, 'POST', '/entries/authors', { data: { name: title } })).body.id);
    }
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.getByRole('navigation', { name: 'Content types' }).getByRole('link', { name: 'Author', exact: true }).click();
    await page.getByLabel('Select Bulk one').check();
    await page.getByLabel('Select Bulk two').check();
    await page.getByRole('button', { name: 'Publish selected', exact: true }).click();
    await page.getByText('Published 2 of 2 entries.').waitFor();
    await page.screenshot({ path: join(shots, 'list.png') });
    await axe(page, 'list');
    for (const id of ids) {
      const res = await fetch(`${base}/api/authors/${id}`);
      assert(res.status === 200, `published ${id}: ${res.status}`);
    }
    await page.close();
  });

  /** What the relation test made, for the one after it. */
  let picked = null;
  await test('pick an author and publish', async () => {
    // `authors` (name, slug …) usually comes from the repository's content-types/; make it where it does not.
    const authors = await api(base, token, 'POST', '/content-types', {
      api_id: 'authors',
      name: 'Author',
      fields: [
        { name: 'name', type: 'string', required: true },
        { name: 'slug', type: 'slug', from: 'name' },
      ],
    });
    assert(authors.status === 201 || authors.body?.code === 'type_exists', `authors type: ${authors.status} ${JSON.stringify(authors.body)}`);
    const posts = await api(base, token, 'POST', '/content-types', {
      api_id: 'posts',
      name: 'Post',
      fields: [
        { name: 'title', type: 'string', required: true },
        { name: 'author', type: 'relation', to: 'authors' },
      ],
    });
    assert(posts.status === 201, `posts type: ${posts.status} ${JSON.stringify(posts.body)}`);
    const name = 'Grace Hopper';
    const author = await api(base, token, 'POST', '/entries/authors', { data: { name } });
    assert(author.status === 201, `author: ${author.status} ${JSON.stringify(author.body)}`);
    const live = await api(base, token, 'POST', `/entries/authors/${author.body.id}/publish`);
    assert(live.status === 200, `author published: ${live.status}`);

    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.goto(`${base}/admin/entries/posts/new`);
    await page.getByLabel('title', { exact: false }).first().fill('Relations, in a browser');
    // The picker searches authors by name (`filter[name][contains]`, case-sensitive).
    await page.getByRole('searchbox', { name: 'Author', exact: true }).fill('Grace H');
    const choose = page.getByRole('button', { name: `Choose ${name}`, exact: true });
    await choose.waitFor();
    await page.screenshot({ path: join(shots, 'relation-picker.png') });
    await axe(page, 'relation picker');
    await choose.click();
    await page.getByRole('link', { name, exact: true }).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/admin\/entries\/posts\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop();
    // Reopened as an edit, the pick is still shown by name.
    await page.getByRole('link', { name, exact: true }).waitFor();
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('Published.', { exact: true }).waitFor();
    const stored = await api(base, token, 'GET', `/entries/posts/${id}`);
    assert(stored.body.data.author === author.body.id, `stored author id: ${JSON.stringify(stored.body.data)}`);
    const res = await fetch(`${base}/api/posts/${id}?populate=author`);
    assert(res.status === 200, `public API answers ${res.status}`);
    const populated = (await res.json()).data.author;
    assert(populated?.name === name, `populated author: ${JSON.stringify(populated)}`);
    picked = { post: id, author: author.body.id, title: 'Relations, in a browser' };
    await page.close();
  });

  await test('an author shows the posts that point at it', async () => {
    assert(picked, 'needs the post from "pick an author and publish"');
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.goto(`${base}/admin/entries/authors/${picked.author}`);
    await page.getByText('Referenced by', { exact: true }).click();
    await page.getByRole('link', { name: picked.title, exact: true }).waitFor();
    await axe(page, 'referenced by');
    await page.close();
  });

  await test('a type defined by a file is read only in the builder', async () => {
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.goto(`${base}/admin/types/articles`);
    const notice = page.locator('#folder-owned');
    await notice.waitFor();
    assert((await notice.textContent()).includes('articles.json'), 'the notice names the file');
    assert(await page.getByRole('button', { name: 'Save type' }).isDisabled(), 'saving is off');
    await axe(page, 'read-only type');
    await page.close();
  });

  await test('an admin adds a user who can then sign in', async () => {
    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('Email').fill('mia@example.com');
    await page.getByLabel('Name').fill('Mia');
    await page.getByLabel('Password').fill('a long editor passphrase');
    await page.getByLabel('Role', { exact: true }).selectOption('editor');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText('Created mia@example.com.').waitFor();
    await page.getByRole('rowheader', { name: 'mia@example.com' }).waitFor();
    const login = await api(base, null, 'POST', '/auth/login', { email: 'mia@example.com', password: 'a long editor passphrase' });
    assert(login.status === 200 && login.body.user.role === 'editor', `mia signs in as an editor: ${login.status}`);
    await page.close();
  });

  await test('a viewer reads but cannot save', async () => {
    const made = await api(base, token, 'POST', '/users', { ...VIEWER, role: 'viewer' });
    assert(made.status === 201, `viewer created: ${made.status}`);
    const created = await api(base, token, 'POST', '/entries/articles', { data: { title: 'Read only' } });
    const page = await newPage();
    await signIn(page, base, VIEWER);
    await page.goto(`${base}/admin/entries/articles/${created.body.id}`);
    const title = page.getByLabel('title', { exact: false }).first();
    await title.waitFor();
    await page.getByText('Your role can read but not change content').first().waitFor();
    assert(!(await page.getByRole('button', { name: 'Save' }).isEnabled()), 'Save is disabled for a viewer');
    // The API refuses too, whatever a page might let through.
    const viewerLogin = await api(base, null, 'POST', '/auth/login', VIEWER);
    const refused = await api(base, viewerLogin.body.token, 'PATCH', `/entries/articles/${created.body.id}`, {
      data: { title: 'Changed by a viewer' },
      version: 1,
    });
    assert(refused.status === 403, `the API refuses a viewer's save: ${refused.status}`);
    const stored = await api(base, token, 'GET', `/entries/articles/${created.body.id}`);
    assert(stored.body.data.title === 'Read only', 'the viewer changed nothing');
    await page.close();
  });

  await test('add, reorder and remove blocks', async () => {
    // `pages` has `sections: {type: blocks, components: [hero, quote]}` (content-types/).
    const page = await newPage();
    await signIn(page, base, ADMIN);
    const nav = page.getByRole('navigation', { name: 'Content types' });
    await nav.getByRole('link', { name: 'Page', exact: true }).waitFor();
    assert((await nav.getByRole('link', { name: 'Hero', exact: true }).count()) === 0, 'a component type is not in the navigation');
    await page.goto(`${base}/admin/entries/pages/new`);
    await page.getByLabel('title', { exact: false }).first().fill('Blocks, in a browser');
    const sections = page.getByRole('group', { name: 'Sections', exact: true });
    const addBlock = async (kind) => {
      await sections.getByLabel('Block type', { exact: true }).selectOption(kind);
      await sections.getByRole('button', { name: 'Add block', exact: true }).click();
    };
    const items = sections.getByRole('group', { name: /^\d+\. (Hero|Quote)/ });
    await addBlock('hero');
    await sections.getByRole('group', { name: /^1\. Hero/ }).getByLabel(/^Heading\b/).fill('Welcome');
    await addBlock('quote');
    await sections.getByRole('group', { name: /^2\. Quote/ }).getByLabel(/^Text\b/).fill('Less is more.');
    await sections.getByRole('group', { name: /^2\. Quote/ }).getByRole('button', { name: 'Move up', exact: true }).click();
    const quote = sections.getByRole('group', { name: '1. Quote — Less is more.', exact: true });
    await quote.waitFor();
    await sections.getByRole('group', { name: '2. Hero — Welcome', exact: true }).waitFor();
    // Collapsed, an item keeps its title and hides its fields.
    await quote.getByRole('button', { name: 'Collapse', exact: true }).click();
    await quote.getByLabel(/^Text\b/).waitFor({ state: 'hidden' });
    await quote.getByRole('button', { name: 'Expand', exact: true }).click();
    await quote.getByLabel(/^Text\b/).waitFor();
    await addBlock('hero');
    const extra = sections.getByRole('group', { name: /^3\. Hero/ });
    await extra.getByRole('button', { name: 'Remove', exact: true }).click();
    await extra.waitFor({ state: 'detached' });
    assert((await items.count()) === 2, `two blocks left: ${await items.count()}`);
    await page.screenshot({ path: join(shots, 'blocks.png') });
    await axe(page, 'blocks editor');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(/\/admin\/entries\/pages\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop();
    // Reopened, the blocks are in the saved order.
    await page.getByRole('group', { name: '1. Quote — Less is more.', exact: true }).waitFor();
    await page.getByRole('group', { name: '2. Hero — Welcome', exact: true }).waitFor();
    const stored = await api(base, token, 'GET', `/entries/pages/${id}`);
    assert(stored.status === 200, `stored page: ${stored.status}`);
    const got = stored.body.data.sections;
    const shape = JSON.stringify(got);
    assert(Array.isArray(got) && got.length === 2, `two sections: ${shape}`);
    assert(got[0].kind === 'quote' && got[0].text === 'Less is more.', `the quote first: ${shape}`);
    assert(got[1].kind === 'hero' && got[1].heading === 'Welcome', `then the hero: ${shape}`);
    await page.close();
  });

  await test('translate an entry and publish only fr', async () => {
    // A type of its own (not content-types/articles.json): title and body translated, byline shared.
    const made = await api(base, token, 'POST', '/content-types', {
      api_id: 'stories',
      name: 'Story',
      fields: [
        { name: 'title', type: 'string', required: true, localized: true },
        { name: 'body', type: 'richtext', localized: true },
        { name: 'byline', type: 'string' },
      ],
    });
    assert(made.status === 201, `stories type: ${made.status} ${JSON.stringify(made.body)}`);
    const created = await api(base, token, 'POST', '/entries/stories', {
      data: { title: 'Hello, world', body: 'Written in English.', byline: 'Ada' },
    });
    assert(created.status === 201, `story: ${created.status} ${JSON.stringify(created.body)}`);
    const id = created.body.id;
    const live = await api(base, token, 'POST', `/entries/stories/${id}/publish`);
    assert(live.status === 200, `story published: ${live.status} ${JSON.stringify(live.body)}`);
    assert(live.body.locale === 'en' && live.body.status === 'published', `published in English: ${JSON.stringify(live.body)}`);

    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.goto(`${base}/admin/entries/stories/${id}`);
    // The switcher: a link per locale, named by the language in itself, its code and its status.
    const switcher = page.getByRole('navigation', { name: 'Translations' });
    const english = switcher.getByRole('link', { name: /^English/ });
    const french = switcher.getByRole('link', { name: /^Français/ });
    await english.waitFor();
    assert((await english.getAttribute('aria-current')) === 'page', 'English is the translation shown');
    await english.getByText('published', { exact: true }).waitFor();
    await french.getByText('Not translated', { exact: true }).waitFor();

    await french.click();
    await page.waitForURL(/\/admin\/entries\/stories\/[^/?]+\?locale=fr$/);
    await page.getByRole('button', { name: 'Start from English', exact: true }).click();
    await page.getByText('Started from English', { exact: false }).waitFor();
    const title = page.getByRole('textbox', { name: 'Title', exact: true });
    assert((await title.inputValue()) === 'Hello, world', `starts from the English title: "${await title.inputValue()}"`);
    // The shared field says so, and is described by that hint.
    await page.getByText('Shared by all languages', { exact: true }).waitFor();
    const byline = page.getByRole('textbox', { name: 'Byline', exact: true });
    assert((await byline.inputValue()) === 'Ada', 'the shared byline is shown');
    const described = (await byline.getAttribute('aria-describedby')) ?? '';
    const hints = await Promise.all(described.split(' ').filter(Boolean).map((h) => page.locator(`#${h}`).textContent()));
    assert(hints.includes('Shared by all languages'), `byline described by: ${JSON.stringify(hints)}`);
    await title.fill('Bonjour, le monde');
    await axe(page, 'a new translation');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved (version' }).waitFor();
    await french.getByText('draft', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('Published.', { exact: true }).waitFor();
    await french.getByText('published', { exact: true }).waitFor();
    assert((await french.getAttribute('aria-current')) === 'page', 'Français is the translation shown');
    await page.screenshot({ path: join(shots, 'translation.png') });

    // The public API: fr has the French title, the default (en) still the English one.
    const fr = await fetch(`${base}/api/stories/${id}?locale=fr`);
    assert(fr.status === 200, `public fr answers ${fr.status}`);
    const frTitle = (await fr.json()).data.title;
    assert(frTitle === 'Bonjour, le monde', `public fr title: ${JSON.stringify(frTitle)}`);
    const en = await fetch(`${base}/api/stories/${id}`);
    assert(en.status === 200, `public en answers ${en.status}`);
    const enTitle = (await en.json()).data.title;
    assert(enTitle === 'Hello, world', `public en title: ${JSON.stringify(enTitle)}`);
    // Only fr was published: en is as it was.
    const enAdmin = await api(base, token, 'GET', `/entries/stories/${id}`);
    assert(enAdmin.body.locale === 'en' && enAdmin.body.status === live.body.status, `en after: ${JSON.stringify(enAdmin.body)}`);
    assert(enAdmin.body.data.title === 'Hello, world', `en working copy: ${JSON.stringify(enAdmin.body.data)}`);
    const frRow = (enAdmin.body.translations ?? []).find((t) => t.locale === 'fr');
    assert(frRow?.status === 'published', `fr in translations: ${JSON.stringify(enAdmin.body.translations)}`);

    // The URL keeps the translation: a reload shows fr again.
    await page.reload();
    await french.waitFor();
    assert((await french.getAttribute('aria-current')) === 'page', 'still Français after a reload');
    assert((await title.inputValue()) === 'Bonjour, le monde', 'the French title after a reload');
    await french.getByText('published', { exact: true }).waitFor();
    await page.close();
  });

  await test('the audit log shows a publish, pages, and narrows to an action', async () => {
    const created = await api(base, token, 'POST', '/entries/articles', { data: { title: 'Audited in a browser' } });
    assert(created.status === 201, `article: ${created.status} ${JSON.stringify(created.body)}`);
    const id = created.body.id;
    const live = await api(base, token, 'POST', `/entries/articles/${id}/publish`);
    assert(live.status === 200, `article published: ${live.status} ${JSON.stringify(live.body)}`);
    // What the screen should count, from the API itself.
    const all = (await api(base, token, 'GET', '/audit?limit=1')).body.meta.total;
    const publishes = (await api(base, token, 'GET', '/audit?limit=1&action=entry.publish')).body.meta.total;
    assert(publishes > 0 && publishes < all, `publishes are some of the log: ${publishes} of ${all}`);
    const pager = (from, total, n) => `${from}–${Math.min(total, from + 24)} of ${total} · page ${n} of ${Math.ceil(total / 25)}`;

    const page = await newPage();
    await signIn(page, base, ADMIN);
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Audit log', exact: true }).click();
    await page.waitForURL(/\/admin\/audit$/);
    await page.getByText(pager(1, all, 1), { exact: true }).waitFor();
    // Newest first: the publish, and the create before it, link to the entry.
    const row = (action) =>
      page
        .getByRole('row')
        .filter({ has: page.getByRole('cell', { name: action, exact: true }) })
        .filter({ has: page.getByRole('link', { name: id, exact: true }) });
    await row('entry.publish').waitFor();
    await row('entry.create').waitFor();
    await row('entry.publish').getByText(ADMIN.email).waitFor();
    await page.screenshot({ path: join(shots, 'audit.png') });
    await axe(page, 'audit log');

    // The earlier tests wrote far more than a page; Next shows the second one.
    if (all > 25) {
      await page.getByRole('button', { name: 'Next', exact: true }).click();
      await page.waitForURL(/\/admin\/audit\?page=2$/);
      await page.getByText(pager(26, all, 2), { exact: true }).waitFor();
    }

    // An action filter starts again at page 1, with only that action.
    await page.getByLabel('Action', { exact: true }).fill('entry.publish');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.waitForURL(/\/admin\/audit\?action=entry\.publish$/);
    await page.getByText(pager(1, publishes, 1), { exact: true }).waitFor();
    await row('entry.publish').waitFor();
    assert((await page.getByRole('cell', { name: 'entry.create', exact: true }).count()) === 0, 'no creates once filtered');
    const shown = await page.getByRole('rowheader').count();
    assert(shown === Math.min(25, publishes), `one row per publish: ${shown} of ${publishes}`);

    // The entry's id opens it in the editor.
    await row('entry.publish').getByRole('link', { name: id, exact: true }).click();
    await page.waitForURL(new RegExp(`/admin/entries/articles/${id}(\\?locale=en)?$`));
    await page.waitForFunction((t) => [...document.querySelectorAll('input')].some((i) => i.value === t), 'Audited in a browser');
    await page.close();
  });

  await test('a webhook refuses a bad URL at its input, pings, and gets a publish, signed', async () => {
    // The receiver: records every request and answers 200.
    const received = [];
    const receiver = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
      });
    });
    await new Promise((ok) => receiver.listen(0, '127.0.0.1', ok));
    const target = `http://127.0.0.1:${receiver.address().port}/hook`;
    /** `X-Quire-Signature` is `t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
    const signedWith = (secret, r) => {
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(r.headers['x-quire-signature'] ?? '');
      return !!m && createHmac('sha256', secret).update(`${m[1]}.${r.body}`).digest('hex') === m[2];
    };
    const page = await newPage();
    try {
      await signIn(page, base, ADMIN);
      await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Webhooks', exact: true }).click();
      await page.waitForURL(/\/admin\/webhooks$/);

      // Not http(s): refused, and the message is the URL input's description.
      const url = page.getByLabel('URL', { exact: true });
      await page.getByLabel('Name', { exact: true }).fill('Site build');
      await url.fill('ftp://example.com/');
      await page.getByLabel('entry.published', { exact: true }).check();
      await page.getByRole('button', { name: 'Create webhook', exact: true }).click();
      await page.getByText('only http and https URLs are allowed', { exact: true }).waitFor();
      assert((await url.getAttribute('aria-invalid')) === 'true', 'the URL input is marked invalid');
      const described = await url.evaluate((el) =>
        (el.getAttribute('aria-describedby') ?? '')
          .split(' ')
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join(' '),
      );
      assert(described.includes('only http and https URLs are allowed'), `the URL input's description: ${described}`);
      assert((await api(base, token, 'GET', '/webhooks')).body.data.length === 0, 'nothing was created');

      // The same form with a good URL: created, its secret shown once.
      await url.fill(target);
      await page.getByRole('button', { name: 'Create webhook', exact: true }).click();
      const secretBox = page.getByRole('textbox', { name: 'Signing secret', exact: true });
      await secretBox.waitFor();
      const secret = await secretBox.inputValue();
      assert(secret.length >= 16, `the secret is shown: ${secret}`);
      await page.getByText('Shown once: copy it now.', { exact: false }).waitFor();
      const listed = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Site build', exact: true }) });
      await listed.getByText('entry.published', { exact: true }).waitFor();
      await listed.getByText('enabled', { exact: true }).waitFor();
      await page.screenshot({ path: join(shots, 'webhooks.png') });
      await axe(page, 'webhooks');
      const hooks = (await api(base, token, 'GET', '/webhooks')).body.data;
      assert(hooks.length === 1 && !('secret' in hooks[0]), `listed without its secret: ${JSON.stringify(hooks)}`);
      const hook = hooks[0];
      assert(JSON.stringify(hook.events) === '["entry.published"]' && hook.types == null, `as chosen: ${JSON.stringify(hook)}`);

      // Its page: a test ping is delivered, and shows in the log.
      await listed.getByRole('link', { name: 'Site build', exact: true }).click();
      await page.waitForURL(new RegExp(`/admin/webhooks/${hook.id}$`));
      await page.getByRole('heading', { name: 'Site build', level: 1 }).waitFor();
      await page.getByRole('button', { name: 'Send test', exact: true }).click();
      await page.getByRole('status').filter({ hasText: /delivered HTTP 200/ }).waitFor();
      const ping = received.find((r) => r.headers['x-quire-event'] === 'ping');
      assert(ping && ping.method === 'POST' && signedWith(secret, ping), `a signed ping: ${JSON.stringify(ping?.headers)}`);
      const logRow = (event) =>
        page
          .getByRole('row')
          .filter({ has: page.getByRole('cell', { name: event, exact: true }) })
          .filter({ hasText: 'delivered' });
      await logRow('ping').waitFor();

      // A publish is posted within moments.
      const created = await api(base, token, 'POST', '/entries/articles', { data: { title: 'Announced by webhook' } });
      assert(created.status === 201, `article: ${created.status} ${JSON.stringify(created.body)}`);
      const id = created.body.id;
      const live = await api(base, token, 'POST', `/entries/articles/${id}/publish`);
      assert(live.status === 200, `article published: ${live.status} ${JSON.stringify(live.body)}`);
      const isOurs = (r) => r.headers['x-quire-event'] === 'entry.published' && JSON.parse(r.body).id === id;
      for (let i = 0; !received.some(isOurs); i++) {
        assert(i < 50, `no entry.published POST within 10 s: ${JSON.stringify(received.map((r) => r.headers['x-quire-event']))}`);
        await new Promise((ok) => setTimeout(ok, 200));
      }
      const post = received.find(isOurs);
      assert(post.method === 'POST' && signedWith(secret, post), `a signed publish: ${JSON.stringify(post.headers)}`);
      // The log records it delivered once the answer is in; refresh until it shows.
      for (let i = 0; ; i++) {
        await page.getByRole('button', { name: 'Refresh', exact: true }).click();
        try {
          await logRow('entry.published').first().waitFor({ timeout: 1000 });
          break;
        } catch (e) {
          if (i >= 10) throw e;
        }
      }
      // Newest first: its details show the body as sent.
      await logRow('entry.published').first().getByRole('button', { name: 'Details', exact: true }).click();
      await page.getByText(`"id": "${id}"`, { exact: false }).first().waitFor();
      await page.screenshot({ path: join(shots, 'webhook.png') });
      await axe(page, 'webhook');

      // Deleted after a confirm (the page accepts it): gone, with its log.
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.waitForURL(/\/admin\/webhooks$/);
      await page.getByText('No webhooks yet.', { exact: true }).waitFor();
      assert((await api(base, token, 'GET', `/webhooks/${hook.id}`)).status === 404, 'the webhook is gone');
    } finally {
      await page.close();
      receiver.close();
    }
  });

  await test('open an entry’s preview on the site, and see a bad preview URL refused in the builder', async () => {
    // The site: its preview page reads the working copy named in its URL from
    // Quire's public API with the token it was given, and shows its title.
    const html = (t) => String(t).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    const site = createServer(async (req, res) => {
      const url = new URL(req.url, 'http://site');
      const m = /^\/preview\/([^/]+)$/.exec(url.pathname);
      if (!m) return res.writeHead(404).end();
      const previewToken = url.searchParams.get('token') ?? '';
      // What went wrong, if anything, shows on the page instead of the title.
      const title = await fetch(`${base}/api/launches/${m[1]}?preview=true`, { headers: { authorization: `Bearer ${previewToken}` } })
        .then(async (r) => (r.ok ? (await r.json()).data.title : `Quire answered ${r.status}`))
        .catch((e) => `Quire could not be read: ${e.message}`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Preview</title><h1>${html(title)}</h1><p>Token: <code id="token">${html(previewToken)}</code></p>`);
    });
    await new Promise((ok) => site.listen(0, '127.0.0.1', ok));
    const siteBase = `http://127.0.0.1:${site.address().port}`;
    const template = `${siteBase}/preview/{slug}?token={token}`;
    const page = await newPage();
    try {
      const made = await api(base, token, 'POST', '/content-types', {
        api_id: 'launches',
        name: 'Launch',
        preview_url: template,
        fields: [
          { name: 'title', type: 'string', required: true },
          { name: 'slug', type: 'slug', from: 'title' },
        ],
      });
      assert(made.status === 201, `launches type: ${made.status} ${JSON.stringify(made.body)}`);
      const created = await api(base, token, 'POST', '/entries/launches', { data: { title: 'Spring launch', slug: 'spring-launch' } });
      assert(created.status === 201, `launch: ${created.status} ${JSON.stringify(created.body)}`);
      const id = created.body.id;

      await signIn(page, base, ADMIN);
      await page.goto(`${base}/admin/entries/launches/${id}`);
      const title = page.getByRole('textbox', { name: 'Title', exact: true });
      await title.waitFor();
      // An unsaved edit: Open preview saves it first, so the site shows it.
      await title.fill('Spring launch, edited');
      const open = page.getByRole('button', { name: 'Open preview', exact: true });
      await axe(page, 'editor with Open preview');
      const [preview] = await Promise.all([page.context().waitForEvent('page'), open.click()]);
      await preview.getByRole('heading', { name: 'Spring launch, edited', exact: true }).waitFor();
      const link = new URL(preview.url());
      assert(link.origin === siteBase && link.pathname.startsWith('/preview/'), `the type's preview address: ${preview.url()}`);
      const shownToken = await preview.locator('#token').textContent();
      assert(shownToken && shownToken === link.searchParams.get('token'), `the site got the token: ${shownToken}`);
      await page.screenshot({ path: join(shots, 'preview-editor.png') });
      await preview.screenshot({ path: join(shots, 'preview-site.png') });
      await preview.close();
      await page.getByText('Preview opened in a new tab.', { exact: true }).waitFor();
      const stored = await api(base, token, 'GET', `/entries/launches/${id}`);
      assert(stored.body.data.title === 'Spring launch, edited' && stored.body.status === 'draft', `saved, still a draft: ${JSON.stringify(stored.body)}`);
      // Only the preview token shows it: the draft is not on the public API.
      const unpublished = await fetch(`${base}/api/launches/${id}`);
      assert(unpublished.status === 404, `the draft is not public: ${unpublished.status}`);

      // A type without a preview URL offers no preview.
      const article = await api(base, token, 'POST', '/entries/articles', { data: { title: 'No site to preview on' } });
      assert(article.status === 201, `article: ${article.status} ${JSON.stringify(article.body)}`);
      await page.goto(`${base}/admin/entries/articles/${article.body.id}`);
      await page.getByRole('button', { name: 'Publish', exact: true }).waitFor();
      assert((await open.count()) === 0, 'no Open preview without a preview URL');

      // The builder shows the address, and a placeholder that is not a field is refused at its input.
      await page.goto(`${base}/admin/types/launches`);
      const input = page.getByLabel('Preview URL', { exact: true });
      await input.waitFor();
      assert((await input.inputValue()) === template, `the builder shows the preview URL: "${await input.inputValue()}"`);
      await page.locator('#type-preview-url-hint').getByText('{slug}', { exact: true }).waitFor();
      await input.fill(`${siteBase}/preview/{nope}`);
      await page.getByRole('button', { name: 'Save type', exact: true }).click();
      await page.locator('#err-preview_url').filter({ hasText: 'is neither a field of the type' }).waitFor();
      assert((await input.getAttribute('aria-invalid')) === 'true', 'the Preview URL input is marked invalid');
      const described = await input.evaluate((el) =>
        (el.getAttribute('aria-describedby') ?? '')
          .split(' ')
          .map((ref) => document.getElementById(ref)?.textContent ?? '')
          .join(' '),
      );
      assert(described.includes('{nope} is neither a field of the type'), `the Preview URL input's description: ${described}`);
      await page.screenshot({ path: join(shots, 'type-preview-url.png') });
      await axe(page, 'preview URL refused in the builder');
      const kept = await api(base, token, 'GET', '/content-types/launches');
      assert(kept.body.definition.preview_url === template, `the type is unchanged: ${JSON.stringify(kept.body.definition)}`);
    } finally {
      await page.close();
      site.close();
    }
  });
} finally {
  await browser.close();
  child.kill();
  rmSync(dataDir, { recursive: true, force: true });
}

const failed = results.filter((r) => !r.ok).length;
console.log(`\n${results.length - failed} passed, ${failed} failed; screenshots in ${shots}`);
process.exit(failed ? 1 : 0);
