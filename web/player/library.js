// The student's list of videos (GET my-videos/): progress, where they will resume, and why a
// video cannot be played yet, before Play is even pressed.
import { clock, h, percent } from "/app/shared/dom.js";
import { messageFor } from "/app/shared/messages.js";

/** Why `item` cannot be played, as a sentence; "" when it can. */
export function blockedReason(item) {
  if (item.status === "FAILED") {
    return "This video could not be prepared. Ask your teacher to upload it again.";
  }
  if (item.status !== "READY") return messageFor({ code: "video_not_ready" });
  if (item.rule === "blocked") return messageFor({ code: "blocked" });
  if (item.rule === "once" && item.completed) return messageFor({ code: "already_completed_once" });
  return "";
}

/** The header's words: the student's name when the profile has one, else the sign-in id. */
export function signedInAs(me, sub) {
  const name = me && typeof me.name === "string" ? me.name.trim() : "";
  return `Signed in as ${name || sub}`;
}

function poster(item) {
  // Decorative (the title is next to it): an empty alt keeps screen readers on the title.
  return item.poster_url
    ? h("img", { class: "poster", src: item.poster_url, alt: "", loading: "lazy" })
    : h("div", { class: "poster none", "aria-hidden": "true" });
}

function progressText(item) {
  if (item.completed) return "Completed";
  if (item.last_position > 0) return `Resume at ${clock(item.last_position)}`;
  return "Not started";
}

function row(item, onPlay) {
  const reason = blockedReason(item);
  const bar = h("div", {
    class: "progress", role: "progressbar", "aria-label": `Watched of ${item.title}`,
    "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(item.progress * 100),
  }, h("span", { style: `width: ${percent(item.progress)}` }));
  return h("li", { "data-video": item.video },
    poster(item),
    h("div", {},
      h("div", { class: "title" }, item.title),
      h("div", { class: "muted" },
        [item.duration ? clock(item.duration) : null, progressText(item)]
          .filter(Boolean).join(" · ")),
      reason ? h("div", { class: "muted reason" }, reason) : null),
    h("div", {}, bar, h("div", { class: "muted" }, `${percent(item.progress)} watched`)),
    h("div", {}, h("button", {
      type: "button", disabled: Boolean(reason), onclick: () => onPlay(item),
      "aria-label": `Play ${item.title}`,
    }, item.last_position > 0 && !item.completed ? "Resume" : "Play")));
}

/**
 * Load and draw the library into `list`; `onPlay(item)` when a Play button is pressed.
 * Returns the items (an ApiError propagates to the caller).
 */
export async function showLibrary(api, list, onPlay) {
  const items = await api.listAll("media/my-videos/");
  list.replaceChildren(...items.map((item) => row(item, onPlay)));
  return items;
}
