// A video's student table (stats/), with per-student rule and override editing
// (video-permissions/) and one rule for many students at once (video-permissions/bulk/).

import { fieldErrors, del, patch, post } from "./client.js";
import { h, meter } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./errors.js";

const ATTENDANCE = { PRESENT: "present", LATE: "late", ABSENT: "absent", EXCUSED: "excused" };

function pct(x) {
  return `${(100 * x).toFixed(1)} %`;
}

/** What applies to a student: the rule, whether it is theirs alone, and their overrides. */
function ruleText(student, permission) {
  if (!student.rule) return "free (no rule set)";
  const extras = [];
  const p = permission ?? {};
  const choose = (value, yes, no) => (value === null || value === undefined ? null : value ? yes : no);
  extras.push(p.block_seek ? "no seeking" : choose(p.allow_skip_override, "may seek", "no seek"));
  extras.push(p.block_speed_control ? "1x only"
    : p.max_speed_override != null ? `≤ ${p.max_speed_override}x` : null);
  extras.push(choose(p.show_watermark_override, "watermark", "no watermark"));
  const shown = extras.filter(Boolean);
  return student.effective_rule + (student.is_override ? " (individual)" : "")
    + (shown.length ? ` · ${shown.join(", ")}` : "");
}

/** Read the dialog's fields into a permission body (empty selects: the video's default). */
function readRuleForm(form) {
  const el = (n) => form.elements.namedItem(n);
  const tri = (n) => (el(n).value === "" ? null : el(n).value === "true");
  const speed = el("max_speed_override").value.trim();
  return {
    rule: el("rule").value,
    allow_skip_override: tri("allow_skip_override"),
    max_speed_override: speed === "" ? null : (Number.isFinite(Number(speed)) ? Number(speed) : speed),
    show_watermark_override: tri("show_watermark_override"),
    block_seek: el("block_seek").checked,
    block_speed_control: el("block_speed_control").checked,
  };
}

function fillRuleForm(form, permission) {
  const el = (n) => form.elements.namedItem(n);
  const triText = (v) => (v === null || v === undefined ? "" : String(v));
  el("rule").value = permission?.rule ?? "free";
  el("allow_skip_override").value = triText(permission?.allow_skip_override);
  el("max_speed_override").value = permission?.max_speed_override ?? "";
  el("show_watermark_override").value = triText(permission?.show_watermark_override);
  el("block_seek").checked = Boolean(permission?.block_seek);
  el("block_speed_control").checked = Boolean(permission?.block_speed_control);
}

/**
 * The panel. `render(stats, permissions)` redraws it (selection kept); `onChanged()` runs after
 * any rule change so the page reloads its data; `onDevices(student)` opens their devices.
 */
