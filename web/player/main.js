// The student player page: sign in (pasted token or #token=), list the videos, watch one.
import Hls from "/app/vendor/hls.mjs";
import { Api } from "/app/shared/api.js";
import { bindSignIn, claimsOf, currentToken, isExpired, signOut } from "/app/shared/auth.js";
import { say } from "/app/shared/dom.js";
import { messageFor } from "/app/shared/messages.js";
import { showLibrary, signedInAs } from "./library.js";
import { Stage } from "./stage.js";

const $ = (id) => document.getElementById(id);
// For people debugging and for the browser tests: what this page runs on.
window.lecturecast = { hlsSupported: Hls.isSupported() };

function showSignIn(message = "") {
  $("sign-in").hidden = false;
  $("library").hidden = true;
  $("stage").hidden = true;
  say($("notice"), message, "error");
}

const NO_VIDEOS = {
  student: "No videos yet. They appear here once your teacher adds them to your classes.",
  other: "This page lists a student's videos, and you are not signed in as a student. "
    + "Managers use the admin pages at /app/admin/.",
};

async function loadLibrary(api, stage, role) {
  say($("library-status"), "Loading your videos…");
  try {
    const items = await showLibrary(api, $("video-list"), (item) => watch(stage, item));
    const empty = NO_VIDEOS[role === "student" ? "student" : "other"];
    say($("library-status"), items.length ? "" : empty);
  } catch (error) {
    if (error.status === 401) {
      signOut();
      showSignIn(messageFor(error));
      return;
    }
    say($("library-status"), messageFor(error), "error");
  }
}

async function watch(stage, item) {
  $("library").hidden = true;
  await stage.open(item);
  $("stage").scrollIntoView({ block: "start" });
}

function start(token, claims) {
  const api = new Api(token);
  say($("notice"), "");
  $("sign-in").hidden = true;
  $("who").textContent = signedInAs(null, claims.sub);
  $("who").hidden = false;
  // The student's name replaces the sign-in id once known (a failure keeps the id).
  api.get("media/me/").then((me) => { $("who").textContent = signedInAs(me, claims.sub); })
    .catch(() => {});
  $("sign-out").hidden = false;
  $("library").hidden = false;
  const stage = new Stage(api, {
    section: $("stage"), title: $("stage-title"), status: $("stage-status"),
    screen: $("screen"), video: $("video"), watermark: $("watermark"),
    speeds: $("speeds"), speedRow: $("speed-row"), noSpeed: $("no-speed"),
    seekNote: $("seek-note"), elsewhere: $("elsewhere"), elsewhereLink: $("elsewhere-link"),
  });
  $("close-video").addEventListener("click", async () => {
    await stage.close();
    $("library").hidden = false;
    $("library-title").focus();
    await loadLibrary(api, stage, claims.role);
  });
  $("sign-out").addEventListener("click", async () => {
    await stage.close();
    signOut();
    location.reload();
  });
  window.lecturecast.stage = stage;
  loadLibrary(api, stage, claims.role);
}

bindSignIn($("sign-in-form"), start, (text) => say($("notice"), text, "error"));
const token = currentToken();
const claims = token ? claimsOf(token) : null;
if (claims && !isExpired(claims)) start(token, claims);
else showSignIn(token ? "Your sign-in has expired. Open your sign-in link again." : "");
