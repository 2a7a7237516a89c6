// Sign-in shared by the admin pages: a pasted bearer token, or `#token=` in the address
// (kept by /app/shared/auth.js in this tab's sessionStorage, as the player does).
//
// Each page has a `<form id="signin">` (hidden once signed in), a `<div id="app">` (hidden until
// signed in) and a `<div id="who">` in its header.

import { claimsOf, currentToken, isExpired, saveToken, signOut } from "/app/shared/auth.js";
import { onSignedOut } from "./client.js";
import { h, notify } from "./dom.js";

const MANAGER_ROLES = new Set(["admin", "staff", "teacher"]);

function describeWho(c) {
  return `${c?.sub ?? "?"} (${c?.role ?? "?"}) · academy ${c?.tenant ?? "?"}`;
}

/**
 * Wire the sign-in form; call `onReady()` once there is a token (at once if there is one).
 * Any 401 from the API signs out and shows the form again with the reason.
 */
export function startPage(onReady) {
  const form = document.getElementById("signin");
  const app = document.getElementById("app");
  const who = document.getElementById("who");
  const message = form.querySelector(".notice");
  let started = false;

  const show = (signedIn) => {
    form.hidden = signedIn;
    app.hidden = !signedIn;
    who.replaceChildren();
    if (signedIn) {
      who.append(
        h("span", {}, "Signed in as ", h("strong", {}, describeWho(claimsOf(currentToken())))),
        h("button", { type: "button", class: "secondary", onclick: leave }, "Sign out"));
    } else {
      form.elements.namedItem("token").focus();
    }
  };
  const leave = () => {
    signOut();
    show(false);
    notify(message, "Signed out.", "info");
  };
  const ready = () => {
    const c = claimsOf(currentToken());
    show(true);
    if (c && !MANAGER_ROLES.has(c.role)) {
      notify(document.getElementById("notice"),
             `This token's role is "${c.role}": the admin pages need an admin, staff or teacher token.`);
    }
    if (!started) {
      started = true;
      onReady();
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const raw = form.elements.namedItem("token").value;
    const c = claimsOf(raw.trim().replace(/^Bearer\s+/i, ""));
    if (!c) {
      notify(message, "That does not look like a token: paste the whole token (three parts separated by dots).");
      return;
    }
    if (isExpired(c)) {
      notify(message, "That token has expired: mint a new one (python -m gateway.tokens).");
      return;
    }
    saveToken(raw);
    form.reset();
    notify(message, "");
    if (started) location.reload(); else ready();
  });

  onSignedOut((error) => {
    if (!form.hidden) return; // already asking: keep the first reason (polls go on failing)
    signOut();
    show(false);
    notify(message, error.message);
  });

  const token = currentToken();
  if (token && !isExpired(claimsOf(token))) ready();
  else {
    if (token) notify(message, "Your sign-in has expired: paste a fresh token.");
    show(false);
  }
}
