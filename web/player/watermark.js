// The watermark: the student's name and id plus the short session id, drawn over the video
// and moved to a new random place every few seconds so it cannot be cropped or covered once.
const MOVE_EVERY_MS = [6000, 11000];

export class Watermark {
  /**
   * @param {HTMLElement} el an absolutely positioned element inside the screen
   * @param {HTMLElement} screen the box the watermark moves within
   */
  constructor(el, screen) {
    this.el = el;
    this.screen = screen;
    this.timer = null;
  }

  /** Show `text · shortSessionId` and start moving; hidden when the policy turns it off. */
  show(policy, shortSessionId) {
    this.hide();
    const watermark = policy.watermark || {};
    if (watermark.enabled === false) return;
    const text = (watermark.text || "").trim() || "lecturecast";
    this.el.textContent = `${text} · ${shortSessionId}`;
    this.el.hidden = false;
    this.move();
  }

  move() {
    const box = this.screen.getBoundingClientRect();
    const mark = this.el.getBoundingClientRect();
    const x = Math.random() * Math.max(0, box.width - mark.width - 16) + 8;
    const y = Math.random() * Math.max(0, box.height - mark.height - 56) + 8; // clear of controls
    this.el.style.left = `${Math.round(x)}px`;
    this.el.style.top = `${Math.round(y)}px`;
    const [lo, hi] = MOVE_EVERY_MS;
    this.timer = setTimeout(() => this.move(), lo + Math.random() * (hi - lo));
  }

  hide() {
    clearTimeout(this.timer);
    this.el.hidden = true;
  }
}
