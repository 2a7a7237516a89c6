// The upload form of one class session: file, title, resumable option, progress, pause/resume.

import { fieldErrors } from "./client.js";
import { formatBytes, h, meter } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./errors.js";
import {
  MULTIPART_THRESHOLD, UploadError, VideoUpload, forgetInterrupted, interruptedUploads, savedUpload,
} from "./upload.js";

const ACCEPT = "video/*,.mp4,.m4v,.mov,.mkv,.webm,.avi,.mpeg,.mpg,.ts,.wmv,.flv,.3gp";

function stem(name) {
  return name.replace(/\.[^.]+$/, "").replace(/[_-]+/g, " ").trim() || name;
}

/** What the note under the form says about the video it uploaded, as that video moves on. */
export function transcodeNote(video) {
  const title = `"${video.title}"`;
  if (video.status === "READY") return `${title} is ready.`;
  if (video.status === "FAILED") {
    return `Transcoding ${title} failed${video.error_reason ? `: ${video.error_reason}` : "."}`;
  }
  if (video.status === "PROCESSING") {
    return `Uploaded ${title}. Transcoding now: see its progress above.`;
  }
  return `Uploaded ${title}. Transcoding starts shortly.`;
}

/**
 * The form; `onUploaded(video)` runs after each completed upload. The returned form's
 * `follow(videos)` updates the note about the last upload from a fresh list of the session's
 * videos (the page polls them), so it never says "starts shortly" of a ready video.
 */
export function uploadForm({ session, tenant, onUploaded }) {
  const id = (name) => `upload-${session.id}-${name}`;
  const titleInput = h("input", { type: "text", name: "title", id: id("title"), maxlength: 255 });
  const fileInput = h("input", { type: "file", name: "file", id: id("file"), accept: ACCEPT });
  const partsBox = h("input", { type: "checkbox", name: "multipart", id: id("multipart") });
  const submit = h("button", { type: "submit", class: "primary" }, "Upload");
  const pause = h("button", { type: "button", class: "secondary", hidden: true }, "Pause");
  const resume = h("button", { type: "button", class: "secondary", hidden: true }, "Resume upload");
  const hint = h("p", { class: "hint", id: id("hint") });
  const forget = h("button", { type: "button", class: "link", hidden: true },
    "Forget the interrupted uploads");
  const hintRow = h("div", { class: "row", hidden: true }, hint, forget);
  const bar = h("div", { hidden: true });
  const status = h("p", { class: "upload-status", role: "status", "aria-live": "polite" });
  const formError = h("p", { class: "field-error", id: id("form-error") });

  const form = h("form", { class: "upload", "aria-label": `Upload a video to ${session.title}`, novalidate: true },
    h("h3", {}, "Upload a video"),
    h("div", { class: "row" },
      h("div", { class: "field-input" },
        h("label", { for: id("file") }, "Video file"), fileInput,
        h("p", { class: "field-error", id: id("err-filename"), "data-error-for": "filename" }),
        h("p", { class: "field-error", id: id("err-size"), "data-error-for": "size" })),
      h("div", { class: "field-input" },
        h("label", { for: id("title") }, "Title"), titleInput,
        h("p", { class: "field-error", id: id("err-title"), "data-error-for": "title" })),
      h("div", {},
        partsBox, " ",
        h("label", { for: id("multipart") }, "Send in parts (resumable)"),
        h("span", { class: "hint" }, ` — automatic above ${formatBytes(MULTIPART_THRESHOLD)}`)),
    ),
    hintRow,
    h("div", { class: "actions" }, submit, pause, resume),
    bar, status, formError);

  let upload = null;
  let uploaded = null; // the id of the last video this form uploaded, followed by `follow`

  const showProgress = (sent, total) => {
    bar.hidden = false;
    bar.replaceChildren(meter(total ? (100 * sent) / total : 0, `Upload progress of ${session.title}`));
    status.textContent = `Uploading: ${formatBytes(sent)} of ${formatBytes(total)} sent.`;
  };

  const refreshHint = () => {
    const file = fileInput.files[0];
    const saved = file && savedUpload(tenant, session.id, file);
    forget.hidden = true;
    if (saved) {
      partsBox.checked = true;
      hint.textContent = `Part of this file was already sent before (upload id kept in this browser); `
        + `"Upload" sends only what is missing.`;
      hintRow.hidden = false;
      return;
    }
    const pending = interruptedUploads(tenant, session.id);
    forget.hidden = !pending.length || Boolean(upload);
    hint.textContent = pending.length
      ? `Interrupted upload${pending.length > 1 ? "s" : ""}: `
        + pending.map((p) => `${p.name} (${formatBytes(p.sent)} of ${formatBytes(p.size)} sent)`).join(", ")
        + ". Choose the same file again to resume."
      : "";
    hintRow.hidden = !pending.length;
  };

  fileInput.addEventListener("change", () => {
    const file = fileInput.files[0];
    if (!file) return;
    if (!titleInput.value.trim()) titleInput.value = stem(file.name);
    partsBox.checked = file.size > MULTIPART_THRESHOLD;
    refreshHint();
  });

  const setBusy = (busy) => {
    submit.disabled = busy;
    fileInput.disabled = busy;
    partsBox.disabled = busy;
    pause.hidden = !busy;
    if (busy) resume.hidden = true;
  };

  const start = async () => {
    clearFieldErrors(form);
    formError.textContent = "";
    setBusy(true);
    try {
      const video = await upload.run();
      uploaded = video.id;
      status.textContent = transcodeNote(video);
      form.reset();
      upload = null;
      bar.hidden = true;
      refreshHint();
      onUploaded(video);
    } catch (err) {
      if (err instanceof UploadError && err.resumable) {
        resume.hidden = false;
        const next = upload.multipart
          ? "Resume sends only the missing parts." : "Resume sends the file again.";
        status.textContent = err.aborted ? `Upload paused. ${next}`
          : `Upload interrupted: ${err.message} ${next}`;
      } else if (fieldErrors(err)) {
        showFieldErrors(form, fieldErrors(err), formError);
        status.textContent = "The upload was refused; see the messages above.";
        upload = null;
      } else {
        status.textContent = `Upload failed: ${err.message}`;
        upload = null;
        refreshHint();
      }
    } finally {
      setBusy(false);
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = fileInput.files[0];
    if (!file) {
      showFieldErrors(form, { filename: ["Choose a video file."] }, formError);
      return;
    }
    upload = new VideoUpload({
      tenant, session: session.id, file, title: titleInput.value.trim() || stem(file.name),
      multipart: partsBox.checked || Boolean(savedUpload(tenant, session.id, file)),
      onProgress: showProgress,
    });
    start();
  });
  pause.addEventListener("click", () => upload && upload.pause());
  forget.addEventListener("click", () => {
    forgetInterrupted(tenant, session.id);
    status.textContent = "Forgotten: the next upload of those files starts from the beginning.";
    refreshHint();
  });
  resume.addEventListener("click", () => upload && start());

  refreshHint();
  form.follow = (videos) => {
    const video = uploaded === null ? null : videos.find((v) => v.id === uploaded);
    if (!video || upload) return; // gone, or a new upload says its own thing now
    status.textContent = transcodeNote(video);
    if (video.status === "READY" || video.status === "FAILED") uploaded = null;
  };
  return form;
}
