// The academy's media settings (GET/PATCH media/settings/): limits, limit behaviour,
// completion threshold, violations, encryption. Only changed keys are sent; the server's
// field errors are shown next to their fields.

import { fieldErrors, get, patch } from "./client.js";
import { notify } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./errors.js";
import { startPage } from "./signin.js";

const form = document.getElementById("settings");
const status = document.getElementById("settings-status");
const formError = document.getElementById("settings-error");
let loaded = null;

function fill(settings) {
  loaded = settings;
  for (const [name, value] of Object.entries(settings)) {
    const input = form.elements.namedItem(name);
    if (!input) continue;
    if (input.type === "checkbox") input.checked = Boolean(value);
    else input.value = String(value);
  }
}

/** The value of one input as the API types it (a number field left unreadable stays text). */
function valueOf(input) {
  if (input.type === "checkbox") return input.checked;
  if (input.type === "number") {
    const raw = input.value.trim();
    return raw !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return input.value;
}

function changedValues() {
  const out = {};
  for (const name of Object.keys(loaded)) {
    const input = form.elements.namedItem(name);
    if (!input) continue;
    const value = valueOf(input);
    if (value !== loaded[name]) out[name] = value;
  }
  return out;
}

async function init() {
  const notice = document.getElementById("notice");
  try {
    fill(await get("media/settings/"));
  } catch (err) {
    notify(notice, err.message);
    form.querySelector('button[type="submit"]').disabled = true;
    return;
  }
  form.addEventListener("input", () => { status.textContent = "Unsaved changes."; });
  document.getElementById("settings-reset").addEventListener("click", () => {
    clearFieldErrors(form);
    formError.textContent = "";
    fill(loaded);
    status.textContent = "Changes undone.";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    formError.textContent = "";
    const changes = changedValues();
    if (!Object.keys(changes).length) {
      status.textContent = "Nothing changed.";
      return;
    }
    status.textContent = "Saving…";
    try {
      fill(await patch("media/settings/", changes));
      status.textContent = "Settings saved.";
    } catch (err) {
      status.textContent = "Not saved: see the messages above.";
      if (fieldErrors(err)) showFieldErrors(form, fieldErrors(err), formError);
      else formError.textContent = err.message;
    }
  });
}

startPage(init);
