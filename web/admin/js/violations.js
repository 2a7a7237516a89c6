// A video's recent policy violations (the audit trail's events/?violated=true).

import { get } from "./client.js";
import { formatTime, h } from "./dom.js";

const RECENT = 20;
const REASONS = {
  seek_not_allowed: "sought forward where seeking is not allowed",
  speed_exceeds_max: "asked for a speed above the maximum",
  speed_control_disabled: "changed speed where speed control is off",
  position_jump: "the position jumped ahead of real playback",
  rate_exceeded: "played faster than allowed",
};

function details(payload) {
  const text = Object.entries(payload ?? {}).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ");
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** The panel; `load()` re-reads the latest violations of the video. */
export function violationsPanel({ videoId, tbody, nameOf }) {
  let shown = "";
  async function load() {
    const page = await get("media/events/", { video: videoId, violated: "true", page_size: RECENT });
    const key = JSON.stringify(page.results);
    if (key === shown) return;
    shown = key;
    tbody.replaceChildren(...(page.results.length
      ? page.results.map((e) => h("tr", {},
          h("td", {}, formatTime(e.occurred_at)),
          h("td", {}, nameOf(e.enrollment) ?? e.user_id),
          h("td", {}, h("code", {}, e.event_type)),
          h("td", {}, REASONS[e.violation_reason] ?? e.violation_reason),
          h("td", { class: "hint" }, details(e.event_payload))))
      : [h("tr", {}, h("td", { colspan: 5, class: "empty" }, "No violations reported."))]));
  }
  return { load };
}
