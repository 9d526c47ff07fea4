// History: pick a device and a time range; HR chart (uPlot, drag to zoom from hours down to seconds),
// rhythm timeline, events with the 10-s strip around each, an alert's own evidence strip (?alert=ID),
// CSV, EDF+ and WFDB export, and the printable report.
import * as api from "./api.js";
import { RHYTHM_COLOURS, alertTitle, el, fmtDateTime, fmtNum, rhythmName, startPage } from "./common.js";
import { drawStrip } from "./sweep.js";

const STRIP_S = 10;
const ZOOM_TO_STRIP_S = 120;   // a chart zoomed to this span or less shows the strip at its centre
const $ = (id) => document.getElementById(id);
let chart = null;
let current = null;            // {deviceId, start, end, device}
// The alert whose strip the page opened on (?alert=ID, from an alert's "Evidence strip" link); shown by
// the first load only, so picking another range shows that range.
let openAlert = new URLSearchParams(window.location.search).get("alert");

const toLocalInput = (t) => {
  const d = new Date(t * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};
const fromLocalInput = (value) => new Date(value).getTime() / 1000;

function setRange(start, end) {
  $("start").value = toLocalInput(start);
  $("end").value = toLocalInput(end);
}

function renderChart(sums, start, end) {
  const host = $("hr-chart");
  // The range's ends as empty points, so the axis spans the range picked even with few summaries.
  const data = [[start, ...sums.map((s) => s.t), end], [null, ...sums.map((s) => s.hr), null]];
  if (chart) chart.destroy();
  chart = new uPlot({
    width: Math.max(280, host.clientWidth), height: 220,
    scales: { x: { time: true } },
    cursor: { drag: { x: true, y: false } },
    axes: [{ stroke: "#8796a8", grid: { stroke: "#1c2633" } }, { stroke: "#8796a8", grid: { stroke: "#1c2633" }, label: "bpm" }],
    series: [{}, { label: "HR bpm", stroke: "#3ee08f", width: 1.5 }],
    hooks: {
      setScale: [(u, key) => {
        if (key !== "x") return;
        const { min, max } = u.scales.x;
        if (min != null && max != null && max - min <= ZOOM_TO_STRIP_S) showStrip((min + max) / 2, "zoom");
      }],
    },
  }, data, host);
  host.dataset.points = String(sums.length);
}

function renderTimeline(eps, start, end) {
  const span = end - start;
  const seen = new Set();
  $("timeline").replaceChildren(...eps.map((e) => {
    const a = Math.max(e.start, start);
    const b = Math.min(e.end ?? end, end);
    seen.add(e.rhythm);
    return el("div", {
      title: `${rhythmName(e.rhythm)}`,
      style: `left:${((a - start) / span) * 100}%;width:${((b - a) / span) * 100}%;background:${RHYTHM_COLOURS[e.rhythm] ?? "#4b5563"}`,
    });
  }));
  $("timeline-legend").replaceChildren(...[...seen].map((code) =>
    el("span", {}, el("i", { style: `background:${RHYTHM_COLOURS[code] ?? "#4b5563"}` }), rhythmName(code))));
}

function renderEvents(eps, alerts) {
  const { deviceId } = current;
  const events = [
    ...eps.filter((e) => e.rhythm !== "N").map((e) => ({
      t: e.start, what: rhythmName(e.rhythm), dur: (e.end ?? e.start) - e.start, kind: "episode",
      show: () => showStrip(e.start, rhythmName(e.rhythm)),
      extra: e.id == null ? [] : ["edf", "wfdb"].map((f) => el("a", {
        href: api.episodeExportUrl(deviceId, e.id, f), class: `export-${f}`, download: "" }, f === "edf" ? "EDF+" : "WFDB")),
    })),
    ...alerts.map((a) => ({
      t: a.onset ?? a.raisedAt, what: `${alertTitle(a.kind)} (${a.severity})`, kind: "alert",
      dur: a.durationS ?? (a.resolvedAt ?? a.raisedAt) - a.raisedAt,
      show: () => showAlertStrip(a.id), extra: [],
    })),
  ].sort((x, y) => x.t - y.t);
  $("events").querySelector("tbody").replaceChildren(...events.map((ev) => el("tr", { "data-event": ev.kind },
    el("td", { class: "num" }, fmtDateTime(ev.t)),
    el("td", {}, ev.what),
    el("td", { class: "num" }, ev.dur > 0 ? `${Math.round(ev.dur)} s` : "—"),
    el("td", { class: "row" }, el("button", { type: "button", class: "strip-button", onclick: ev.show }, "Strip"), ...ev.extra))));
  if (!events.length) $("events").querySelector("tbody").append(el("tr", {}, el("td", { colspan: 4, class: "muted" }, "No events in this range.")));
}

// The 10-s strip centred on t: stored samples plus the beats in it.
async function showStrip(t, why) {
  if (!current) return;
  const start = t - STRIP_S / 2;
  const end = t + STRIP_S / 2;
  const [chunks, bts] = await Promise.all([
    api.waveform(current.deviceId, start, end).catch(() => []),
    api.beats(current.deviceId, start, end).catch(() => []),
  ]);
  const strip = joinChunks(chunks, start, end);
  $("strip-title").textContent = `10-second strip · ${fmtDateTime(start)} (${why})`;
  const stored = strip.samples.filter((v) => !Number.isNaN(v)).length;
  const { leadOff } = strip;
  $("strip-note").textContent = strip.samples.length
    ? `${stored} samples at ${strip.fs} Hz${leadOff ? `, lead off for ${(leadOff / strip.fs).toFixed(1)} s` : ""}, ${bts.length} beats`
    : "No stored waveform in this window.";
  $("strip").dataset.samples = String(stored + leadOff);
  drawStrip($("strip"), strip, bts, { sensor: (current.device?.sensor ?? "ecg").startsWith("ppg") ? "ppg" : "ecg" });
}

// An alert's own strip (10 s before to 10 s after its onset, from the server) with its evidence.
async function showAlertStrip(alertId) {
  let strip;
  try {
    strip = await api.alertStrip(alertId);
  } catch (exc) {
    $("strip-note").textContent = `Alert ${alertId}: ${exc.message}`;
    return;
  }
  const a = strip.alert;
  const onset = a.onset ?? a.raisedAt;
  $("strip-title").textContent = `${alertTitle(a.kind)} · onset ${fmtDateTime(onset)}`;
  const duration = a.durationS != null ? `${Math.round(a.durationS)} s` : a.state === "resolved" ? "—" : "ongoing";
  $("strip-note").textContent = [
    `rhythm ${rhythmName(a.rhythm)}`, `heart rate ${fmtNum(a.hrBpm, 0, " bpm")}`, `duration ${duration}`,
    `signal quality ${a.quality ?? "—"}`,
    strip.samples.length ? `${strip.beats.length} beats` : "no stored waveform around the onset",
    ...(strip.leadOff ? [`lead off for ${(strip.leadOff / strip.fs).toFixed(1)} s`] : []),
  ].join(" · ");
  $("strip").dataset.alert = String(alertId);
  $("strip").dataset.samples = String(strip.samples.filter((v) => !Number.isNaN(v)).length + strip.leadOff);
  drawStrip($("strip"), strip, strip.beats, { sensor: (strip.sensor ?? "ecg").startsWith("ppg") ? "ppg" : "ecg" });
}

// Stored chunks -> one run of samples from start to end (NaN where nothing was stored or a lead was off).
function joinChunks(chunks, start, end) {
  if (!chunks.length) return { t0: start, fs: 0, samples: [], leadOff: 0 };
  const fs = chunks[0].fs;
  const n = Math.round((end - start) * fs);
  const out = new Array(n).fill(null);
  let leadOff = 0;
  for (const c of chunks) {
    const offset = Math.round((c.t0 - start) * fs);
    // Lead-off samples are not signal: NaN breaks the trace there.
    c.samples.forEach((v, i) => {
      const k = offset + i;
      if (k < 0 || k >= n) return;
      out[k] = c.leadOff ? NaN : v;
      if (c.leadOff) leadOff += 1;
    });
  }
  // Missing samples (not stored) are NaN as well: the strip shows a gap, never an invented line.
  return { t0: start, fs, samples: out.map((v) => (v === null ? NaN : v)), leadOff };
}

async function load() {
  const deviceId = $("device").value;
  const start = fromLocalInput($("start").value);
  const end = fromLocalInput($("end").value);
  if (!deviceId || !(end > start)) return;
  const device = (await api.listDevices()).find((d) => d.id === deviceId);
  current = { deviceId, start, end, device };
  history.replaceState(null, "", `/history/${encodeURIComponent(deviceId)}?start=${start}&end=${end}` +
    (openAlert ? `&alert=${encodeURIComponent(openAlert)}` : ""));
  $("report-link").href = api.reportUrl(deviceId, start, end);
  $("export-edf").href = api.exportUrl(deviceId, start, end, "edf");
  $("export-wfdb").href = api.exportUrl(deviceId, start, end, "wfdb");
  const [sums, eps, alerts] = await Promise.all([
    api.summaries(deviceId, start, end).catch(() => []),
    api.episodes(deviceId, start, end).catch(() => []),
    api.listAlerts({ deviceId, openOnly: false, start, end }).catch(() => []),
  ]);
  renderChart(sums, start, end);
  renderTimeline(eps, start, end);
  renderEvents(eps, alerts);
  const alertToShow = openAlert;
  openAlert = null;
  if (alertToShow) await showAlertStrip(alertToShow);
  else await showStrip(Math.min(end, Date.now() / 1000) - STRIP_S / 2 - 1, "end of range");
  document.body.dataset.loaded = String(Date.now());
}

const csvCell = (v) => (v === null || v === undefined ? "" : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));

