// The player's event queue (the seed's rhythm): events wait here and go to `events/` every
// 5 s or as soon as 10 are queued; when the page hides or unloads they leave by sendBeacon
// (a text/plain body carrying the playback token, since a beacon cannot send headers).
// A batch that failed for a transient reason is retried with the same batch_id, which the
// server stores once; a 401/409 means the session is over and is reported, not retried.

const FLUSH_EVERY_MS = 5000;
const FLUSH_AT = 10;
const MAX_QUEUED = 200; // a long outage drops the oldest samples rather than growing forever

export class EventQueue {
  /**
   * @param {object} options
   * @param {import("/app/shared/api.js").Api} options.api
   * @param {number} options.videoId
   * @param {() => string} options.token the current playback token (it changes on refresh)
   * @param {string} options.sessionId names the batches, so a retried one is stored once
   * @param {(error: any) => void} options.onRejected the server refused the session's events
   * @param {() => ([string, object] | null)} [options.sampleNow] an event taken as each batch
   *   leaves (a position sample: the server pays watched time by when requests arrive, so a
   *   batch whose newest sample is seconds old would leave those seconds unpaid)
   */
  constructor({ api, videoId, token, sessionId, onRejected, sampleNow = () => null }) {
    this.api = api;
    this.url = `/api/v1/media/videos/${videoId}/events/`;
    this.token = token;
    this.sessionId = sessionId;
    this.onRejected = onRejected;
    this.sampleNow = sampleNow;
    this.queue = [];
    this.inFlight = null; // {batch_id, events} being posted
    this.posting = null; // the promise of that post
    this.retry = null; // a batch that failed for a transient reason, resent as it was
    this.sequence = 0;
    this.timer = null;
    this.closed = false;
  }

  start() {
    this.timer = setInterval(() => this.flush(), FLUSH_EVERY_MS);
  }

  /** Queue one event (`type` from the seed front end's vocabulary, `payload` an object). */
  push(type, payload = {}) {
    if (this.closed) return;
    this.enqueue(type, payload);
    if (this.queue.length >= FLUSH_AT) this.flush();
  }

  enqueue(type, payload) {
    this.queue.push({ type, payload, occurred_at: Date.now() / 1000 });
    if (this.queue.length > MAX_QUEUED) this.queue.splice(0, this.queue.length - MAX_QUEUED);
  }

  nextBatch() {
    this.sequence += 1;
    const events = this.queue.splice(0, 100);
    return { batch_id: `${this.sessionId}-${this.sequence}`, events };
  }

  /** Post what is queued (one request at a time); resolves when that post settled. */
  async flush() {
    // A flush asked for while a post is out (ended, Back to the list) waits for it and then
    // posts, rather than leaving its events to a timer that may be stopped by then.
    while (this.posting) await this.posting;
    const sample = this.retry || this.closed || !this.queue.length ? null : this.sampleNow();
    if (sample) this.enqueue(...sample);
    if (!this.retry && !this.queue.length) return;
    const batch = this.retry || this.nextBatch();
    this.retry = null;
    this.inFlight = batch;
    this.posting = this.post(batch);
    try {
      await this.posting;
    } finally {
      this.posting = null;
    }
  }

  async post(batch) {
    try {
      await this.api.post(this.url, { token: this.token(), ...batch });
    } catch (error) {
      if (error.status === 401 || error.status === 409) {
        this.close();
        this.onRejected(error);
      } else if (error.status === 400) {
        // A batch the server cannot read will never be accepted: drop it, keep the rest.
        console.warn("events dropped", error.code);
      } else {
        this.retry = batch; // transient: resent as is, so the server stores it once
      }
    } finally {
      this.inFlight = null;
    }
  }

  /** Send everything now without waiting (page hiding or unloading). */
  beacon() {
    if (this.retry) this.send(this.retry);
    this.retry = null;
    if (this.queue.length) this.send(this.nextBatch());
  }

  send(batch) {
    const body = JSON.stringify({ token: this.token(), ...batch });
    const sent = navigator.sendBeacon &&
      navigator.sendBeacon(this.url, new Blob([body], { type: "text/plain" }));
    if (!sent) {
      fetch(this.url, { method: "POST", body, keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "text/plain" } }).catch(() => {});
    }
  }

  /** Stop the timer; later pushes are ignored. */
  close() {
    this.closed = true;
    clearInterval(this.timer);
  }
}
