// Published content from Quire, kept in .quire-cache/state.json between builds
// so that each build after the first fetches only what changed (GET /api/sync).
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";

const QUIRE_URL = (process.env.QUIRE_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
const LOCALE = process.env.QUIRE_LOCALE || "en";
const CACHE_DIR = new URL("../.quire-cache/", import.meta.url);
const STATE_FILE = new URL("state.json", CACHE_DIR);

// The cursor says where the last build stopped; one from another server
// (or none) means starting over with a full sync.
async function loadState() {
  try {
    const state = JSON.parse(await readFile(STATE_FILE, "utf8"));
    if (state.url === QUIRE_URL && state.cursor) return state;
  } catch (err) {
    if (err.code !== "ENOENT") console.warn(`[quire] ignoring unreadable ${STATE_FILE.pathname}: ${err.message}`);
  }
  return null;
}

class StaleCursor extends Error {}

// Every item after `cursor` (everything when null), following has_more.
async function pull(cursor) {
  const items = [];
  for (;;) {
    const url = `${QUIRE_URL}/api/sync?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) }).catch((err) => {
      throw new Error(`GET ${url} failed: ${err.cause?.message ?? err.message}`);
    });
    if (!res.ok) {
      const body = await res.text();
      // Quire refuses a cursor it did not hand out (e.g. a new database).
      if (res.status === 400 && cursor && /"field":\s*"cursor"/.test(body)) throw new StaleCursor();
      throw new Error(`GET ${url} answered ${res.status}: ${body}`);
    }
    const { data, meta } = await res.json();
    items.push(...data);
    cursor = meta.next_cursor;
    if (!meta.has_more) return { items, cursor };
  }
}

// Items must be applied in feed order: a later upsert or tombstone wins.
function apply(state, items) {
  for (const item of items) {
    if (item.entry) {
      const e = item.entry;
      state.entries[`${e.type}/${e.id}/${e.locale}`] = e;
    } else if (item.asset) {
      state.assets[item.asset.id] = item.asset;
    } else if (item.deleted) {
      const d = item.deleted;
      delete state.entries[`${d.type}/${d.id}/${d.locale}`];
    } else if (item.deleted_asset) {
      delete state.assets[item.deleted_asset.id];
    } else if (item.deleted_type) {
      const prefix = `${item.deleted_type.type}/`;
      for (const key of Object.keys(state.entries)) if (key.startsWith(prefix)) delete state.entries[key];
    }
  }
}

async function sync() {
  let state = await loadState();
  if (state) {
    try {
      const { items, cursor } = await pull(state.cursor);
      apply(state, items);
      state.cursor = cursor;
      console.log(`[quire] delta: ${items.length} items`);
      return state;
    } catch (err) {
      if (!(err instanceof StaleCursor)) throw err;
      console.log("[quire] saved cursor refused by the server, starting over");
    }
  }
  state = { url: QUIRE_URL, cursor: null, entries: {}, assets: {} };
  const { items, cursor } = await pull(null);
  apply(state, items);
  state.cursor = cursor;
  console.log(`[quire] full sync: ${items.length} items`);
  return state;
}

// Entries of one type in the site's locale that can have a page, newest first.
function listOf(state, type) {
  return Object.values(state.entries)
    .filter((e) => e.type === type && e.locale === LOCALE && e.slug)
    .sort((a, b) => (b.published_at ?? "").localeCompare(a.published_at ?? ""));
}

export default async function () {
  const state = await sync();
  // Written whole then renamed, so a crash never leaves half a state behind.
  await mkdir(CACHE_DIR, { recursive: true });
  const tmp = new URL("state.json.tmp", CACHE_DIR);
  await writeFile(tmp, JSON.stringify(state));
  await rename(tmp, STATE_FILE);
  return {
    url: QUIRE_URL,
    articles: listOf(state, "articles"),
    pages: listOf(state, "pages"),
    assets: state.assets,
  };
}