async function exportCsv() {
  if (!current) await load();
  const { deviceId, start, end } = current;
  const [bts, sums] = await Promise.all([api.beats(deviceId, start, end), api.summaries(deviceId, start, end)]);
  const rows = [["time_utc", "unix_s", "type", "label", "hr_bpm", "rr_ms", "rhythm"]];
  for (const b of bts) rows.push([new Date(b.t * 1000).toISOString(), b.t.toFixed(3), "beat", b.label, "", b.rrMs ?? "", ""]);
  for (const s of sums) rows.push([new Date(s.t * 1000).toISOString(), s.t.toFixed(3), "summary", "", s.hr ?? "", "", s.rhythm ?? ""]);
  rows.splice(1, rows.length, ...rows.slice(1).sort((a, b) => Number(a[1]) - Number(b[1])));
  const text = `${rows.map((r) => r.map(csvCell).join(",")).join("\n")}\n`;
  const link = el("a", {
    href: URL.createObjectURL(new Blob([text], { type: "text/csv" })),
    download: `cardiowatch-${deviceId}-${new Date(start * 1000).toISOString().slice(0, 19)}.csv`,
  });
  document.body.append(link);
  link.click();
  link.remove();
}

async function main() {
  await startPage("history");
  const devices = await api.listDevices();
  const parts = window.location.pathname.split("/");
  const wanted = parts.length > 2 ? decodeURIComponent(parts[2]) : devices[0]?.id;
  $("device").replaceChildren(...devices.map((d) => el("option", { value: d.id, selected: d.id === wanted }, d.name)));
  const params = new URLSearchParams(window.location.search);
  const now = Date.now() / 1000;
  setRange(Number(params.get("start")) || now - 3600, Number(params.get("end")) || now);
  $("range-form").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  for (const b of document.querySelectorAll("[data-last]")) {
    b.addEventListener("click", () => { const t = Date.now() / 1000; setRange(t - Number(b.dataset.last), t); load(); });
  }
  $("export-csv").addEventListener("click", exportCsv);
  await load();
}

main();
