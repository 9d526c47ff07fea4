// Overview: one tile per device with a live mini-sweep, HR, rhythm, signal quality, battery, last seen,
// alert state (colour and sound by severity) and a stale-data warning when a device goes quiet.
import * as api from "./api.js";
import { STALE_AFTER_S, alertTitle, el, fmtAgo, fmtNum, noteShown, playAlarm, rhythmName, soundToggle, startPage } from "./common.js";
import { Sweep } from "./sweep.js";

const tiles = new Map();   // device id -> {device, node, sweep, alerts: Map}

function tileFor(device) {
  let tile = tiles.get(device.id);
  if (tile) return tile;
  const node = el("a", { class: "tile", href: `/patient/${encodeURIComponent(device.id)}`, "data-device": device.id },
    el("div", {}, el("div", { class: "name" }), el("div", { class: "rhythm" })),
    el("div", { class: "hr num" }, el("span", { class: "hr-value" }, "—"), el("small", {}, "bpm")),
    el("canvas", { class: "sweep", "aria-label": `live waveform of ${device.name}` }),
    el("div", { class: "facts" }));
  document.getElementById("tiles").append(node);
  const sweep = new Sweep(node.querySelector("canvas"), { windowS: 5, sensor: (device.sensor ?? "ecg").startsWith("ppg") ? "ppg" : "ecg", labels: false });
  tile = { device, node, sweep, alerts: new Map() };
  tiles.set(device.id, tile);
  return tile;
}

function topSeverity(tile) {
  const active = [...tile.alerts.values()].filter((a) => a.state === "active");
  return ["critical", "warning", "technical"].find((s) => active.some((a) => a.severity === s)) ?? null;
}

function render(tile, now = Date.now() / 1000) {
  const d = tile.device;
  const stale = d.lastSeen === null || now - d.lastSeen > STALE_AFTER_S;
  const severity = topSeverity(tile);
  tile.node.className = `tile${severity ? ` sev-${severity}` : ""}${stale ? " stale" : ""}`;
  tile.node.dataset.severity = severity ?? "none";
  tile.node.querySelector(".name").textContent = d.name;
  tile.node.querySelector(".rhythm").textContent = rhythmName(d.rhythm);
  tile.node.querySelector(".hr-value").textContent = stale || d.hr === null ? "—" : Math.round(d.hr);
  const facts = tile.node.querySelector(".facts");
  const open = [...tile.alerts.values()].filter((a) => a.state === "active");
  const top = open.find((a) => a.severity === severity);
  facts.replaceChildren(
    severity ? el("span", { class: `badge ${severity}`, "data-testid": "alert-badge", title: severity },
      `${alertTitle(top.kind)}${open.length > 1 ? ` +${open.length - 1}` : ""}`) : el("span", { class: "badge ok" }, "no alert"),
    el("span", {}, "signal ", el("b", {}, d.quality === null ? "—" : (typeof d.quality === "number" ? fmtNum(d.quality * 100, 0, " %") : d.quality))),
    el("span", {}, "battery ", el("b", {}, fmtNum(d.battery, 0, " %"))),
    stale ? el("span", { class: "stale-badge", "data-testid": "stale" }, `NO DATA · ${fmtAgo(d.lastSeen, now)}`)
          : el("span", {}, "seen ", el("b", {}, fmtAgo(d.lastSeen, now))));
}

async function loadDevices() {
  const devices = await api.listDevices();
  document.getElementById("empty").classList.toggle("hidden", devices.length > 0);
  for (const device of devices) {
    const tile = tileFor(device);
    tile.device = { ...tile.device, ...device, lastSeen: Math.max(tile.device.lastSeen ?? 0, device.lastSeen ?? 0) || null };
    render(tile);
  }
}

async function loadAlerts() {
  const alerts = await api.listAlerts({ openOnly: true });
  for (const tile of tiles.values()) tile.alerts.clear();
  for (const alert of alerts) tiles.get(alert.deviceId)?.alerts.set(alert.id, alert);
  for (const tile of tiles.values()) render(tile);
}

async function main() {
  await startPage("overview");
  document.getElementById("sound-slot").append(soundToggle());
  await loadDevices();
  await loadAlerts();
  const link = document.getElementById("link");
  api.liveFeed({
    connection(up) { link.textContent = up ? "live" : "reconnecting…"; link.className = `badge ${up ? "ok" : "stale"}`; },
    samples(id, chunk) {
      const tile = tiles.get(id);
      if (!tile) return;
      tile.sweep.push(chunk);
      tile.device.lastSeen = Date.now() / 1000;
    },
    status(id, device) {
      const tile = tiles.get(id);
      if (!tile) { loadDevices(); return; }
      Object.assign(tile.device, device);
      render(tile);
    },
    summary(id, s) {
      const tile = tiles.get(id);
      if (!tile) return;
      if (s.hr != null) tile.device.hr = s.hr;
      if (s.rhythm) tile.device.rhythm = s.rhythm;
      if (s.quality != null) tile.device.quality = s.quality;
      render(tile);
    },
    alert(id, alert, meta) {
      const tile = tiles.get(id);
      if (!tile) return;
      const isNew = !tile.alerts.has(alert.id) && alert.state === "active";
      if (alert.state === "resolved") tile.alerts.delete(alert.id); else tile.alerts.set(alert.id, alert);
      render(tile);
      if (isNew) {
        playAlarm(alert.severity);
        noteShown(alert, meta);
      }
    },
  });
  setInterval(() => { for (const tile of tiles.values()) render(tile); }, 1000);
  setInterval(() => { loadDevices(); loadAlerts(); }, 15000);
}

main();
