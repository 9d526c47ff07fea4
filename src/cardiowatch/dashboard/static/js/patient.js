// Patient view: the live sweep with beat labels, vitals, HR trend (uPlot), rhythm timeline, alerts with
// acknowledge and snooze, and the HRV / AF-burden summary.
import * as api from "./api.js";
import {
  RHYTHM_COLOURS, STALE_AFTER_S, alertTitle, el, fmtAgo, fmtNum, fmtTime, noteShown, playAlarm, rhythmName,
  soundToggle, startPage,
} from "./common.js";
import { Sweep } from "./sweep.js";

const TREND_S = 3600;
const deviceId = decodeURIComponent(window.location.pathname.split("/").pop());
let device = null;
let sweep = null;
let trend = null;
const trendData = [[], []];
const alerts = new Map();
let episodes = [];
let latest = {};

function renderVitals(now = Date.now() / 1000) {
  const stale = !device?.lastSeen || now - device.lastSeen > STALE_AFTER_S;
  document.getElementById("hr").textContent = stale || device?.hr == null ? "—" : Math.round(device.hr);
  document.getElementById("rhythm").textContent = rhythmName(device?.rhythm);
  const q = device?.quality;
  const quality = document.getElementById("quality");
  quality.textContent = q == null ? "—" : (typeof q === "number" ? fmtNum(q * 100, 0, " %") : q);
  quality.classList.toggle("degraded", q != null && q !== "good");
  document.getElementById("battery").textContent = fmtNum(device?.battery, 0, " %");
  const seen = document.getElementById("seen");
  seen.textContent = stale ? `NO DATA · ${fmtAgo(device?.lastSeen, now)}` : fmtAgo(device.lastSeen, now);
  seen.className = stale ? "stale-badge" : "";
}

function renderSummary() {
  const rows = [
    ["Heart rate", fmtNum(latest.hr, 0, " bpm")],
    ["SDNN", fmtNum(latest.sdnnMs, 0, " ms")],
    ["RMSSD", fmtNum(latest.rmssdMs, 0, " ms")],
    ["pNN50", fmtNum(latest.pnn50, 1, " %")],
    ["AF burden (last hour)", afBurdenText()],
    ["Ectopic beats", fmtNum(latest.ectopicPerMin, 1, " /min")],
  ];
  document.getElementById("summary").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { class: "num" }, v)]));
}

// AF burden: the server's figure when it sends one, else the share of the last hour in AF/AFL episodes.
function afBurdenText() {
  if (latest.afBurden != null) return fmtNum(latest.afBurden <= 1 ? latest.afBurden * 100 : latest.afBurden, 1, " %");
  const now = Date.now() / 1000;
  const from = now - TREND_S;
  let af = 0;
  for (const e of episodes) {
    if (e.rhythm !== "AFIB" && e.rhythm !== "AFL") continue;
    af += Math.max(0, Math.min(e.end ?? now, now) - Math.max(e.start, from));
  }
  return episodes.length ? fmtNum((af / TREND_S) * 100, 1, " %") : "—";
}

function renderTimeline() {
  const now = Date.now() / 1000;
  const from = now - TREND_S;
  const bar = document.getElementById("timeline");
  const seen = new Set();
  bar.replaceChildren(...episodes.filter((e) => (e.end ?? now) > from).map((e) => {
    const start = Math.max(e.start, from);
    const end = Math.min(e.end ?? now, now);
    seen.add(e.rhythm);
    return el("div", {
      title: `${rhythmName(e.rhythm)} ${fmtTime(start)}–${fmtTime(end)}`,
      style: `left:${((start - from) / TREND_S) * 100}%;width:${((end - start) / TREND_S) * 100}%;` +
        `background:${RHYTHM_COLOURS[e.rhythm] ?? "#4b5563"}`,
    });
  }));
  document.getElementById("timeline-legend").replaceChildren(...[...seen].map((code) =>
    el("span", {}, el("i", { style: `background:${RHYTHM_COLOURS[code] ?? "#4b5563"}` }), rhythmName(code))));
}

// The history page around the alert's onset, drawing the alert's own strip.
function evidenceUrl(a) {
  const t = a.onset ?? a.raisedAt;
  return `/history/${encodeURIComponent(deviceId)}?start=${Math.floor(t - 600)}&end=${Math.ceil(t + 600)}&alert=${encodeURIComponent(a.id)}`;
}

