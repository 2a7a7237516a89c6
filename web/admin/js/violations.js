// A video's recent policy violations (the audit trail's events/?violated=true).

import { get } from "./client.js";
import { formatTime, h } from "./dom.js";
import { eventLabel, eventSentence, reasonText } from "./wording.js";

const RECENT = 20;

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
          h("td", {}, eventLabel(e.event_type)),
          h("td", {}, reasonText(e.violation_reason)),
          h("td", {}, eventSentence(e.event_type, e.event_payload))))
      : [h("tr", {}, h("td", { colspan: 5, class: "empty" }, "No violations reported."))]));
  }
  return { load };
}
