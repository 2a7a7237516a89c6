// Small DOM and formatting helpers shared by the admin pages.

/** Create an element: h("td", {class: "num"}, "12"). Attributes starting with "on" bind events. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A labelled progress bar with its percentage as text (`value` 0..100). */
export function meter(value, label) {
  const pct = Math.max(0, Math.min(100, Math.round(value)));
  return h("div", { class: "meter" },
    h("progress", { max: 100, value: pct, "aria-label": label }),
    h("span", { class: "pct" }, `${pct} %`));
}

/** A status badge: READY, PROCESSING, ACTIVE... with a readable word. */
const STATUS_WORDS = {
  PENDING: "Pending", UPLOADED: "Uploaded, waiting", PROCESSING: "Transcoding", READY: "Ready",
  FAILED: "Failed", ACTIVE: "Live", ENDED: "Ended", REVOKED: "Revoked", EXPIRED: "Expired",
};
export function badge(status) {
  return h("span", { class: `badge badge-${status}` }, STATUS_WORDS[status] ?? status);
}

export function formatBytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i && v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.round(seconds);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

export function formatTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** Show a message in a notice element (`kind`: error, ok, info); empty text hides it. */
export function notify(el, text, kind = "error") {
  el.className = `notice ${kind}`;
  el.textContent = text ?? "";
}

/** Run `fn` every `ms` while the page is visible; returns a stop function. */
export function every(ms, fn) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    if (document.visibilityState === "visible") {
      try { await fn(); } catch (err) { console.warn(err); }
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  return () => { stopped = true; clearTimeout(timer); };
}
