// Monitor-style sweep on a canvas: the trace is written left to right at the device's sampling rate,
// an erase bar runs ahead of the pen, beat markers carry their class label. One requestAnimationFrame
// loop drives every sweep on the page.
import { BEAT_COLOURS, stats } from "./common.js";

const sweeps = new Set();
let loopRunning = false;

function loop(now) {
  stats.frames += 1;
  for (const sweep of sweeps) {
    try { sweep.draw(now); } catch (exc) { console.error("sweep draw failed", exc); }
  }
  requestAnimationFrame(loop);
}

// ECG paper: small squares 40 ms, large squares 200 ms (25 mm/s paper), square in both directions.
export function paintGrid(w, h, ratio, windowS, grid = true) {
  const off = document.createElement("canvas");
  off.width = w; off.height = h;
  const g = off.getContext("2d");
  g.fillStyle = "#050a07";
  g.fillRect(0, 0, w, h);
  if (!grid) return off;
  const small = (w / windowS) * 0.04;
  const lines = (step, colour) => {
    g.strokeStyle = colour; g.lineWidth = 1;
    g.beginPath();
    for (let x = 0; x < w; x += step) { g.moveTo(Math.round(x) + 0.5, 0); g.lineTo(Math.round(x) + 0.5, h); }
    for (let y = h; y > 0; y -= step) { g.moveTo(0, Math.round(y) + 0.5); g.lineTo(w, Math.round(y) + 0.5); }
    g.stroke();
  };
  if (small >= 3 * ratio) lines(small, "#0f2217");
  lines(small * 5, "#1c3d2a");
  return off;
}

export class Sweep {
  // canvas: the element; fs: samples per second (from the frames, never assumed); windowS: seconds
  // across the canvas; sensor: "ecg" or "ppg"; delayS: jitter buffer the pen runs behind the newest sample.
  constructor(canvas, { windowS = 6, sensor = "ecg", delayS = 0.35, grid = true, labels = true } = {}) {
    this.canvas = canvas;
    this.windowS = windowS;
    this.sensor = sensor;
    this.delayS = delayS;
    this.grid = grid;
    this.labels = labels;
    this.reset(null);
    sweeps.add(this);
    if (!loopRunning) { loopRunning = true; requestAnimationFrame(loop); }
  }

  reset(fs) {
    this.fs = fs;
    this.capacity = fs ? Math.round(this.windowS * fs) : 0;
    this.ring = new Float32Array(Math.max(1, this.capacity));
    this.received = 0;        // samples received since reset (index of the next one)
    this.t0 = null;           // device time of sample 0
    this.pen = 0;             // fractional sample index the pen has reached
    this.lastDraw = null;
    this.beats = [];          // {index, label}
    this.scale = null;        // [lo, hi] display range, adapted slowly
    this.background = null;
  }

  destroy() { sweeps.delete(this); }

  // Append samples whose first one was taken at device time t0 (s), at rate fs.
  push({ t0, fs, samples }) {
    if (!fs || !samples.length) return;
    const expected = this.t0 === null ? null : this.t0 + this.received / this.fs;
    const gap = expected === null ? 0 : t0 - expected;
    if (fs !== this.fs || this.t0 === null || gap < -1 || gap > 2) {
      // New stream, rate change, or a long gap: restart the sweep rather than draw a false trace.
      this.reset(fs);
      this.t0 = t0;
      this.pen = 0;
    }
    for (let i = 0; i < samples.length; i += 1) {
      // null = no signal (lead off, NaN on the server): kept as NaN so the trace breaks there.
      this.ring[(this.received + i) % this.capacity] = samples[i] ?? NaN;
    }
    this.received += samples.length;
    stats.samplesReceived += samples.length;
  }

  // A beat at device time t (s), labelled by its class (N, S, V, F, Q).
  addBeat({ t, sample, label }) {
    if (this.t0 === null || !this.fs) return;
    const index = sample !== null && sample !== undefined ? sample : Math.round((t - this.t0) * this.fs);
    this.beats.push({ index, label });
    stats.beatsReceived = (stats.beatsReceived ?? 0) + 1;
    if (this.beats.length > 64) this.beats.splice(0, this.beats.length - 64);
  }

  _resize() {
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (this.canvas.width !== w || this.canvas.height !== h || !this.background) {
      this.canvas.width = w;
      this.canvas.height = h;
      this.background = paintGrid(w, h, ratio, this.windowS, this.grid);
    }
    return [w, h, ratio];
  }

  _advancePen(now) {
    const dt = this.lastDraw === null ? 0 : Math.min(0.25, (now - this.lastDraw) / 1000);
    this.lastDraw = now;
    const target = this.received - this.delayS * this.fs;   // where the pen should be
    this.pen += dt * this.fs;
    // Keep the pen near its target: never ahead of the data, never seconds behind it.
    if (this.pen > this.received) this.pen = this.received;
    if (target - this.pen > this.fs) this.pen = target;
    if (this.pen < 0) this.pen = 0;
  }

  _updateScale(from, to) {
    let lo = Infinity; let hi = -Infinity;
    const step = Math.max(1, Math.floor((to - from) / 400));
    for (let i = from; i < to; i += step) {
      const v = this.ring[i % this.capacity];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!Number.isFinite(lo)) return;
    if (hi - lo < 1e-6) { lo -= 0.5; hi += 0.5; }   // a flat stretch: a fixed band around it
    const pad = (hi - lo) * 0.12;
    if (!this.scale) { this.scale = [lo - pad, hi + pad]; return; }
    // Slow adaptation keeps a steady picture; widen at once so nothing is clipped.
    const a = 0.05;
    this.scale = [Math.min(lo - pad, this.scale[0] * (1 - a) + (lo - pad) * a),
                  Math.max(hi + pad, this.scale[1] * (1 - a) + (hi + pad) * a)];
  }

