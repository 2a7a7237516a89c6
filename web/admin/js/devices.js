// A student's devices (devices/?user=), named readably, with "Forget" (DELETE devices/{id}/):
// the way out when a student meets the device limit.

import { del, get } from "./client.js";
import { formatTime, h } from "./dom.js";
import { deviceName } from "./wording.js";

/** The dialog; `open(student)` lists the devices of a stats row ({student_name, user_id}). */
export function devicesDialog({ dialog }) {
  const tbody = dialog.querySelector("tbody");
  const title = dialog.querySelector("#devices-title");
  const status = dialog.querySelector("#devices-status");
  let student = null;

  async function forget(device, name) {
    try {
      await del(`media/devices/${device.id}/`);
      status.textContent = `Forgot ${name}: ${student.student_name} may play from a new device.`;
    } catch (err) {
      status.textContent = `Could not forget ${name}: ${err.message}`;
    }
    await load();
  }

  function row(device) {
    const name = deviceName(device.device_id, device.user_agent);
    return h("tr", { dataset: { device: device.id } },
      h("td", { title: device.user_agent || device.device_id }, name),
      h("td", {}, formatTime(device.first_seen_at)),
      h("td", {}, formatTime(device.last_played_at)),
      h("td", {}, h("button", {
        type: "button", class: "danger", "aria-label": `Forget ${name}`,
        onclick: (e) => { e.target.disabled = true; forget(device, name); },
      }, "Forget")));
  }

  async function load() {
    const devices = await get("media/devices/", { user: student.user_id });
    tbody.replaceChildren(...(devices.length
      ? devices.map(row)
      : [h("tr", {}, h("td", { colspan: 4, class: "empty" }, "No devices: this student has not played yet."))]));
  }

  async function open(who) {
    student = who;
    title.textContent = `Devices of ${who.student_name}`;
    status.textContent = "";
    tbody.replaceChildren();
    dialog.showModal();
    try {
      await load();
    } catch (err) {
      status.textContent = err.message;
    }
  }

  dialog.querySelector("#devices-close").addEventListener("click", () => dialog.close());
  return { open };
}