export function studentsPanel({ videoId, table, summary, bulkForm, dialog, onChanged, onDevices }) {
  const tbody = table.querySelector("tbody");
  const selectAll = table.querySelector("#select-all");
  const bulkStatus = bulkForm.querySelector("#bulk-status");
  const ruleForm = dialog.querySelector("form");
  const ruleError = ruleForm.querySelector("#rule-error");
  const selected = new Set();
  let students = [];
  let editing = null; // {student, permission}
  let shown = ""; // what the table shows, to redraw only on change (keeps focus and selection)
  let refocus = null; // the enrollment whose "Edit rule" button gets the focus back after a redraw

  function renderSummary(stats) {
    const item = (term, value) => h("div", {}, h("dt", {}, term), h("dd", {}, value));
    summary.replaceChildren(
      item("Students", stats.total_students),
      item("Completed (90 % or more)", stats.completed_90),
      item("Watched fully", stats.completed_100),
      item("Average progress", pct(stats.avg_progress)));
  }

  function row(student, permission) {
    const box = h("input", {
      type: "checkbox", "aria-label": `Select ${student.student_name}`,
      checked: selected.has(student.enrollment),
      onchange: (e) => { if (e.target.checked) selected.add(student.enrollment); else selected.delete(student.enrollment); },
    });
    const who = h("td", {}, h("div", {}, student.student_name));
    const detail = [student.school, student.grade !== null ? `grade ${student.grade}` : null].filter(Boolean).join(", ");
    if (detail) who.append(h("div", { class: "hint" }, detail));
    return h("tr", { dataset: { enrollment: student.enrollment } },
      h("td", {}, box),
      who,
      h("td", {}, ATTENDANCE[student.attendance_status] ?? "—"),
      h("td", {}, meter(100 * student.progress, `Progress of ${student.student_name}`)),
      h("td", {}, student.completed ? "Yes" : "No"),
      h("td", {}, ruleText(student, permission)),
      h("td", {}, h("button", {
        type: "button", class: "secondary", "aria-label": `Edit the rule of ${student.student_name}`,
        onclick: () => openEditor(student, permission),
      }, "Edit rule"), " ", h("button", {
        type: "button", class: "secondary", "aria-label": `Devices of ${student.student_name}`,
        onclick: () => onDevices(student),
      }, "Devices")));
  }

  function render(stats, permissions) {
    const key = JSON.stringify([stats.stats, stats.students, permissions]);
    if (key === shown) return;
    shown = key;
    students = stats.students;
    renderSummary(stats.stats);
    const byEnrollment = new Map(permissions.map((p) => [p.enrollment, p]));
    tbody.replaceChildren(...(students.length
      ? students.map((s) => row(s, byEnrollment.get(s.enrollment)))
      : [h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No students are enrolled in this video's lecture."))]));
    selectAll.checked = students.length > 0 && students.every((s) => selected.has(s.enrollment));
    if (refocus !== null) {
      tbody.querySelector(`tr[data-enrollment="${refocus}"] button`)?.focus();
      refocus = null;
    }
  }

  function openEditor(student, permission) {
    editing = { student, permission };
    clearFieldErrors(ruleForm);
    ruleError.textContent = "";
    dialog.querySelector("#rule-title").textContent = `Rule for ${student.student_name}`;
    dialog.querySelector("#rule-remove").hidden = !permission;
    fillRuleForm(ruleForm, permission);
    dialog.showModal();
  }

  ruleForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!editing) return;
    const body = readRuleForm(ruleForm);
    try {
      if (editing.permission) {
        await patch(`media/video-permissions/${editing.permission.id}/`, { ...body, is_override: true });
      } else {
        await post("media/video-permissions/", {
          video: videoId, enrollment: editing.student.enrollment, ...body, is_override: true,
        });
      }
      refocus = editing.student.enrollment;
      dialog.close();
      editing = null;
      onChanged();
    } catch (err) {
      if (fieldErrors(err)) showFieldErrors(ruleForm, fieldErrors(err), ruleError);
      else ruleError.textContent = err.message;
    }
  });

  dialog.querySelector("#rule-remove").addEventListener("click", async () => {
    if (!editing?.permission) return;
    try {
      await del(`media/video-permissions/${editing.permission.id}/`);
      refocus = editing.student.enrollment;
      dialog.close();
      editing = null;
      onChanged();
    } catch (err) {
      ruleError.textContent = err.message;
    }
  });
  dialog.querySelector("#rule-cancel").addEventListener("click", () => dialog.close());

  selectAll.addEventListener("change", () => {
    students.forEach((s) => (selectAll.checked ? selected.add(s.enrollment) : selected.delete(s.enrollment)));
    tbody.querySelectorAll('input[type="checkbox"]').forEach((b) => { b.checked = selectAll.checked; });
  });

  bulkForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!selected.size) {
      bulkStatus.textContent = "Select at least one student first.";
      return;
    }
    const rule = bulkForm.elements.namedItem("rule").value;
    try {
      const rows = await post("media/video-permissions/bulk/", {
        video: videoId, enrollments: [...selected], rule,
      });
      bulkStatus.textContent = `Rule "${rule}" set for ${rows.length} student${rows.length === 1 ? "" : "s"}.`;
      selected.clear();
      onChanged();
    } catch (err) {
      bulkStatus.textContent = err.message;
    }
  });

  return { render };
}