function renderAlerts() {
  const body = document.querySelector("#alerts tbody");
  const open = [...alerts.values()].filter((a) => a.state !== "resolved").sort((a, b) => b.raisedAt - a.raisedAt);
  document.getElementById("no-alerts").classList.toggle("hidden", open.length > 0);
  body.replaceChildren(...open.map((a) => {
    const act = async (fn) => {
      try { await fn(); } catch (exc) { window.alert(exc.message); }
      await loadAlerts();
    };
    const state = a.state === "acknowledged" ? `acknowledged by ${a.ackedBy ?? "?"} ${fmtTime(a.ackedAt)}`
      : a.state === "snoozed" ? `snoozed until ${fmtTime(a.snoozedUntil)}` : "active";
    return el("tr", { class: `sev-${a.severity}`, "data-alert": a.id, "data-state": a.state },
      el("td", {}, el("span", { class: `badge ${a.severity}` }, a.severity)),
      el("td", {}, alertTitle(a.kind), a.detail ? el("div", { class: "muted" }, a.detail) : null,
        el("div", {}, el("a", { href: evidenceUrl(a), class: "evidence" }, "Evidence strip"))),
      el("td", { class: "num" }, fmtTime(a.raisedAt)),
      el("td", { class: "state" }, state),
      el("td", { class: "row" },
        a.state === "active" || a.state === "snoozed"
          ? el("button", { type: "button", class: "ack", onclick: () => act(() => api.ackAlert(a.id)) }, "Acknowledge") : null,
        a.state === "active"
          ? el("button", { type: "button", class: "snooze", onclick: () => act(() => api.snoozeAlert(a.id, 5)) }, "Snooze 5 min") : null));
  }));
}

async function loadAlerts() {
  const list = await api.listAlerts({ deviceId, openOnly: true });
  alerts.clear();
  for (const a of list) alerts.set(a.id, a);
  renderAlerts();
}

function makeTrend() {
  const host = document.getElementById("hr-trend");
  trend = new uPlot({
    width: Math.max(280, host.clientWidth), height: 180,
    // A monitor's trend: always the last hour, newest at the right.
    scales: { x: { time: true, range: () => { const now = Date.now() / 1000; return [now - TREND_S, now]; } }, y: { range: (u, lo, hi) => [Math.min(40, lo ?? 40), Math.max(140, hi ?? 140)] } },
    axes: [{ stroke: "#8796a8", grid: { stroke: "#1c2633" } }, { stroke: "#8796a8", grid: { stroke: "#1c2633" } }],
    series: [{}, { label: "HR bpm", stroke: "#3ee08f", width: 2, spanGaps: false }],
    legend: { show: false },
  }, trendData, host);
  new ResizeObserver(() => trend.setSize({ width: Math.max(280, host.clientWidth), height: 180 })).observe(host);
}

function addTrendPoint(t, hr) {
  if (t == null || hr == null) return;
  trendData[0].push(t); trendData[1].push(hr);
  const cutoff = Date.now() / 1000 - TREND_S;
  while (trendData[0].length && trendData[0][0] < cutoff) { trendData[0].shift(); trendData[1].shift(); }
  trend?.setData(trendData);
}

async function main() {
  await startPage("overview");
  document.getElementById("sound-slot").append(soundToggle());
  document.getElementById("history-link").href = `/history/${encodeURIComponent(deviceId)}`;
  device = (await api.listDevices()).find((d) => d.id === deviceId) ?? api.normDevice({ device_id: deviceId });
  document.getElementById("title").textContent = device.name;
  document.title = `${device.name} · cardiowatch`;
  sweep = new Sweep(document.getElementById("sweep"), { windowS: 6, sensor: (device.sensor ?? "ecg").startsWith("ppg") ? "ppg" : "ecg" });
  makeTrend();
  const now = Date.now() / 1000;
  const [sums, eps] = await Promise.all([
    api.summaries(deviceId, now - TREND_S, now).catch(() => []),
    api.episodes(deviceId, now - TREND_S, now).catch(() => []),
  ]);
  for (const s of sums) addTrendPoint(s.t, s.hr);
  if (sums.length) latest = sums[sums.length - 1];
  episodes = eps;
  await loadAlerts();
  renderVitals(); renderSummary(); renderTimeline();
  const link = document.getElementById("link");
  api.liveFeed({
    connection(up) { link.textContent = up ? "live" : "reconnecting…"; link.className = `badge ${up ? "ok" : "stale"}`; },
    samples(id, chunk) {
      if (id !== deviceId) return;
      sweep.push(chunk);
      device.lastSeen = Date.now() / 1000;
    },
    beat(id, beat) { if (id === deviceId) sweep.addBeat(beat); },
    status(id, d) {
      if (id !== deviceId) return;
      Object.assign(device, d);
      renderVitals();
    },
    summary(id, s) {
      if (id !== deviceId) return;
      latest = { ...latest, ...Object.fromEntries(Object.entries(s).filter(([, v]) => v != null)) };
      if (s.hr != null) device.hr = s.hr;
      if (s.rhythm) {
        device.rhythm = s.rhythm;
        const last = episodes[episodes.length - 1];
        const t = s.t ?? Date.now() / 1000;
        if (!last || last.rhythm !== s.rhythm) { if (last && last.end == null) last.end = t; episodes.push({ rhythm: s.rhythm, start: t, end: null }); }
      }
      addTrendPoint(s.t ?? Date.now() / 1000, s.hr);
      renderVitals(); renderSummary(); renderTimeline();
    },
    alert(id, a, meta) {
      if (id !== deviceId) return;
      const isNew = !alerts.has(a.id) && a.state === "active";
      alerts.set(a.id, a);
      renderAlerts();
      if (isNew) {
        playAlarm(a.severity);
        noteShown(a, meta);
      }
    },
  }, { deviceId });
  setInterval(() => { renderVitals(); renderTimeline(); }, 1000);
  setInterval(loadAlerts, 15000);
}

main();
