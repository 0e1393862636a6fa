// The API client: JSON in and out, problem+json errors as ApiError, and the session. The
// access token lives only in this module's memory; the refresh token in this tab's
// sessionStorage of the widget's own origin (never reachable by the host page), so a reload
// keeps the reader signed in. The access token is refreshed before it expires, and once on a 401.
const BASE = '/api/v1';
const REFRESH_KEY = 'hindsight.refresh';

/** An error answer (status 0: the network failed), with its problem document. */
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super((problem && problem.detail) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

const session = { access: null, refresh: null, user: null, timer: null };
const listeners = new Set();

/** Calls `fn(user)` whenever the signed-in user changes (null: signed out). */
export function onSession(fn) {
  listeners.add(fn);
}

/** The signed-in account (from the auth answer or /me), or null. */
export const currentUser = () => session.user;

/** Whether the signed-in user may moderate. */
export const isModerator = () => !!session.user && ['moderator', 'admin'].includes(session.user.role);

let announced = null;

/** Tells the listeners when who is signed in changed (not at every token refresh). */
function emit() {
  const id = session.user ? session.user.id : null;
  if (id === announced) return;
  announced = id;
  for (const fn of listeners) fn(session.user);
}

function store(auth) {
  session.access = auth.access_token;
  session.refresh = auth.refresh_token;
  session.user = auth.user;
  try {
    sessionStorage.setItem(REFRESH_KEY, auth.refresh_token);
  } catch { /* storage may be off: the session then lasts as long as the page */ }
  clearTimeout(session.timer);
  const lead = Math.max(10, auth.expires_in - 60) * 1000;
  session.timer = setTimeout(() => refresh().catch(() => {}), lead);
}

function forget() {
  clearTimeout(session.timer);
  session.access = session.refresh = session.user = null;
  try {
    sessionStorage.removeItem(REFRESH_KEY);
  } catch { /* nothing stored */ }
}

async function raw(method, path, body, token) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (response.status === 204) return null;
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiError(response.status, data, response.headers.get('retry-after'));
  return data;
}

let refreshing = null;

/** Exchanges the refresh token for a new pair (one at a time); signs out when refused. */
export function refresh() {
  if (!session.refresh) return Promise.reject(new ApiError(401, null));
  refreshing = refreshing || raw('POST', '/auth/refresh', { refresh_token: session.refresh })
    .then((auth) => {
      store(auth);
      emit();
      return auth;
    })
    .catch((error) => {
      if (error.status === 401 || error.status === 403) {
        forget();
        emit();
      }
      throw error;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** An API call with the session's token; a 401 refreshes once and retries. */
export async function api(method, path, body) {
  try {
    return await raw(method, path, body, session.access);
  } catch (error) {
    if (error.status === 401 && session.refresh && !path.startsWith('/auth/')) {
      await refresh();
      return raw(method, path, body, session.access);
    }
    throw error;
  }
}

/** Signs in (login or register) and announces the new user. */
export async function signIn(kind, fields) {
  const auth = await raw('POST', `/auth/${kind}`, fields);
  store(auth);
  emit();
  return auth.user;
}

/** Signs out here and on the server (the refresh family is revoked). */
export async function signOut() {
  const token = session.refresh;
  forget();
  emit();
  if (token) await raw('POST', '/auth/logout', { refresh_token: token }).catch(() => {});
}

/** Resumes a session kept in this tab (after a reload); quietly stays signed out otherwise. */
export async function resume() {
  let token = null;
  try {
    token = sessionStorage.getItem(REFRESH_KEY);
  } catch { /* storage off */ }
  if (!token) return;
  session.refresh = token;
  await refresh().catch(() => forget());
}

/** Re-reads /me (karma, unread count, role). */
export async function reloadMe() {
  if (!session.access) return null;
  const me = await api('GET', '/me');
  session.user = { ...session.user, ...me };
  return me;
}
