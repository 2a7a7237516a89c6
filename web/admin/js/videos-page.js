// The videos page: a lecture's class sessions, each with its videos (status, live transcoding
// progress) and an upload form.

import { claims, del, get, getAll, post } from "./client.js";
import { badge, every, formatBytes, formatDuration, h, meter, notify } from "./dom.js";
import { startPage } from "./signin.js";
import { linkForm } from "./link-form.js";
import { uploadForm } from "./upload-form.js";

const POLL_MS = 2000;
const IN_FLIGHT = new Set(["UPLOADED", "PROCESSING"]);
const notice = () => document.getElementById("notice");
const views = new Map(); // session id -> {session, tbody, videos}

function progressCell(video) {
  if (video.status === "FAILED") return h("span", { class: "hint" }, "—");
  if (video.source_type === "youtube" || video.source_type === "external") {
    return h("span", { class: "hint" }, "link, not transcoded");
  }
  return meter(video.processing_progress, `Transcoding progress of ${video.title}`);
}

function actions(view, video) {
  const cell = h("td", {});
  if (video.status === "FAILED") {
    cell.append(h("button", {
      type: "button", class: "secondary",
      onclick: async () => {
        try {
          await post(`media/videos/${video.id}/retry/`);
          notify(notice(), `Transcoding "${video.title}" again.`, "info");
          await loadVideos(view);
        } catch (err) {
          notify(notice(), err.message);
        }
      },
    }, "Retry"), " ");
  }
  cell.append(h("button", {
    type: "button", class: "danger", "aria-label": `Delete ${video.title}`,
    onclick: async () => {
      if (!confirm(`Delete "${video.title}" and its files? Students lose access at once.`)) return;
      try {
        await del(`media/videos/${video.id}/`);
        notify(notice(), `Deleted "${video.title}".`, "ok");
        await loadVideos(view);
      } catch (err) {
        notify(notice(), err.message);
      }
    },
  }, "Delete"));
  return cell;
}

function videoRow(view, video) {
  const status = h("td", {}, badge(video.status));
  if (video.status === "FAILED" && video.error_reason) {
    status.append(h("div", { class: "hint" }, video.error_reason));
  }
  return h("tr", { dataset: { videoId: video.id, status: video.status } },
    h("td", {}, h("a", { href: `video.html?id=${video.id}` }, video.title)),
    status,
    h("td", {}, progressCell(video)),
    h("td", { class: "num" }, formatDuration(video.duration)),
    h("td", { class: "num" }, formatBytes(video.file_size)),
    actions(view, video));
}

function renderVideos(view) {
  const key = JSON.stringify(view.videos);
  if (key === view.shown) return; // redraw only on change: keeps keyboard focus in place
  view.shown = key;
  view.tbody.replaceChildren(...(view.videos.length
    ? view.videos.map((v) => videoRow(view, v))
    : [h("tr", {}, h("td", { colspan: 6, class: "empty" }, "No videos yet."))]));
}

async function loadVideos(view) {
  view.videos = await getAll("media/videos/", { session: view.session.id });
  renderVideos(view);
  view.uploadForm?.follow(view.videos);
}

function sessionSection(session, tenant) {
  const headingId = `session-${session.id}-title`;
  const tbody = h("tbody", {});
  const view = { session, tbody, videos: [], uploadForm: null };
  view.uploadForm = uploadForm({ session, tenant, onUploaded: () => loadVideos(view) });
  const section = h("section", { class: "card", "aria-labelledby": headingId },
    h("h2", { id: headingId }, session.title),
    h("table", {},
      h("caption", { class: "sr-only" }, `Videos of ${session.title}`),
      h("thead", {}, h("tr", {},
        ...["Title", "Status", "Progress", "Duration", "Size", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      tbody),
    view.uploadForm,
    linkForm({ session, onAdded: () => loadVideos(view) }));
  views.set(session.id, view);
  return { section, view };
}

async function showLecture(lectureId) {
  const container = document.getElementById("sessions");
  container.replaceChildren(h("p", { class: "hint" }, "Loading…"));
  views.clear();
  const sessions = await getAll("catalog/sessions/", { lecture: lectureId });
  const tenant = claims()?.tenant ?? "";
  if (!sessions.length) {
    container.replaceChildren(h("p", { class: "card empty" }, "This lecture has no class sessions yet."));
    return;
  }
  const built = sessions.map((s) => sessionSection(s, tenant));
  container.replaceChildren(...built.map((b) => b.section));
  await Promise.all(built.map((b) => loadVideos(b.view)));
}

async function init() {
  const select = document.getElementById("lecture");
  try {
    const lectures = await getAll("catalog/lectures/");
    document.getElementById("lecture-empty").hidden = lectures.length > 0;
    select.replaceChildren(...lectures.map((l) => h("option", { value: l.id }, l.title)));
    const wanted = new URLSearchParams(location.search).get("lecture");
    if (wanted && lectures.some((l) => String(l.id) === wanted)) select.value = wanted;
    if (lectures.length) await showLecture(select.value);
  } catch (err) {
    notify(notice(), err.message);
  }
  select.addEventListener("change", async () => {
    const url = new URL(location.href);
    url.searchParams.set("lecture", select.value);
    history.replaceState(null, "", url);
    notify(notice(), "");
    try { await showLecture(select.value); } catch (err) { notify(notice(), err.message); }
  });
  // Live transcoding progress: re-read the sessions that have a video on its way.
  every(POLL_MS, async () => {
    const busy = [...views.values()].filter((v) => v.videos.some((x) => IN_FLIGHT.has(x.status)));
    await Promise.all(busy.map(loadVideos));
  });
}

startPage(init);
