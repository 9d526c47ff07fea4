// Login form: posts JSON to /login, then goes where the user was headed. The server decides whether
// `next` is a path of this site (dashboard/auth.py: safe_next_path); the page follows its answer only.
import * as api from "./api.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  try {
    const requested = new URLSearchParams(window.location.search).get("next") || "/";
    const body = await api.login(form.name.value, form.password.value, requested);
    window.location.assign(body.next);
  } catch (exc) {
    if (exc.status === 401) error.textContent = "Wrong name or password.";
    else if (exc.status === 429) error.textContent = `Login refused: ${exc.detail}.`;  // says how long to wait
    else error.textContent = `Login failed (${exc.message}).`;
    form.password.value = "";
    form.password.focus();
  }
});
