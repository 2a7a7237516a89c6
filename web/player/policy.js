// The play response's policy, applied to the <video>: speed buttons only up to the allowed
// rate (none when speed control is blocked), and forward seeking refused when it is off.
// The guards also catch changes made around the buttons (keyboard, devtools, native menus):
// the video snaps back and the attempt is reported, as the audit trail expects.
import { h } from "/app/shared/dom.js";

const SPEEDS = [0.75, 1, 1.25, 1.5, 1.75, 2];
// timeupdate fires every ~250 ms; a forward move within this of the furthest point reached
// by playing is playback, not a seek.
const SEEK_SLACK_S = 1.5;

/** The speeds a student may pick under `policy` ([] when speed control is blocked). */
export function allowedSpeeds(policy) {
  const rate = policy.playback_rate || {};
  if (rate.ui_control === false) return [];
  const max = Number(rate.max) || 1;
  return SPEEDS.filter((s) => s <= max + 1e-9);
}

export class PolicyGuard {
  /**
   * @param {HTMLVideoElement} video
   * @param {object} policy the `policy` of play/ (allow_seek, playback_rate)
   * @param {(type: string, payload: object) => void} report queues a player event
   */
  constructor(video, policy, report) {
    this.video = video;
    this.report = report;
    this.setPolicy(policy);
    this.furthest = 0; // the furthest point reached by playing (or by resuming)
    this.last = 0; // the last position seen while not seeking
    this.snapping = false;
    this.listeners = {
      timeupdate: () => this.onTimeUpdate(),
      seeking: () => this.onSeeking(),
      ratechange: () => this.onRateChange(),
    };
    for (const [name, fn] of Object.entries(this.listeners)) video.addEventListener(name, fn);
  }

  setPolicy(policy) {
    this.policy = policy;
    this.allowSeek = policy.allow_seek !== false;
    this.speeds = allowedSpeeds(policy);
    this.maxRate = this.speeds.length ? Math.max(...this.speeds) : 1;
  }

  /** Start at `seconds` (the resume point): counted as reached, so it is no forward seek. */
  resumeAt(seconds) {
    this.furthest = Math.max(this.furthest, seconds);
    this.last = seconds;
    this.video.currentTime = seconds;
  }

  onTimeUpdate() {
    if (this.video.seeking || this.snapping) return;
    const t = this.video.currentTime;
    if (t - this.last <= SEEK_SLACK_S * Math.max(1, this.video.playbackRate)) {
      this.furthest = Math.max(this.furthest, t);
    }
    this.last = t;
  }

  onSeeking() {
    const to = this.video.currentTime;
    if (this.snapping) {
      this.snapping = false;
      return;
    }
    if (this.allowSeek || to <= this.furthest + SEEK_SLACK_S) {
      if (this.allowSeek && Math.abs(to - this.last) > SEEK_SLACK_S) {
        this.report("seek_attempt", { from: this.last, to, allowed: true });
      }
      this.last = to;
      return;
    }
    // Forward past what was watched, with seeking off: back to where the student was.
    this.report("seek_attempt", { from: this.last, to, allowed: false });
    this.snapping = true;
    this.video.currentTime = this.last;
    this.onRefused?.("Skipping ahead is turned off for this video: playback went back to where you were.");
  }

  onRateChange() {
    const rate = this.video.playbackRate;
    if (rate <= this.maxRate + 1e-9) return;
    this.report("speed_change_attempt", { requested: rate, allowed: this.maxRate });
    this.video.playbackRate = Math.min(1, this.maxRate);
    this.onRefused?.(`This video may be played at most at ${this.maxRate}× speed.`);
  }

  /** The speed buttons for `group` (emptied first); none when speed control is blocked. */
  renderSpeeds(group) {
    group.replaceChildren();
    const select = (speed) => {
      this.video.playbackRate = speed;
      for (const b of group.querySelectorAll("button")) {
        b.setAttribute("aria-pressed", String(Number(b.dataset.speed) === speed));
      }
    };
    for (const speed of this.speeds) {
      group.append(h("button", {
        type: "button", "data-speed": speed, "aria-pressed": String(speed === 1),
        onclick: () => select(speed),
      }, `${speed}×`));
    }
  }

  detach() {
    for (const [name, fn] of Object.entries(this.listeners)) {
      this.video.removeEventListener(name, fn);
    }
  }
}
