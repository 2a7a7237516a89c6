// The one way the pages talk to the gateway: same origin, bearer token, JSON in and out.
// Errors become ApiError with the HTTP status and the server's code ("detail"), so pages can
// turn them into sentences with messages.js instead of showing codes.

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when the network failed)
   * @param {string} code the server's `detail`, or a field error summary
   * @param {unknown} body the parsed JSON body, when there was one
   */
  constructor(status, code, body = null) {
    super(`${status} ${code}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

const API_BASE = "/api/v1/";

/** Field errors answer {field: [messages]}; fold them into one readable line. */
function codeOf(body, status) {
  if (body && typeof body === "object") {
    if (typeof body.detail === "string") return body.detail;
    const fields = Object.entries(body)
      .map(([field, msgs]) => `${field}: ${[].concat(msgs).join(" ")}`);
    if (fields.length) return fields.join("; ");
  }
  return `http_${status}`;
}

export class Api {
  /** @param {string} token a bearer JWT */
  constructor(token) {
    this.token = token;
  }

  /** The absolute API path of `path` ("media/videos/" -> "/api/v1/media/videos/"). */
  static url(path) {
    return path.startsWith("/") ? path : API_BASE + path;
  }

  /**
   * One request. `body` is sent as JSON unless it is a Blob/FormData; the answer is the
   * parsed JSON (or null for an empty body). Throws ApiError for anything but 2xx.
   */
  async request(method, path, { body, headers = {}, signal, keepalive = false } = {}) {
    const init = {
      method,
      headers: { Accept: "application/json", ...headers },
      // Same origin: cookies (the CDN's) go along; the bearer token is explicit.
      credentials: "same-origin",
      signal,
      keepalive,
    };
    if (this.token) init.headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) {
      if (body instanceof Blob || body instanceof FormData) {
        init.body = body;
      } else {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
    }
    let response;
    try {
      response = await fetch(Api.url(path), init);
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new ApiError(0, "network_error");
    }
    const text = await response.text();
    let parsed = null;
    if (text) {
      try { parsed = JSON.parse(text); } catch { parsed = text; }
    }
    if (!response.ok) throw new ApiError(response.status, codeOf(parsed, response.status), parsed);
    return parsed;
  }

  get(path, options) { return this.request("GET", path, options); }
  post(path, body, options = {}) { return this.request("POST", path, { ...options, body }); }
  patch(path, body, options = {}) { return this.request("PATCH", path, { ...options, body }); }
  put(path, body, options = {}) { return this.request("PUT", path, { ...options, body }); }
  delete(path, options) { return this.request("DELETE", path, options); }

  /** Every item of a paginated list ({count, next, results}), following `next`. */
  async listAll(path, { pageSize = 100, limit = 5000 } = {}) {
    const sep = path.includes("?") ? "&" : "?";
    let url = `${Api.url(path)}${sep}page_size=${pageSize}`;
    const items = [];
    while (url && items.length < limit) {
      const page = await this.get(url);
      if (Array.isArray(page)) return page;
      items.push(...(page.results || []));
      // `next` is absolute; keep only path + query so the request stays on this origin.
      const next = page.next ? new URL(page.next, location.origin) : null;
      url = next ? next.pathname + next.search : null;
    }
    return items;
  }
}