  draw(now) {
    const [w, h, ratio] = this._resize();
    const g = this.canvas.getContext("2d");
    g.drawImage(this.background, 0, 0);
    if (!this.fs || this.received === 0) return;
    this._advancePen(now);
    const pen = Math.floor(this.pen);
    const cap = this.capacity;
    const from = Math.max(0, pen - cap + 1, this.received - cap);
    if (pen <= from) return;
    this._updateScale(from, pen);
    if (!this.scale) {   // nothing but gaps so far
      if (Number.isNaN(this.ring[(pen - 1) % cap])) this._noSignal(g, w, h, ratio);
      return;
    }
    const [lo, hi] = this.scale;
    const yOf = (v) => h - ((v - lo) / (hi - lo)) * h;
    const xOf = (index) => ((index % cap) / cap) * w;
    const gapSamples = Math.round(cap * 0.04);             // the erase bar ahead of the pen
    g.strokeStyle = this.sensor === "ppg" ? "#4cc9f0" : "#3ee08f";
    g.lineWidth = 1.6 * ratio;
    g.lineJoin = "round";
    g.beginPath();
    let prevX = null;
    for (let i = Math.max(from, pen - cap + gapSamples); i < pen; i += 1) {
      const x = xOf(i);
      const v = this.ring[i % cap];
      if (Number.isNaN(v)) { prevX = null; continue; }
      const y = yOf(v);
      if (prevX === null || x < prevX) g.moveTo(x, y); else g.lineTo(x, y);
      prevX = x;
    }
    g.stroke();
    const last = this.ring[(pen - 1) % cap];
    if (Number.isNaN(last)) {
      // No signal at the pen: say so, as a monitor does, rather than draw a flat line.
      this._noSignal(g, w, h, ratio);
    } else {
      g.fillStyle = "#d7ffe8";
      g.beginPath();
      g.arc(xOf(pen - 1), yOf(last), 2.2 * ratio, 0, Math.PI * 2);
      g.fill();
    }
    if (this.labels) this._drawBeats(g, pen, cap, gapSamples, xOf, ratio);
    stats.sweepsDrawn += 1;
  }

  _noSignal(g, w, h, ratio) {
    g.fillStyle = "#4da3ff";
    g.font = `600 ${14 * ratio}px "DejaVu Sans", sans-serif`;
    g.textAlign = "center";
    g.fillText("LEAD OFF · NO SIGNAL", w / 2, h / 2);
  }

  _drawBeats(g, pen, cap, gapSamples, xOf, ratio) {
    g.font = `${11 * ratio}px "DejaVu Sans", sans-serif`;
    g.textAlign = "center";
    for (const beat of this.beats) {
      if (beat.index >= pen || beat.index < pen - cap + gapSamples) continue;
      const x = xOf(beat.index);
      g.fillStyle = BEAT_COLOURS[beat.label] ?? "#d7e0ea";
      g.fillRect(x - 0.5 * ratio, 0, 1 * ratio, 5 * ratio);
      g.fillText(beat.label, x, 16 * ratio);
    }
  }
}

// Draw a fixed strip (history) on a canvas with the same grid: samples from t0 at fs, beats with t.
export function drawStrip(canvas, { t0, fs, samples }, beats = [], { sensor = "ecg" } = {}) {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.round(canvas.clientWidth * ratio);
  const h = Math.round(canvas.clientHeight * ratio);
  canvas.width = w; canvas.height = h;
  const seconds = samples.length / fs || 10;
  const g = canvas.getContext("2d");
  g.drawImage(paintGrid(w, h, ratio, seconds), 0, 0);
  if (!samples.length) return;
  let lo = Infinity; let hi = -Infinity;
  for (const v of samples) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!Number.isFinite(lo)) { lo = -1; hi = 1; }
  const pad = (hi - lo) * 0.12 || 1;
  lo -= pad; hi += pad;
  g.strokeStyle = sensor === "ppg" ? "#4cc9f0" : "#3ee08f";
  g.lineWidth = 1.4 * ratio;
  g.beginPath();
  let pen = false;
  samples.forEach((v, i) => {
    if (Number.isNaN(v)) { pen = false; return; }   // a gap: nothing stored, or lead off
    const x = (i / samples.length) * w;
    const y = h - ((v - lo) / (hi - lo)) * h;
    if (pen) g.lineTo(x, y); else g.moveTo(x, y);
    pen = true;
  });
  g.stroke();
  // Name the gaps of half a second or more, so a missing trace is never read as a flat line.
  g.fillStyle = "#4da3ff";
  g.font = `600 ${12 * ratio}px "DejaVu Sans", sans-serif`;
  g.textAlign = "center";
  let gapStart = null;
  samples.forEach((v, i) => {
    const inGap = Number.isNaN(v);
    if (inGap && gapStart === null) gapStart = i;
    if ((!inGap || i === samples.length - 1) && gapStart !== null) {
      const end = inGap ? i + 1 : i;
      if ((end - gapStart) / fs >= 0.5) g.fillText("NO SIGNAL", ((gapStart + end) / 2 / samples.length) * w, h / 2);
      gapStart = null;
    }
  });
  g.font = `${11 * ratio}px "DejaVu Sans", sans-serif`;
  g.textAlign = "center";
  for (const beat of beats) {
    const x = ((beat.t - t0) / seconds) * w;
    if (x < 0 || x > w) continue;
    g.fillStyle = BEAT_COLOURS[beat.label] ?? "#d7e0ea";
    g.fillText(beat.label, x, 14 * ratio);
  }
}
