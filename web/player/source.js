// Attaching a play_url to the <video>: hls.js where Media Source Extensions exist (it can add
// the playback token to AES key requests, which native HLS cannot), native HLS otherwise
// (Safari, iOS), and the plain URL for a non-HLS file. The CDN cookies ride along: same origin,
// or `withCredentials` for a CDN on another origin.
import Hls from "/app/vendor/hls.mjs";

const KEY_PATH = /\/hls-key\/?(\?|$)/;

/**
 * @param {HTMLVideoElement} video
 * @param {string} url the session's play_url
 * @param {object} options
 * @param {() => string} options.token the current playback token, for encrypted packages
 * @param {(message: string, detail: object) => void} options.onFatal playback cannot go on
 * @returns {{destroy(): void, kind: string}} kind: hls.js | native | file | youtube | none
 */
export function attachSource(video, url, { token, onFatal }) {
  if (isYouTube(url)) return { kind: "youtube", destroy() {} }; // played on YouTube itself
  const isHls = /\.m3u8(\?|$)/.test(url);
  if (isHls && Hls.isSupported()) return attachHlsJs(video, url, token, onFatal);
  if (isHls && !video.canPlayType("application/vnd.apple.mpegurl")) {
    onFatal("This browser cannot play this video. Try a current Chrome, Edge, Firefox or Safari.",
      { reason: "no_hls_support" });
    return { destroy() {}, kind: "none" };
  }
  video.src = url;
  const onError = () => onFatal("The video could not be loaded. Reload the page to try again.",
    { reason: "media_error", code: video.error && video.error.code });
  video.addEventListener("error", onError);
  return {
    kind: isHls ? "native" : "file",
    destroy() {
      video.removeEventListener("error", onError);
      video.removeAttribute("src");
      video.load();
    },
  };
}

function attachHlsJs(video, url, token, onFatal) {
  const hls = new Hls({
    // Segments and keys carry cookies; key URLs also the playback token (cookies are scoped
    // to /hls/videos/{id}/ and cannot reach the key endpoint under /api/).
    xhrSetup(xhr, requestUrl) {
      xhr.withCredentials = true;
      if (KEY_PATH.test(new URL(requestUrl, location.href).pathname)) {
        xhr.setRequestHeader("X-Playback-Token", token());
      }
    },
    enableWorker: true,
    lowLatencyMode: false,
  });
  let mediaRecoveries = 0;
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries < 2) {
      mediaRecoveries += 1;
      hls.recoverMediaError();
      return;
    }
    const status = data.response && data.response.code;
    const message = status === 403
      ? "Access to the video was refused: your viewing session may have ended. Press Play to start again."
      : "The video stopped loading. Check your connection and press Play to start again.";
    onFatal(message, { reason: data.details, status });
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return { kind: "hls.js", destroy: () => hls.destroy() };
}

/** Whether `url` is a YouTube watch link (link videos: the academy's rules cannot apply). */
export function isYouTube(url) {
  try {
    const host = new URL(url, location.href).hostname.replace(/^www\./, "");
    return host === "youtube.com" || host === "youtu.be" || host === "m.youtube.com";
  } catch {
    return false;
  }
}
