// Page shell shared by every dashboard page: header, navigation, the one "not a medical device" line,
// formatting helpers, severity colours and the alarm sound.
import * as api from "./api.js";

export const STALE_AFTER_S = 10;   // no frame for this long: the tile greys out and says so

export const RHYTHM_NAMES = {
  N: "Sinus rhythm", AFIB: "Atrial fibrillation", AFL: "Atrial flutter", SBR: "Sinus bradycardia",
  SVTA: "SV tachyarrhythmia", VT: "Ventricular tachycardia", VFL: "Ventricular flutter/fibrillation",
  B: "Ventricular bigeminy", T: "Ventricular trigeminy", IVR: "Idioventricular rhythm",
  NOD: "Nodal rhythm", BII: "2° heart block", P: "Paced rhythm", PREX: "Pre-excitation",
  PAUSE: "Pause", ASYS: "Asystole", Q: "Not analysable",
};
export const RHYTHM_COLOURS = {
  N: "#2f9e6a", AFIB: "#ffb020", AFL: "#e08a00", SBR: "#8b7cf6", SVTA: "#f472b6", VT: "#ff4d4f",
  VFL: "#b91c1c", B: "#f59e0b", T: "#fbbf24", PAUSE: "#a78bfa", ASYS: "#7f1d1d", Q: "#4b5563",
};
export const BEAT_COLOURS = { N: "#3ee08f", S: "#ffb020", V: "#ff4d4f", F: "#f472b6", Q: "#8796a8" };

export const rhythmName = (code) => (code ? RHYTHM_NAMES[code] ?? code : "—");

export function fmtAgo(t, now = Date.now() / 1000) {
  if (t === null || t === undefined) return "never";
  const s = Math.max(0, now - t);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t * 1000).toLocaleDateString();
}
export const fmtTime = (t) => (t ? new Date(t * 1000).toLocaleTimeString() : "—");
export const fmtDateTime = (t) => (t ? new Date(t * 1000).toLocaleString() : "—");
export const fmtNum = (v, digits = 0, unit = "") =>
  (v === null || v === undefined || Number.isNaN(Number(v)) ? "—" : `${Number(v).toFixed(digits)}${unit}`);
export const alertTitle = (kind) => String(kind).replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Fetch the user, draw header and footer; resolves with the user (redirects to /login without one).
export async function startPage(active) {
  const user = await api.me();
  const nav = [["overview", "/", "Overview"], ["history", "/history", "History"], ["devices", "/devices", "Devices"]];
  const header = el("header", { class: "top" },
    el("a", { class: "brand", href: "/" }, "♥ cardiowatch"),
    el("nav", {}, nav.map(([key, href, label]) =>
      el("a", { href, class: key === active ? "active" : null, "data-nav": key }, label))),
    el("span", { class: "spacer" }),
    el("span", { class: "who", "data-testid": "who" }, `${user.name} (${user.role})`),
    el("button", { type: "button", id: "logout", onclick: async () => {
      await api.logout();
      window.location.assign("/login");
    } }, "Log out"));
  document.body.prepend(header);
  document.body.append(el("footer", { class: "notice", id: "notice" }, user.notice));
  return user;
}

// --- alarm sound (Web Audio; browsers allow it only after a user gesture) ---------------------------
let audio = null;
let soundOn = false;
const TONES = { critical: [880, 0.18, 3], warning: [660, 0.25, 2], technical: [440, 0.3, 1] };

export function soundToggle() {
  const button = el("button", { type: "button", id: "sound", "aria-pressed": "false" }, "Sound: off");
  button.addEventListener("click", () => {
    soundOn = !soundOn;
    if (soundOn && !audio) audio = new AudioContext();
    button.textContent = soundOn ? "Sound: on" : "Sound: off";
    button.setAttribute("aria-pressed", String(soundOn));
  });
  return button;
}

export function playAlarm(severity) {
  if (!soundOn || !audio || !TONES[severity]) return;
  const [freq, length, count] = TONES[severity];
  for (let i = 0; i < count; i += 1) {
    const start = audio.currentTime + i * length * 1.6;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.15, start);
    gain.gain.exponentialRampToValueAtTime(0.001, start + length);
    osc.connect(gain).connect(audio.destination);
    osc.start(start);
    osc.stop(start + length);
  }
}

// Page-wide counters the browser tests and benchmarks read (window.cwStats).
export const stats = (window.cwStats = window.cwStats || {
  frames: 0, sweepsDrawn: 0, samplesReceived: 0, alertsShown: [], startedAt: performance.now(),
});

// Record when a new alert reached the screen: stamped in the next animation frame, after it is painted.
// ``meta.at`` is the server's time of the alert transition (the latency the benchmark reports).
export function noteShown(alert, meta) {
  requestAnimationFrame(() => stats.alertsShown.push({
    id: alert.id, deviceId: alert.deviceId, kind: alert.kind, at: meta?.at ?? alert.raisedAt, shownAt: Date.now() / 1000,
  }));
}
