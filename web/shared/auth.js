// Sign-in by bearer token: from the URL fragment (`#token=...`, the demo links `make run`
// prints) or pasted into a form. The token is kept in sessionStorage (this tab only) and the
// fragment is wiped so it does not linger in the address bar or the history.

const STORAGE_KEY = "lecturecast.bearer";

/** The claims of a JWT, without verifying it (the server does); null when unreadable. */
export function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "="));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)); // UTF-8: names may not be ASCII
  } catch {
    return null;
  }
}

/** Whether a token's `exp` has passed (with a little slack for clock skew). */
export function isExpired(claims, now = Date.now() / 1000) {
  return !claims || (typeof claims.exp === "number" && claims.exp < now - 5);
}

/** Take `#token=` out of the URL fragment and remember it; returns the stored token or "". */
export function currentToken() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const fromHash = params.get("token");
  if (fromHash) {
    sessionStorage.setItem(STORAGE_KEY, fromHash.trim());
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  }
  return sessionStorage.getItem(STORAGE_KEY) || "";
}

/** Remember a pasted token (whitespace and a leading "Bearer " are forgiven). */
export function saveToken(raw) {
  const token = raw.trim().replace(/^Bearer\s+/i, "");
  sessionStorage.setItem(STORAGE_KEY, token);
  return token;
}

export function signOut() {
  sessionStorage.removeItem(STORAGE_KEY);
}

/**
 * Wire a sign-in form (an <input name="token"> in a <form>): on submit the token is saved and
 * `onToken(token, claims)` is called. Readable claims are required; the server decides the rest.
 */
export function bindSignIn(form, onToken, showError) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = saveToken(form.elements.token.value);
    const claims = claimsOf(token);
    if (!claims) {
      showError("That does not look like a sign-in token. Paste the whole token.");
      return;
    }
    if (isExpired(claims)) {
      showError("That token has expired. Ask for a new sign-in link.");
      return;
    }
    onToken(token, claims);
  });
}
