// A video's default playback policy: seek forward, maximum speed, watermark (set-policy/).

import { fieldErrors, post } from "./client.js";
import { clearFieldErrors, showFieldErrors } from "./errors.js";

/**
 * Wire the policy form. `fill(video)` shows the video's policy unless the admin is editing it;
 * `onSaved(video)` runs after a successful save.
 */
export function policyForm(form, { videoId, onSaved }) {
  const status = form.querySelector("#policy-status");
  const formError = form.querySelector("#policy-error");
  const el = (name) => form.elements.namedItem(name);
  let dirty = false;

  form.addEventListener("input", () => {
    dirty = true;
    status.textContent = "Unsaved changes.";
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    formError.textContent = "";
    const speed = el("max_speed").value.trim();
    const body = {
      allow_skip: el("allow_skip").checked,
      show_watermark: el("show_watermark").checked,
      // An empty or unreadable number is sent as text so the server names the problem.
      max_speed: speed !== "" && Number.isFinite(Number(speed)) ? Number(speed) : speed,
    };
    status.textContent = "Saving…";
    try {
      const video = await post(`media/videos/${videoId}/set-policy/`, body);
      dirty = false;
      fill(video, true);
      status.textContent = "Policy saved.";
      onSaved(video);
    } catch (err) {
      status.textContent = "Not saved.";
      if (fieldErrors(err)) showFieldErrors(form, fieldErrors(err), formError);
      else formError.textContent = err.message;
    }
  });

  function fill(video, force = false) {
    if (dirty && !force) return;
    el("allow_skip").checked = video.allow_skip;
    el("show_watermark").checked = video.show_watermark;
    el("max_speed").value = String(video.max_speed);
  }

  return { fill };
}
