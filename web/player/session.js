// A playback session: play/ grants it, heartbeats keep it (every 30 s) and renew the short-lived
// CDN cookies, refresh/ renews the token (and the cookies) a minute before it expires, end/
// frees the stream slot. When the server says the session is over (401/409) it stops and says
// why, once.
import { endsSession } from "/app/shared/messages.js";

const HEARTBEAT_EVERY_MS = 30_000;
const MIN_HEARTBEAT_MS = 1_000;
const REFRESH_BEFORE_S = 60; // the seed's margin; a third of the lifetime when that is shorter
const MIN_REFRESH_DELAY_S = 5;

/**
 * How long to wait for the next heartbeat: 30 s, or a third of the CDN cookies' lifetime when
 * that is shorter, so two heartbeats may fail before the segments stop loading. `cdnExpiresAt`
 * was just received; a lifetime that makes no sense on this clock keeps the 30 s.
 */
export function heartbeatDelay(cdnExpiresAt, nowMs = Date.now()) {
  const life = (cdnExpiresAt || 0) * 1000 - nowMs;
  if (!(life > 0) || life > 86_400_000) return HEARTBEAT_EVERY_MS;
  return Math.max(MIN_HEARTBEAT_MS, Math.min(HEARTBEAT_EVERY_MS, life / 3));
}

export class PlaybackSession {
  /**
   * Ask for a stream. Resolves with a live session; rejects with the ApiError of a refusal.
   * @param {import("/app/shared/api.js").Api} api
   * @param {{videoId: number, enrollmentId: number, deviceId: string}} what
   */
  static async start(api, { videoId, enrollmentId, deviceId }) {
    const granted = await api.post(`media/videos/${videoId}/play/`,
      { enrollment_id: enrollmentId, device_id: deviceId });
    return new PlaybackSession(api, videoId, granted);
  }

  constructor(api, videoId, granted) {
    this.api = api;
    this.videoId = videoId;
    this.token = granted.token;
    this.sessionId = granted.session_id;
    this.expiresAt = granted.expires_at;
    this.policy = granted.policy;
    this.playUrl = granted.play_url;
    this.position = () => 0;
    this.onEnded = () => {};
    this.onTrouble = () => {};
    this.onPolicy = () => {};
    this.heartbeatTimer = null;
    this.heartbeatEveryMs = heartbeatDelay(granted.cdn_expires_at);
    this.refreshTimer = null;
    this.over = false;
  }

  /** 8 characters of the session id: enough to find the session in the audit trail. */
  get shortId() {
    return this.sessionId.slice(0, 8);
  }

  url(action) {
    return `media/videos/${this.videoId}/${action}/`;
  }

  /**
   * Start the rhythm. `position()` is sent with heartbeats; `onEnded(error)` is called once
   * when the server ends the session (revoked, expired, replaced); `onTrouble(error | null)`
   * when a heartbeat fails for a passing reason (offline, busy) and again once one succeeds;
   * `onPolicy(policy)` when a refresh brings the policy as it is now (an admin may change it).
   */
  keepAlive({ position, onEnded, onTrouble = () => {}, onPolicy = () => {} }) {
    this.position = position;
    this.onEnded = onEnded;
    this.onTrouble = onTrouble;
    this.onPolicy = onPolicy;
    this.scheduleHeartbeat();
    this.scheduleRefresh();
  }

  scheduleHeartbeat() {
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(async () => {
      await this.heartbeat();
      if (!this.over) this.scheduleHeartbeat();
    }, this.heartbeatEveryMs);
  }

  scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    const left = this.expiresAt - Date.now() / 1000;
    const margin = Math.min(REFRESH_BEFORE_S, left / 3);
    const inSeconds = Math.max(MIN_REFRESH_DELAY_S, left - margin);
    this.refreshTimer = setTimeout(() => this.refresh(), inSeconds * 1000);
  }

  /** One heartbeat; also the way to learn *why* events were refused. */
  async heartbeat() {
    if (this.over) return;
    try {
      const beat = await this.api.post(this.url("heartbeat"),
        { token: this.token, position: Math.max(0, this.position() || 0) });
      this.heartbeatEveryMs = heartbeatDelay(beat && beat.cdn_expires_at);
      this.onTrouble(null);
    } catch (error) {
      if (!this.failed(error)) this.onTrouble(error);
    }
  }

  async refresh() {
    if (this.over) return;
    try {
      const fresh = await this.api.post(this.url("refresh"), { token: this.token });
      this.token = fresh.token;
      this.expiresAt = fresh.expires_at;
      this.policy = fresh.policy;
      this.heartbeatEveryMs = heartbeatDelay(fresh.cdn_expires_at);
      this.scheduleRefresh();
      this.onPolicy(fresh.policy);
    } catch (error) {
      if (!this.failed(error)) {
        // Busy or offline: try again soon, still before the token runs out.
        this.refreshTimer = setTimeout(() => this.refresh(), MIN_REFRESH_DELAY_S * 1000);
      }
    }
  }

  /** Stop when `error` means the session is over; returns whether it did. */
  failed(error) {
    if (this.over || !endsSession(error)) return false;
    this.stop();
    this.onEnded(error);
    return true;
  }

  stop() {
    this.over = true;
    clearTimeout(this.heartbeatTimer);
    clearTimeout(this.refreshTimer);
  }

  /** Free the stream slot. `leaving`: the page is going away, so the request must outlive it. */
  async end({ leaving = false } = {}) {
    if (this.over) return;
    this.stop();
    try {
      await this.api.post(this.url("end"), { token: this.token }, { keepalive: leaving });
    } catch {
      // The session expires by itself after the tenant's idle time; nothing else to do.
    }
  }
}
