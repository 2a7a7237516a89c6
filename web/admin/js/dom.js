// Small DOM and formatting helpers of the admin pages, on top of the pages' shared ones.

import { clock, h } from "/app/shared/dom.js";

export { h };

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
  return seconds === null || seconds === undefined ? "" : clock(Math.round(seconds));
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
