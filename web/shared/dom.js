// Tiny DOM helpers so the pages stay plain: build elements, show status lines, format numbers.

/**
 * h("button", {class: "x", onclick: fn}, "text", child) -> an element. Attributes starting
 * with "on" become listeners; `dataset: {k: v}` sets data-* attributes; `hidden`/`disabled`
 * booleans are properties; text is never HTML.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      el.className = value;
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "style") {
      // Through the CSSOM: the pages' CSP forbids inline style attributes, not this.
      el.style.cssText = value;
    } else if (name in el && typeof value === "boolean") {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Show `text` in a status element (role=status/alert); kind: "info" | "error" | "ok". */
export function say(el, text, kind = "info") {
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = !text;
}

/** 75 -> "1:15"; 3725 -> "1:02:05". */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** 0.4567 -> "46%". */
export function percent(ratio) {
  return `${Math.round(Math.max(0, Math.min(1, ratio || 0)) * 100)}%`;
}
