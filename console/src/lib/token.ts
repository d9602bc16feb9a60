// Where the sign-in token lives: in memory, mirrored to sessionStorage so a reload of the
// tab keeps the session. Never localStorage: sessionStorage dies with the tab and is not
// shared with other tabs, so a token is not left behind on a shared computer.
const KEY = "bitcart.console.token";

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null; // storage switched off: memory only
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // storage switched off: the token lives in memory only
  }
}
