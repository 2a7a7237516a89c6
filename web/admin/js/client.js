// The admin pages' access to the API, on top of the shared client (/app/shared/api.js) and the
// shared sign-in token (/app/shared/auth.js, so one sign-in serves the player and the admin).
// Every failure is the shared ApiError with its message replaced by a sentence for an admin
// (errors.js); a 401 tells the page to sign in again.

import { Api, ApiError } from "/app/shared/api.js";
import { claimsOf, currentToken } from "/app/shared/auth.js";
import { describeFailure } from "./errors.js";

export { ApiError };

/** The claims of the current token (not verified: the server does that), or null. */
export function claims() {
  const token = currentToken();
  return token ? claimsOf(token) : null;
}

const signedOutListeners = new Set();
/** Call `listener(error)` whenever the server answers 401 (the token is no longer good). */
export function onSignedOut(listener) {
  signedOutListeners.add(listener);
}

/** `{field: [messages]}` of a 400 with field errors, else null. */
export function fieldErrors(error) {
  const body = error instanceof ApiError ? error.body : null;
  if (error?.status !== 400 || !body || typeof body !== "object" || "detail" in body) return null;
  return body;
}

function withQuery(path, query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const text = params.toString();
  return text ? `${path}${path.includes("?") ? "&" : "?"}${text}` : path;
}

async function call(run) {
  try {
    return await run(new Api(currentToken()));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    err.message = describeFailure(err.status, err.body);
    if (err.status === 401) signedOutListeners.forEach((fn) => fn(err));
    throw err;
  }
}

// Paths are below /api/v1/ without a leading slash ("media/videos/"), or absolute.
export const get = (path, query) => call((api) => api.get(withQuery(path, query)));
export const post = (path, body) => call((api) => api.post(path, body ?? {}));
export const patch = (path, body) => call((api) => api.patch(path, body));
export const del = (path) => call((api) => api.delete(path));
/** Every row of a paginated list, with `query` as filters. */
export const getAll = (path, query) =>
  call((api) => api.listAll(withQuery(path, query), { pageSize: 200 }));
