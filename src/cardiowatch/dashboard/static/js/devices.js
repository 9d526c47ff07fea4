// Device management: register (token shown once), rotate or revoke a token, see each device's status;
// admins also manage users here. Viewers see the status table only.
import * as api from "./api.js";
import { STALE_AFTER_S, el, fmtAgo, fmtNum, startPage } from "./common.js";

const $ = (id) => document.getElementById(id);
let isAdmin = false;

function showToken(deviceId, token) {
  $("token-device").textContent = deviceId;
  $("token-value").textContent = token;
  $("token-dialog").showModal();
}

async function render() {
  const devices = await api.listDevices();
  const now = Date.now() / 1000;
  $("devices").querySelector("tbody").replaceChildren(...devices.map((d) => {
    const stale = d.lastSeen === null || now - d.lastSeen > STALE_AFTER_S;
    const state = d.revoked ? el("span", { class: "badge critical" }, "revoked")
      : stale ? el("span", { class: "badge stale" }, d.lastSeen ? "quiet" : "never seen")
        : el("span", { class: "badge ok" }, "streaming");
    const actions = isAdmin ? [
      el("button", { type: "button", class: "rotate", onclick: async () => {
        if (!window.confirm(`Issue a new token for ${d.name}? The old one stops working.`)) return;
        showToken(d.id, await api.rotateToken(d.id));
        await render();
      } }, "Rotate token"),
      d.revoked ? null : el("button", { type: "button", class: "danger revoke", onclick: async () => {
        if (!window.confirm(`Revoke ${d.name}'s token? The device can no longer send until a new token is issued.`)) return;
        await api.revokeDevice(d.id);
        await render();
      } }, "Revoke"),
    ] : [];
    return el("tr", { "data-device": d.id },
      el("td", {}, el("a", { href: `/patient/${encodeURIComponent(d.id)}` }, d.name), el("div", { class: "muted" }, `id ${d.id}`)),
      el("td", {}, d.sensor ? d.sensor.toUpperCase().replaceAll("_", " ") : "—"),
      el("td", {}, state),
      el("td", {}, fmtAgo(d.lastSeen, now)),
      el("td", {}, d.firmware ?? "—"),
      el("td", { class: "num" }, fmtNum(d.rssi, 0, " dBm")),
      el("td", { class: "num" }, fmtNum(d.battery, 0, " %")),
      el("td", { class: "row" }, actions));
  }));
}

async function renderUsers() {
  const users = await api.listUsers();
  $("users").querySelector("tbody").replaceChildren(...users.map((u) => el("tr", {}, el("td", {}, u.name), el("td", {}, u.role))));
}

async function main() {
  const user = await startPage("devices");
  isAdmin = user.role === "admin";
  for (const node of document.querySelectorAll(".admin-only")) node.classList.toggle("hidden", !isAdmin);
  $("copy-token").addEventListener("click", () => navigator.clipboard?.writeText($("token-value").textContent));
  // The token leaves the page when the dialog closes: it is shown once.
  $("token-dialog").addEventListener("close", () => { $("token-value").textContent = ""; });
  $("register-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("register-error").textContent = "";
    try {
      const { device, token } = await api.registerDevice($("device-name").value.trim());
      $("device-name").value = "";
      showToken(device.id, token);
      await render();
    } catch (exc) { $("register-error").textContent = exc.detail ?? exc.message; }
  });
  $("user-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("user-error").textContent = "";
    try {
      await api.addUser($("user-name").value.trim(), $("user-password").value, $("user-role").value);
      $("user-name").value = ""; $("user-password").value = "";
      await renderUsers();
    } catch (exc) { $("user-error").textContent = exc.detail ?? exc.message; }
  });
  await render();
  if (isAdmin) await renderUsers();
  setInterval(render, 5000);
}

main();
