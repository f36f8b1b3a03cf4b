// The config token is kept for this tab only (sessionStorage), never in a cookie: a cookie would
// ride along on requests another site makes, a header set by this page's code cannot.
const KEY = 'jetmesh.console.token';

/** `jetmesh dashboard` may hand the token in the URL fragment, which never reaches a server; it is removed at once. */
export function takeToken(): string | undefined {
  const fromFragment = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (fromFragment !== null && fromFragment !== '') {
    sessionStorage.setItem(KEY, fromFragment);
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return fromFragment;
  }
  return sessionStorage.getItem(KEY) ?? undefined;
}

export const saveToken = (token: string): void => sessionStorage.setItem(KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(KEY);
