// Watching one video: the session, its event queue, the policy guards, the watermark and the
// source, started together and torn down together (Back, page leave, or the server's word).
import { clock, say } from "/app/shared/dom.js";
import { messageFor } from "/app/shared/messages.js";
import { deviceId } from "./device.js";
import { EventQueue } from "./event-queue.js";
import { PolicyGuard } from "./policy.js";
import { PlaybackSession } from "./session.js";
import { attachSource } from "./source.js";
import { Watermark } from "./watermark.js";

const SAMPLE_EVERY_MS = 2000; // position samples for progress while playing
const RESUME_MIN_S = 3; // closer to the start than this, starting over is kinder
const RESUME_TAIL_S = 5; // this close to the end, the video starts over

export class Stage {
  /** @param {Record<string, HTMLElement>} ui elements of the stage section */
  constructor(api, ui) {
    this.api = api;
    this.ui = ui;
    this.watermark = new Watermark(ui.watermark, ui.screen);
    this.current = null; // what is playing: {item, session, queue, guard, source, timers}
    this.troubled = false; // a heartbeat failure is on screen
    this.onVisibility = () => this.visibilityChanged();
    this.onPageHide = () => this.leave();
  }

  status(text, kind = "info") {
    say(this.ui.status, text, kind);
  }

  /** Open `item` (a my-videos/ row): ask for a session, then play. */
  async open(item) {
    await this.close();
    const { ui } = this;
    ui.section.hidden = false;
    ui.title.textContent = item.title;
    ui.title.focus();
    ui.speeds.replaceChildren();
    ui.seekNote.hidden = true;
    ui.screen.hidden = true; // no black box under a refusal
    ui.elsewhere.hidden = true;
    this.status("Starting your viewing session…");
    let session;
    try {
      session = await PlaybackSession.start(this.api,
        { videoId: item.video, enrollmentId: item.enrollment, deviceId: deviceId() });
    } catch (error) {
      this.status(messageFor(error), "error");
      ui.section.dataset.state = "refused";
      return;
    }
    this.begin(item, session);
  }

  begin(item, session) {
    const { ui } = this;
    const video = ui.video;
    ui.screen.hidden = false;
    const queue = new EventQueue({
      api: this.api, videoId: item.video, token: () => session.token,
      sessionId: session.sessionId, onRejected: (error) => this.eventsRefused(error),
      sampleNow: () => (video.paused || video.seeking ? null
        : ["position", { position: video.currentTime, rate: video.playbackRate }]),
    });
    const guard = new PolicyGuard(video, session.policy,
      (type, payload) => queue.push(type, payload));
    guard.onRefused = (text) => this.status(text, "info");
    ui.speedRow.hidden = false;
    this.showPolicy(guard, session.policy);
    this.watermark.show(session.policy, session.shortId);
    const source = attachSource(video, session.playUrl, {
      token: () => session.token,
      onFatal: (text, detail) => {
        queue.push("PLAYER_ERROR", detail);
        this.status(text, "error");
      },
    });
    const sample = () => {
      if (!video.paused && !video.seeking) {
        queue.push("position", { position: video.currentTime, rate: video.playbackRate });
      }
    };
    let started = false;
    const media = {
      play: () => {
        queue.push("play_start", { position: video.currentTime });
        if (started) return;
        // The server pays watched time from its own clock, from the first request it gets:
        // the session's first sample leaves at once rather than with the 5 s batch.
        started = true;
        queue.push("position", { position: video.currentTime, rate: video.playbackRate });
        queue.flush();
      },
      pause: () => {
        queue.push("pause", { position: video.currentTime });
        queue.push("position", { position: video.currentTime, rate: video.playbackRate });
      },
      ended: () => {
        queue.push("position", { position: video.currentTime, rate: video.playbackRate });
        queue.push("ended", { position: video.currentTime });
        queue.flush();
      },
      // Once: a recovered media error reloads metadata, and must not jump back again.
      loadedmetadata: () => { if (!this.current.resumed) this.resume(item, guard); },
    };
    for (const [name, fn] of Object.entries(media)) video.addEventListener(name, fn);
    this.current = { item, session, queue, guard, source, media,
      sampler: setInterval(sample, SAMPLE_EVERY_MS) };
    queue.start();
    session.keepAlive({
      position: () => video.currentTime,
      onEnded: (error) => this.ended(error),
      onTrouble: (error) => this.trouble(error),
      onPolicy: (policy) => this.showPolicy(guard, policy),
    });
    document.addEventListener("visibilitychange", this.onVisibility);
    window.addEventListener("pagehide", this.onPageHide);
    ui.section.dataset.state = "playing";
    ui.section.dataset.session = session.sessionId;
    ui.elsewhere.hidden = source.kind !== "youtube";
    if (source.kind === "youtube") {
      this.status(""); // the note below says what to do: "Starting..." is over
      ui.elsewhereLink.href = session.playUrl;
      ui.screen.hidden = true;
      this.watermark.hide();
      ui.speedRow.hidden = true;
    } else if (source.kind !== "none") {
      this.status(""); // else it already says why it cannot play
      // Play was pressed: start at once. A browser that still wants a gesture on the video
      // itself refuses, and its controls are right there.
      video.play().catch(() => this.status("Press play on the video to start.", "info"));
    }
  }

