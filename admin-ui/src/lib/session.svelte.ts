// Who is signed in, and the content types they can see.
import {
  errorText,
  getToken,
  listContentTypes,
  logout,
  setSession,
  storedUser,
  type ContentTypeOut,
  type UserOut,
} from './api';

class Session {
  token = $state<string | null>(getToken());
  user = $state<UserOut | null>(storedUser());
  types = $state<ContentTypeOut[]>([]);
  typesLoaded = $state(false);
  typesError = $state('');
}
export const session = new Session();

export function signedIn(token: string, user: UserOut): void {
  setSession(token, user);
  session.token = token;
  session.user = user;
  session.typesLoaded = false;
  session.types = [];
}

/** Forgets the session locally (the server side is revoked by signOut). */
export function clearSession(): void {
  setSession(null);
  session.token = null;
  session.user = null;
  session.types = [];
  session.typesLoaded = false;
}

export async function signOut(): Promise<void> {
  try {
    await logout();
  } catch {
    /* an expired token is signed out already */
  }
  clearSession();
}

let loading: Promise<void> | null = null;
export function loadTypes(force = false): Promise<void> {
  if (loading && !force) return loading;
  loading = (async () => {
    try {
      const list = await listContentTypes();
      session.types = [...list].sort((a, b) => a.name.localeCompare(b.name));
      session.typesError = '';
    } catch (e) {
      session.typesError = errorText(e);
    } finally {
      session.typesLoaded = true;
      loading = null;
    }
  })();
  return loading;
}

export function typeById(apiId: string): ContentTypeOut | undefined {
  return session.types.find((t) => t.api_id === apiId);
}
