// History-API routing: the current location as state, navigation with an
// optional guard (unsaved changes), and link interception for <a href="/admin/…">.
import { BASE } from './routes';

class Location {
  path = $state(window.location.pathname);
  search = $state(window.location.search);
}
export const loc = new Location();

let guard: (() => boolean) | null = null;

/** Registers a check run before leaving the page; returns a function that removes it. */
export function setLeaveGuard(fn: () => boolean): () => void {
  guard = fn;
  return () => {
    if (guard === fn) guard = null;
  };
}

let current = window.location.pathname + window.location.search;

function sync() {
  loc.path = window.location.pathname;
  loc.search = window.location.search;
  current = loc.path + loc.search;
}

export function navigate(to: string, opts: { replace?: boolean; force?: boolean } = {}): boolean {
  const here = window.location.pathname + window.location.search;
  if (to === here && !opts.replace) return true;
  if (!opts.force && guard && !guard()) return false;
  if (opts.force) guard = null;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  sync();
  window.scrollTo(0, 0);
  return true;
}

export function startRouter(): () => void {
  const onPop = () => {
    if (guard && !guard()) {
      history.pushState(null, '', current);
      return;
    }
    sync();
  };
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, window.location.href);
    if (url.origin !== window.location.origin) return;
    if (!(url.pathname === BASE || url.pathname.startsWith(`${BASE}/`)) || url.pathname.startsWith(`${BASE}/api`)) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  };
  window.addEventListener('popstate', onPop);
  document.addEventListener('click', onClick);
  return () => {
    window.removeEventListener('popstate', onPop);
    document.removeEventListener('click', onClick);
  };
}
