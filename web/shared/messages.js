// Sentences for the server's codes: a person sees what happened and what to do, never a code.
// Unknown codes fall back to a generic sentence per HTTP status.

const BY_CODE = {
  // play/ refusals (policy/playback.py and the session actor's limits)
  concurrency_limit_exceeded:
    "This video is already playing on another screen. Stop it there (or wait a minute), then press Play again.",
  device_limit_exceeded:
    "This browser counts as a new device, and you have reached the number of devices you may watch on. "
    + "Watch from a device and browser you used before, or ask your teacher to forget an old device (Devices, next to your name on the video's page).",
  blocked: "Your academy has blocked this video for you. Ask your teacher if you think that is a mistake.",
  already_completed_once:
    "You have already watched this video once, and it may be watched only once.",
  video_not_ready: "This video is not ready yet: it is still being prepared. Try again in a few minutes.",
  no_session_access: "This video belongs to a class you are not part of.",
  enrollment_not_found: "You are not enrolled in this lecture (or your enrollment is no longer active).",
  student_profile_not_linked:
    "Your account is not linked to a student profile yet. Ask your academy to add you as a student.",
  // a session that stops mid-play
  session_revoked:
    "Playback stopped: this session was ended, because the video was started on another screen or by your academy.",
  session_not_active:
    "Playback stopped: this session is no longer active (it was idle too long or ended elsewhere). Press Play to start again.",
  // tokens
  token_expired: "Your sign-in has expired. Open your sign-in link again.",
  invalid_token: "Your sign-in is not valid here. Open your sign-in link again.",
  user_mismatch: "This playback belongs to another account. Reload the page.",
  video_mismatch: "This playback belongs to another video. Reload the page.",
  // the back end is busy
  session_service_unavailable: "The service is busy right now. Wait a moment and try again.",
  network_error: "The server cannot be reached. Check your connection; we will keep trying.",
};

const BY_STATUS = {
  400: "The request was not accepted. Reload the page and try again.",
  401: "You are not signed in (or your sign-in expired). Open your sign-in link again.",
  403: "You are not allowed to do this.",
  404: "This was not found. It may have been removed.",
  409: "This could not be done right now because of another session.",
  413: "That file is too large.",
  429: "Too many requests. Wait a moment and try again.",
  503: "The service is busy right now. Wait a moment and try again.",
};

/** A human sentence for an ApiError (or anything with status/code). */
export function messageFor(error) {
  const code = error && typeof error.code === "string" ? error.code : "";
  if (BY_CODE[code]) return BY_CODE[code];
  const status = error && typeof error.status === "number" ? error.status : 0;
  if (status >= 500) return "Something went wrong on the server. Try again in a moment.";
  return BY_STATUS[status] || "Something went wrong. Reload the page and try again.";
}

/** Whether a code means the playback session is over and the player must stop. */
export function endsSession(error) {
  return Boolean(error) && (error.status === 401 || error.status === 409 ||
    ["session_revoked", "session_not_active", "token_expired", "invalid_token"].includes(error.code));
}
