// Sentences for what the admin pages show: a player event ("skipped ahead from 0:12 to 0:17
// (not allowed)") and a device ("Chrome on Linux"), never the stored words or ids.
// Pure: no DOM, no fetch; the payloads come from players, so anything may be missing or odd.

import { clock } from "/app/shared/dom.js";

const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const at = (v) => (num(v) === null ? "an unknown point" : clock(v));
const speed = (v) => (num(v) === null ? "an unknown speed" : `${Number(v.toFixed(2))}x`);

/** Short names for the Event column. */
const LABELS = {
  SEEK_ATTEMPT: "Seek",
  SPEED_CHANGE_ATTEMPT: "Speed change",
  POSITION: "Playing",
  PLAY_START: "Play",
  PAUSE: "Pause",
  ENDED: "Reached the end",
  VISIBILITY_HIDDEN: "Tab hidden",
  VISIBILITY_VISIBLE: "Tab visible again",
  FOCUS_LOST: "Focus lost",
  FOCUS_GAINED: "Focus back",
  FULLSCREEN_ENTER: "Full screen",
  FULLSCREEN_EXIT: "Left full screen",
  PLAYER_ERROR: "Player error",
  MULTIPLE_SCREENS: "Several screens",
};

/** Why the server flagged an event (policy/violations.py's reasons). */
const REASONS = {
  seek_not_allowed: "seeking is not allowed",
  speed_exceeds_max: "the speed is above the maximum",
  speed_control_disabled: "speed control is off",
  position_jump: "the position jumped ahead of real playback",
  rate_exceeded: "played faster than allowed",
};

/** "SOME_TYPE" -> "Some type": the fallback for a type this page does not know yet. */
function words(text) {
  const s = String(text ?? "").toLowerCase().replace(/_+/g, " ").trim();
  return s ? s[0].toUpperCase() + s.slice(1) : "Unknown event";
}

/** A short name for an event type. */
export function eventLabel(type) {
  return LABELS[type] ?? words(type);
}

/** Why a violation was flagged, as words. */
export function reasonText(reason) {
  return reason ? REASONS[reason] ?? words(reason).toLowerCase() : "";
}

function seek(p) {
  const from = num(p.from);
  const to = num(p.to);
  const way = from !== null && to !== null && to < from ? "went back" : "skipped ahead";
  const allowed = p.allowed === true ? " (allowed)" : p.allowed === false ? " (not allowed)" : "";
  return `${way} from ${at(from)} to ${at(to)}${allowed}`;
}

const SENTENCES = {
  SEEK_ATTEMPT: seek,
  SPEED_CHANGE_ATTEMPT: (p) => `asked for ${speed(p.requested)}`
    + (num(p.allowed) !== null ? ` (at most ${speed(p.allowed)} allowed)` : ""),
  POSITION: (p) => `was at ${at(p.position)}`
    + (num(p.rate) !== null && p.rate !== 1 ? `, playing at ${speed(p.rate)}` : ""),
  PLAY_START: (p) => `started playing at ${at(p.position)}`,
  PAUSE: (p) => `paused at ${at(p.position)}`,
  ENDED: (p) => `reached the end at ${at(p.position)}`,
  VISIBILITY_HIDDEN: () => "hid the player's tab or window",
  VISIBILITY_VISIBLE: () => "came back to the player's tab",
  FOCUS_LOST: () => "switched to another window (the player lost focus)",
  FOCUS_GAINED: () => "came back to the player window",
  FULLSCREEN_ENTER: () => "went full screen",
  FULLSCREEN_EXIT: () => "left full screen",
  PLAYER_ERROR: (p) => `the player reported an error${typeof p.message === "string"
    ? `: ${p.message.slice(0, 60)}` : ""}`,
  MULTIPLE_SCREENS: (p) => `used several screens${num(p.count) !== null ? ` (${p.count})` : ""}`,
};

/** A sentence for one event and its payload (without the student: "skipped ahead ..."). */
export function eventSentence(type, payload) {
  const p = payload && typeof payload === "object" && !Array.isArray(payload) ? payload : {};
  const say = SENTENCES[type];
  return say ? say(p) : words(type).toLowerCase();
}

// Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", Android "Linux".
const BROWSERS = [
  [/Edg(e|A|iOS)?\//, "Edge"], [/OPR\/|Opera/, "Opera"], [/Firefox\/|FxiOS/, "Firefox"],
  [/HeadlessChrome/, "Chrome (headless)"], [/Chromium\//, "Chromium"],
  [/Chrome\/|CriOS/, "Chrome"], [/Version\/[\d.]+.*Safari/, "Safari"],
];
const SYSTEMS = [
  [/Windows/, "Windows"], [/Android/, "Android"], [/iPhone|iPad|iPod/, "iOS"],
  [/CrOS/, "ChromeOS"], [/Mac OS X|Macintosh/, "macOS"], [/Linux|X11/, "Linux"],
];
const FROM_ID = { chromium: "A Chrome-like browser", firefox: "Firefox", volatile: "A private window" };

const first = (table, text) => table.find(([re]) => re.test(text))?.[1] ?? null;

/**
 * A readable name for a device: "Firefox on Windows" from its user agent when stored, else
 * from its id ("web:firefox:..."); a short tag of the id tells two alike devices apart.
 */
export function deviceName(deviceId, userAgent) {
  const id = String(deviceId ?? "");
  const ua = String(userAgent ?? "");
  const browser = ua ? first(BROWSERS, ua) : null;
  const system = ua ? first(SYSTEMS, ua) : null;
  let name;
  if (browser || system) name = `${browser ?? "A browser"}${system ? ` on ${system}` : ""}`;
  else name = FROM_ID[id.split(":")[1]] ?? "A device";
  const tag = id.split(":").pop().replace(/[^0-9a-zA-Z]/g, "").slice(0, 6);
  return tag ? `${name} (${tag})` : name;
}
