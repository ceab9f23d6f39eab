// Who is signed in, and the content types they can see.
import { roleOf, type Role } from './roles';
import {
  errorText,
  getToken,
  listContentTypes,
  logout,
  me,
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
  /** Whether GET /auth/me has answered for this session. */
  meLoaded = $state(false);
  get role(): Role | null {
    return roleOf(this.user);
  }
}
export const session = new Session();

export function signedIn(token: string, user: UserOut): void {
  setSession(token, user);
  session.token = token;
  session.user = user;
  session.typesLoaded = false;
  session.types = [];
  session.meLoaded = true;
}

/** Forgets the session locally (the server side is revoked by signOut). */
export function clearSession(): void {
  setSession(null);
  session.token = null;
  session.user = null;
  session.types = [];
  session.typesLoaded = false;
  session.meLoaded = false;
}

export async function signOut(): Promise<void> {
  try {
    await logout();
  } catch {
    /* an expired token is signed out already */
  }
  clearSession();
}

/** Asks the server who is signed in (the role may have changed since sign-in). */
export async function loadMe(): Promise<void> {
  session.meLoaded = true;
  try {
    const user = await me();
    if (!session.token) return;
    session.user = user;
    setSession(session.token, user);
  } catch {
    /* a 401 signs out; anything else keeps the stored user */
  }
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
