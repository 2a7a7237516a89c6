// Uploads from the browser straight to S3 through the API's presigned URLs.
//
// Small files: presign -> one PUT -> complete. Large files (or on request): presign-multipart ->
// one PUT per part -> complete with the parts' ETags. A multipart upload's id, key and the ETags
// of the parts already sent are kept in localStorage, so an interrupted upload (network gone,
// tab closed, paused) resumes: presign-multipart again with the same upload id and key gives
// fresh URLs, and only the missing parts are sent.

import { post } from "./client.js";

const MIB = 1024 * 1024;
export const MULTIPART_THRESHOLD = 16 * MIB;
const STORE_PREFIX = "lecturecast.upload.v1:";

// The server's accepted extensions and the content types its presigned PUT is signed for.
const VIDEO_TYPES = {
  mp4: "video/mp4", m4v: "video/x-m4v", mov: "video/quicktime", mkv: "video/x-matroska",
  webm: "video/webm", avi: "video/x-msvideo", mpeg: "video/mpeg", mpg: "video/mpeg",
  ts: "video/mp2t", wmv: "video/x-ms-wmv", flv: "video/x-flv", "3gp": "video/3gpp",
};

/** The upload failed part way; `resumable` says whether resume() can pick it up. */
export class UploadError extends Error {
  constructor(message, { resumable = false, aborted = false } = {}) {
    super(message);
    this.name = "UploadError";
    this.resumable = resumable;
    this.aborted = aborted;
  }
}

function contentTypeOf(file) {
  const ext = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
  if (VIDEO_TYPES[ext]) return VIDEO_TYPES[ext];
  return /^video\/[\w.+-]+$/.test(file.type) ? file.type : undefined;
}

function storeKey(tenant, session, file) {
  return `${STORE_PREFIX}${tenant}:${session}:${file.name}:${file.size}:${file.lastModified}`;
}

/** The saved state of an interrupted multipart upload of this file to this session, or null. */
export function savedUpload(tenant, session, file) {
  try {
    return JSON.parse(localStorage.getItem(storeKey(tenant, session, file)) || "null");
  } catch {
    return null;
  }
}

/** Interrupted uploads to a session: [{name, size, sent}] for a hint next to the form. */
export function interruptedUploads(tenant, session) {
  const prefix = `${STORE_PREFIX}${tenant}:${session}:`;
  const found = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (!key || !key.startsWith(prefix)) continue;
    try {
      const state = JSON.parse(localStorage.getItem(key));
      found.push({ name: state.name, size: state.size, sent: sentBytes(state) });
    } catch { /* a damaged entry is ignored */ }
  }
  return found;
}

/**
 * Drop this browser's record of the interrupted uploads to a session. The parts already sent
 * stay on the storage server (the API has no abort) until its clean-up of stale uploads.
 */
export function forgetInterrupted(tenant, session) {
  const prefix = `${STORE_PREFIX}${tenant}:${session}:`;
  const keys = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key && key.startsWith(prefix)) keys.push(key);
  }
  keys.forEach((key) => localStorage.removeItem(key));
}

function sentBytes(state) {
  return Object.keys(state.etags ?? {}).reduce((sum, n) => {
    const start = (Number(n) - 1) * state.part_size;
    return sum + Math.max(0, Math.min(state.part_size, state.size - start));
  }, 0);
}

// A page whose Content-Security-Policy does not list the storage server in connect-src cannot
// upload: the browser blocks the PUT before it leaves, and says so only in this event.
const blockedOrigins = new Set();
document.addEventListener("securitypolicyviolation", (event) => {
  if ((event.effectiveDirective || event.violatedDirective).startsWith("connect-src")) {
    try { blockedOrigins.add(new URL(event.blockedURI).origin); } catch { /* not a URL */ }
  }
});

/** The error for a PUT that never got an answer: a blocked origin, or a lost connection. */
async function lostConnection(url) {
  await new Promise((resolve) => setTimeout(resolve, 50)); // the violation event comes as a task
  const origin = new URL(url).origin;
  if (blockedOrigins.has(origin)) {
    return new UploadError(`This page may not send files to the storage server (${origin}): `
      + "the gateway's Content-Security-Policy must allow it in connect-src. Tell the operators.");
  }
  return new UploadError("The connection to the storage server was lost.", { resumable: true });
}

function s3Message(xhr) {
  const match = /<Message>([^<]*)<\/Message>/.exec(xhr.responseText || "");
  const code = /<Code>([^<]*)<\/Code>/.exec(xhr.responseText || "");
  return [code && code[1], match && match[1]].filter(Boolean).join(": ");
}

/**
 * PUT a blob to a presigned URL with upload progress; resolves to the response's ETag.
 * `track(xhr)` receives the request so that the caller can abort it.
 */
