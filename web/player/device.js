// One id per browser profile, kept in localStorage like the seed's (same key), so the tenant's
// device limit counts browsers, not page loads.
const KEY = "device_id_v1";

function randomId() {
  return crypto.randomUUID ? crypto.randomUUID().replace(/-/g, "")
    : Math.random().toString(16).slice(2) + Date.now().toString(16);
}

/** This browser's device id; a per-page one when storage is unavailable (private modes). */
export function deviceId() {
  try {
    const existing = localStorage.getItem(KEY);
    if (existing) return existing;
    const id = `web:${navigator.userAgent.includes("Firefox") ? "firefox" : "chromium"}:${randomId()}`;
    localStorage.setItem(KEY, id);
    return id;
  } catch {
    return `web:volatile:${randomId()}`;
  }
}
