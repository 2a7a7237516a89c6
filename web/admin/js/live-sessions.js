// A video's live playback sessions, with revoke (playback-sessions/).

import { ApiError, getAll, post } from "./client.js";
import { badge, formatTime, h, notify } from "./dom.js";
import { deviceName } from "./wording.js";

/**
 * The panel. `load()` re-reads the video's ACTIVE sessions. A session revoked here is shown as
 * revoked until the server stops listing it as active (its lifecycle record follows shortly).
 */
export function liveSessionsPanel({ videoId, tbody, notice, nameOf }) {
  const revoked = new Set();
  let shown = "";

  async function revoke(session) {
    const who = nameOf(session.enrollment) ?? session.user_id;
    try {
      await post(`media/playback-sessions/${session.session_id}/revoke/`);
      revoked.add(session.session_id);
      notify(notice, `Revoked the session of ${who}: their player stops at its next heartbeat.`, "ok");
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        revoked.add(session.session_id); // it ended on its own meanwhile
        notify(notice, `The session of ${who} is no longer live (${err.message}).`, "info");
      } else {
        notify(notice, `Could not revoke the session of ${who}: ${err.message}`);
      }
    }
    await load();
  }

  function row(session) {
    const who = nameOf(session.enrollment) ?? session.user_id;
    const gone = revoked.has(session.session_id);
    return h("tr", { dataset: { sessionId: session.session_id } },
      h("td", {}, who, h("div", { class: "hint" }, session.user_id)),
      h("td", {}, h("code", { title: session.session_id }, session.session_id.slice(0, 8)), " ",
        badge(gone ? "REVOKED" : session.status)),
      h("td", { title: session.device_id }, deviceName(session.device_id, session.user_agent)),
      h("td", {}, formatTime(session.started_at)),
      h("td", {}, formatTime(session.last_seen_at)),
      h("td", {}, gone ? "" : h("button", {
        type: "button", class: "danger", "aria-label": `Revoke the session of ${who}`,
        onclick: (e) => { e.target.disabled = true; revoke(session); },
      }, "Revoke")));
  }

  async function load() {
    const sessions = await getAll("media/playback-sessions/", { video: videoId, status: "ACTIVE" });
    const live = new Set(sessions.map((s) => s.session_id));
    [...revoked].filter((id) => !live.has(id)).forEach((id) => revoked.delete(id));
    const key = JSON.stringify([sessions, [...revoked]]);
    if (key === shown) return;
    shown = key;
    tbody.replaceChildren(...(sessions.length
      ? sessions.map(row)
      : [h("tr", {}, h("td", { colspan: 6, class: "empty" }, "Nobody is watching this video right now."))]));
  }

  return { load };
}