  /** Speed buttons and notes for `policy` (at the start, and again after each refresh). */
  showPolicy(guard, policy) {
    guard.setPolicy(policy);
    guard.renderSpeeds(this.ui.speeds);
    this.ui.noSpeed.hidden = guard.speeds.length > 1;
    this.ui.seekNote.hidden = guard.allowSeek;
  }

  resume(item, guard) {
    this.current.resumed = true;
    const at = item.last_position;
    const duration = this.ui.video.duration;
    if (at >= RESUME_MIN_S && !(duration && at > duration - RESUME_TAIL_S) && !item.completed) {
      guard.resumeAt(at);
      this.status(`Resuming where you left off, at ${clock(at)}.`, "info");
    }
  }

  visibilityChanged() {
    const playing = this.current;
    if (!playing) return;
    const hidden = document.visibilityState === "hidden";
    playing.queue.push("visibility_change", { state: hidden ? "hidden" : "visible" });
    if (hidden) playing.queue.beacon();
  }

  /** The page is going away: events by beacon, end/ by a keepalive request. */
  leave() {
    const playing = this.current;
    if (!playing) return;
    const video = this.ui.video;
    playing.queue.push("position", { position: video.currentTime, rate: video.playbackRate });
    playing.queue.beacon();
    playing.session.end({ leaving: true });
    this.teardown();
  }

  /** Events were refused: ask the heartbeat why (revoked vs. expired), then stop. */
  async eventsRefused(error) {
    const playing = this.current;
    if (!playing) return;
    await playing.session.heartbeat();
    if (!playing.session.over && playing === this.current) {
      playing.session.stop();
      this.ended(error);
    }
  }

  /** A heartbeat failed for a passing reason (or, with null, worked again). */
  trouble(error) {
    if (error) {
      this.troubled = true;
      this.status(messageFor(error), "info");
    } else if (this.troubled) {
      this.troubled = false;
      this.status("");
    }
  }

  /** The server ended the session: stop the picture and say why. */
  ended(error) {
    if (!this.current) return;
    this.teardown();
    this.ui.screen.hidden = true;
    this.ui.section.dataset.state = "ended";
    this.status(messageFor(error), "error");
  }

  teardown() {
    const playing = this.current;
    if (!playing) return;
    this.current = null;
    const video = this.ui.video;
    clearInterval(playing.sampler);
    for (const [name, fn] of Object.entries(playing.media)) video.removeEventListener(name, fn);
    playing.queue.close();
    playing.guard.detach();
    video.pause();
    playing.source.destroy();
    this.watermark.hide();
    this.ui.speedRow.hidden = true;
    document.removeEventListener("visibilitychange", this.onVisibility);
    window.removeEventListener("pagehide", this.onPageHide);
  }

  /** Back to the list: last sample, last flush, end/ (frees the stream for another screen). */
  async close() {
    const playing = this.current;
    if (playing) {
      const video = this.ui.video;
      playing.queue.push("position", { position: video.currentTime, rate: video.playbackRate });
      this.teardown();
      await playing.queue.flush();
      await playing.session.end();
    }
    this.ui.section.hidden = true;
    delete this.ui.section.dataset.state;
    this.status("");
  }
}
