// Add a video by link to a class session: a YouTube address or any http(s) address (add-url/).
// Such videos are READY at once: nothing is uploaded or transcoded.

import { fieldErrors, post } from "./client.js";
import { h } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./errors.js";

/** The form; `onAdded(video)` runs after each added link. */
export function linkForm({ session, onAdded }) {
  const id = (name) => `link-${session.id}-${name}`;
  const field = (name, label, input) => h("div", { class: "field-input" },
    h("label", { for: id(name) }, label), input,
    h("p", { class: "field-error", id: id(`err-${name}`), "data-error-for": name }));
  const title = h("input", { type: "text", name: "title", id: id("title"), maxlength: 255 });
  const url = h("input", { type: "url", name: "url", id: id("url"), maxlength: 2000,
                           placeholder: "https://www.youtube.com/watch?v=..." });
  const status = h("p", { role: "status", "aria-live": "polite" });
  const formError = h("p", { class: "field-error", id: id("form-error") });
  const form = h("form", { class: "upload", "aria-label": `Add a link to ${session.title}`, novalidate: true },
    h("h3", {}, "Or add a link"),
    h("div", { class: "row" }, field("url", "YouTube or web address", url), field("title", "Title", title)),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "Add link")),
    status, formError);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    formError.textContent = "";
    status.textContent = "";
    try {
      const video = await post("media/videos/add-url/", {
        session: session.id, title: title.value.trim(), url: url.value.trim(),
      });
      form.reset();
      status.textContent = `Added "${video.title}".`;
      onAdded(video);
    } catch (err) {
      if (fieldErrors(err)) showFieldErrors(form, fieldErrors(err), formError);
      else formError.textContent = err.message;
    }
  });
  return form;
}
