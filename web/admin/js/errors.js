// Human messages for what the API answers: error codes, `{detail}` texts, `{field: [messages]}`.

/** The API's codes (`detail`) and what they mean to an admin. */
const CODES = {
  session_service_unavailable:
    "The playback service did not answer in time. Try again in a few seconds.",
  session_revoked: "That session has already been revoked.",
  invalid_token: "The playback token is not valid.",
  token_expired: "The playback token has expired.",
  video_not_ready: "The video is not ready yet.",
  blocked: "This student is blocked from this video.",
  already_completed_once: "This student may watch this video once and has already finished it.",
  "S3 object not found": "The uploaded file is not on the storage server (the upload did not finish): upload it again.",
};

const BY_STATUS = {
  0: "The server cannot be reached. Check your connection and try again.",
  401: "You are not signed in, or your sign-in has expired. Paste a fresh admin token.",
  403: "Your sign-in may not do this. Managers (admin, staff, teacher) manage videos; "
    + "only admins change the academy's settings.",
  404: "Not found: it may have been deleted, or it belongs to another academy.",
  409: "That conflicts with the current state; reload and try again.",
  413: "That is too large for the server.",
  429: "Too many requests; wait a moment and try again.",
};

/** Turn msgspec's terse validation text into a sentence. */
export function humanize(message) {
  const text = String(message);
  const rules = [
    [/^Expected `(\w+)` >= (\S+?)\.?$/, (_, t, n) => `Must be at least ${n}.`],
    [/^Expected `(\w+)` > (\S+?)\.?$/, (_, t, n) => `Must be more than ${n}.`],
    [/^Expected `(\w+)` <= (\S+?)\.?$/, (_, t, n) => `Must be at most ${n}.`],
    [/^Expected `(\w+)` < (\S+?)\.?$/, (_, t, n) => `Must be less than ${n}.`],
    [/^Expected `int`, got `float`\.?$/, () => "Must be a whole number."],
    [/^Expected `(int|float)`, got `\w+`\.?$/, () => "Must be a number."],
    [/^Expected `bool`, got `\w+`\.?$/, () => "Must be yes or no."],
    [/^Invalid enum value '(.*)'\.?$/, (_, v) => `"${v}" is not one of the choices.`],
    [/^Expected `str` of length >= 1\.?$/, () => "This field may not be blank."],
  ];
  for (const [pattern, make] of rules) {
    const m = text.match(pattern);
    if (m) return make(...m);
  }
  return text.replace(/`/g, "");
}

/** A one-line message for a failed response (status 0: no response at all). */
export function describeFailure(status, body) {
  if (body && typeof body === "object" && !Array.isArray(body)) {
    if (typeof body.detail === "string") {
      if (CODES[body.detail]) return CODES[body.detail];
      if (status === 401) return `${BY_STATUS[401]} (${body.detail})`;
      if (status === 403 && body.detail.startsWith("You do not have permission")) {
        return BY_STATUS[403];
      }
      return humanize(body.detail);
    }
    const fields = Object.entries(body).filter(([, v]) => Array.isArray(v));
    if (status === 400 && fields.length) {
      return fields.map(([f, msgs]) => `${label(f)}: ${msgs.map(humanize).join(" ")}`).join(" ");
    }
  }
  if (status >= 500) return `The server failed (${status}). Try again; if it persists, tell the operators.`;
  return BY_STATUS[status] ?? `The request failed (${status}).`;
}

/** `max_speed_override` -> `Max speed override`; `non_field_errors` -> `Error`. */
export function label(field) {
  if (field === "non_field_errors") return "Error";
  const words = field.replace(/[._]/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Show `{field: [messages]}` next to the form's fields (`[data-error-for=field]`), marking the
 * inputs invalid; messages for fields without a slot go to `fallback`. Returns true if any.
 */
export function showFieldErrors(form, errors, fallback) {
  clearFieldErrors(form);
  const leftovers = [];
  for (const [field, messages] of Object.entries(errors ?? {})) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    const text = (Array.isArray(messages) ? messages : [String(messages)]).map(humanize).join(" ");
    if (!slot) {
      leftovers.push(field === "non_field_errors" ? text : `${label(field)}: ${text}`);
      continue;
    }
    slot.textContent = text;
    const input = form.elements.namedItem(field);
    if (input && "setAttribute" in input) {
      input.setAttribute("aria-invalid", "true");
      const ids = new Set((input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
      ids.add(slot.id);
      input.setAttribute("aria-describedby", [...ids].join(" "));
    }
  }
  if (fallback) fallback.textContent = leftovers.join(" ");
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
  return Object.keys(errors ?? {}).length > 0;
}

export function clearFieldErrors(form) {
  form.querySelectorAll("[data-error-for]").forEach((slot) => { slot.textContent = ""; });
  form.querySelectorAll('[aria-invalid="true"]').forEach((el) => el.removeAttribute("aria-invalid"));
}
