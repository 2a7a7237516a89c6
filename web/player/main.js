// The student player page: sign in, list the videos, play one. Skeleton wiring; the playback
// session, event queue and policy live in their own modules.
import Hls from "/app/vendor/hls.mjs";
import { Api } from "/app/shared/api.js";
import { bindSignIn, claimsOf, currentToken, isExpired, signOut } from "/app/shared/auth.js";
import { say } from "/app/shared/dom.js";

const $ = (id) => document.getElementById(id);
window.lecturecast = { hlsSupported: Hls.isSupported() };

function showSignIn(message = "") {
  $("sign-in").hidden = false;
  $("library").hidden = true;
  $("stage").hidden = true;
  say($("notice"), message, "error");
}

function start(token, claims) {
  $("sign-in").hidden = true;
  $("who").textContent = `Signed in as ${claims.sub}`;
  $("who").hidden = false;
  $("sign-out").hidden = false;
  $("library").hidden = false;
  window.lecturecast.api = new Api(token);
}

$("sign-out").addEventListener("click", () => { signOut(); location.reload(); });
bindSignIn($("sign-in-form"), start, (text) => say($("notice"), text, "error"));
const token = currentToken();
const claims = token ? claimsOf(token) : null;
if (claims && !isExpired(claims)) start(token, claims);
else showSignIn(token ? "Your sign-in has expired. Open your sign-in link again." : "");
