// One video: status (live transcoding progress), policy, students, live sessions, violations.

import { get, getAll } from "./client.js";
import { badge, every, formatBytes, formatDuration, h, meter, notify } from "./dom.js";
import { liveSessionsPanel } from "./live-sessions.js";
import { policyForm } from "./policy-form.js";
import { startPage } from "./signin.js";
import { devicesDialog } from "./devices.js";
import { studentsPanel } from "./students.js";
import { violationsPanel } from "./violations.js";

const POLL_MS = 3000;
const videoId = Number(new URLSearchParams(location.search).get("id"));
const $ = (id) => document.getElementById(id);
const names = new Map(); // enrollment -> student name
const nameOf = (enrollment) => names.get(enrollment);

function renderStatus(video) {
  document.title = `${video.title} · lecturecast admin`;
  $("video-title").textContent = video.title;
  const parts = [badge(video.status)];
  if (video.status === "UPLOADED" || video.status === "PROCESSING") {
    parts.push(meter(video.processing_progress, "Transcoding progress"));
  }
  if (video.status === "FAILED" && video.error_reason) parts.push(h("span", {}, video.error_reason));
  if (video.duration) parts.push(h("span", {}, `Duration ${formatDuration(video.duration)}`));
  if (video.file_size) parts.push(h("span", {}, `Source ${formatBytes(video.file_size)}`));
  if (video.youtube_id) parts.push(h("span", {}, `YouTube ${video.youtube_id}`));
  if (video.external_url) parts.push(h("a", { href: video.external_url }, "external link"));
  $("video-status").replaceChildren(...parts);
  // None of the policy can apply to a video YouTube plays: say so instead of a form.
  const youtube = video.source_type === "youtube";
  $("policy").hidden = youtube;
  $("policy-youtube").hidden = !youtube;
}

async function showPlace(video) {
  try {
    const session = await get(`catalog/sessions/${video.session}/`);
    const lecture = await get(`catalog/lectures/${session.lecture}/`);
    const back = $("back");
    back.href = `./?lecture=${lecture.id}`;
    back.textContent = `← ${lecture.title} › ${session.title}`;
  } catch { /* the back link still leads to the video list */ }
}

async function init() {
  const notice = $("notice");
  if (!Number.isInteger(videoId) || videoId < 1) {
    notify(notice, "No video chosen: open one from the videos page.");
    return;
  }
  let current = null;
  const policy = policyForm($("policy"), {
    videoId, onSaved: (video) => { current = video; renderStatus(video); },
  });
  const devices = devicesDialog({ dialog: $("devices-dialog") });
  const students = studentsPanel({
    videoId, table: $("students"), summary: $("summary"), bulkForm: $("bulk"),
    dialog: $("rule-dialog"), onChanged: () => refreshStudents().catch((e) => notify(notice, e.message)),
    onDevices: (student) => devices.open(student),
  });
  const live = liveSessionsPanel({ videoId, tbody: $("live").querySelector("tbody"), notice, nameOf });
  const violations = violationsPanel({ videoId, tbody: $("violations").querySelector("tbody"), nameOf });

  async function refreshStudents() {
    const [stats, permissions] = await Promise.all([
      get(`media/videos/${videoId}/stats/`),
      getAll("media/video-permissions/", { video: videoId }),
    ]);
    names.clear();
    stats.students.forEach((s) => names.set(s.enrollment, s.student_name));
    if (!current) showPlace(stats.video);
    current = stats.video;
    renderStatus(stats.video);
    policy.fill(stats.video);
    students.render(stats, permissions);
  }

  const refreshAll = async () => {
    await refreshStudents();
    await Promise.all([live.load(), violations.load()]);
  };
  try {
    await refreshAll();
  } catch (err) {
    notify(notice, err.message);
    if (!current) return;
  }
  every(POLL_MS, refreshAll);
}

startPage(init);
