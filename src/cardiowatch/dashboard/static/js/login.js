// Login form: posts JSON to /login, then goes where the user was headed (same-origin paths only).
import * as api from "./api.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

function nextPath() {
  const next = new URLSearchParams(window.location.search).get("next") || "/";
  // Only a local path: never an absolute URL or a protocol-relative one (open redirect).
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  try {
    await api.login(form.name.value, form.password.value);
    window.location.assign(nextPath());
  } catch (exc) {
    if (exc.status === 401) error.textContent = "Wrong name or password.";
    else if (exc.status === 429) error.textContent = `Login refused: ${exc.detail}.`;  // says how long to wait
    else error.textContent = `Login failed (${exc.message}).`;
    form.password.value = "";
    form.password.focus();
  }
});