function putBlob(url, blob, contentType, onProgress, track) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    track(xhr);
    xhr.open("PUT", url);
    if (contentType) xhr.setRequestHeader("Content-Type", contentType);
    xhr.upload.addEventListener("progress", (e) => onProgress(e.loaded));
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(xhr.getResponseHeader("ETag"));
        return;
      }
      const detail = s3Message(xhr);
      if (xhr.status === 404 && detail.startsWith("NoSuchUpload")) {
        reject(new UploadError("The storage server no longer knows this upload; start it again."));
      } else {
        reject(new UploadError(`The storage server refused the upload (${xhr.status}${detail ? `: ${detail}` : ""}).`,
                               { resumable: true }));
      }
    });
    xhr.addEventListener("error", () => lostConnection(url).then(reject));
    xhr.addEventListener("abort", () => reject(new UploadError(
      "Upload paused.", { resumable: true, aborted: true })));
    xhr.send(blob);
  });
}

/** One file's way to a video: run() starts or resumes it, pause() stops it resumably. */
export class VideoUpload {
  /**
   * @param {object} o
   * @param {string} o.tenant  the academy (keys the saved state)
   * @param {number} o.session the class session the video belongs to
   * @param {string} o.title
   * @param {File} o.file
   * @param {boolean} o.multipart send in parts (resumable)
   * @param {(sent: number, total: number) => void} o.onProgress
   */
  constructor({ tenant, session, title, file, multipart, onProgress }) {
    Object.assign(this, { tenant, session, title, file, multipart, onProgress });
    this.xhr = null;
    this.paused = false;
  }

  pause() {
    this.paused = true;
    if (this.xhr) this.xhr.abort();
  }

  /** Upload (what is missing) and complete; resolves to the created video. */
  async run() {
    this.paused = false;
    return this.multipart ? this.runMultipart() : this.runSingle();
  }

  async runSingle() {
    const { file, session } = this;
    const contentType = contentTypeOf(file);
    const target = await post("media/videos/presign/", {
      session, filename: file.name, size: file.size,
      ...(contentType ? { content_type: contentType } : {}),
    });
    this.onProgress(0, file.size);
    try {
      await putBlob(target.upload_url, file, contentType,
                    (loaded) => this.onProgress(loaded, file.size), (x) => { this.xhr = x; });
    } catch (err) {
      // A single PUT cannot continue where it stopped: "resume" sends the file again.
      throw new UploadError(err.message, { resumable: err.resumable, aborted: err.aborted });
    }
    this.onProgress(file.size, file.size);
    return post("media/videos/complete/", {
      session, title: this.title, file_key: target.file_key,
    });
  }

  save(state) {
    localStorage.setItem(storeKey(this.tenant, this.session, this.file), JSON.stringify(state));
  }

  forget() {
    localStorage.removeItem(storeKey(this.tenant, this.session, this.file));
  }

  async plan(saved) {
    const { file, session } = this;
    const start = { session, filename: file.name, size: file.size };
    if (saved) {
      const again = await post("media/videos/presign-multipart/", {
        ...start, upload_id: saved.upload_id, file_key: saved.file_key,
      });
      if (again.part_size === saved.part_size) return { plan: again, etags: saved.etags ?? {} };
      this.forget(); // the server cuts parts differently now: the old parts cannot be reused
    }
    return { plan: await post("media/videos/presign-multipart/", start), etags: {} };
  }

  async runMultipart() {
    const { file } = this;
    const { plan, etags } = await this.plan(savedUpload(this.tenant, this.session, file));
    const state = {
      name: file.name, size: file.size, title: this.title, file_key: plan.file_key,
      upload_id: plan.upload_id, part_size: plan.part_size, etags,
    };
    this.save(state);
    let sent = sentBytes(state);
    this.onProgress(sent, file.size);
    for (const part of plan.parts) {
      if (state.etags[part.part_number]) continue;
      if (this.paused) throw new UploadError("Upload paused.", { resumable: true, aborted: true });
      const start = (part.part_number - 1) * plan.part_size;
      const blob = file.slice(start, Math.min(start + plan.part_size, file.size));
      let etag;
      try {
        etag = await putBlob(part.url, blob, null, (loaded) => this.onProgress(sent + loaded, file.size),
                             (x) => { this.xhr = x; });
      } catch (err) {
        if (!err.resumable) this.forget();
        this.onProgress(sent, file.size); // what is safely stored: the parts with an ETag
        throw err;
      }
      if (!etag) {
        throw new UploadError("The storage server did not expose the ETag header to the page; "
          + "its CORS rule must expose ETag for uploads in parts.");
      }
      state.etags[part.part_number] = etag;
      this.save(state);
      sent += blob.size;
      this.onProgress(sent, file.size);
    }
    const parts = Object.entries(state.etags)
      .map(([n, etag]) => ({ part_number: Number(n), etag }))
      .sort((a, b) => a.part_number - b.part_number);
    const video = await post("media/videos/complete/", {
      session: this.session, title: this.title, file_key: plan.file_key,
      upload_id: plan.upload_id, parts,
    });
    this.forget();
    return video;
  }
}
