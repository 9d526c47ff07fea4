// The one module that knows the server's REST API and live feed. Every other module sees only the
// normalised objects made here, so a change of the server's JSON shape is a fix in this file alone.
//
// Times are Unix seconds (float) everywhere in the dashboard.
//
// Endpoints relied on (server: src/cardiowatch/server/routes/*.py; dashboard: dashboard/routes.py):
//   GET  /api/me, POST /login, POST /logout, GET|POST /api/users        dashboard
//   GET  /api/v1/devices                          [{id, name, sensor, revoked_at, last_seen_at, ...}]
//   GET  /api/v1/devices/{id}                     {device, status, alert_level, stored_frames}
//   POST /api/v1/devices {name}                   {id, name, token}: the token is shown once
//   POST /api/v1/devices/{id}/token               rotate -> {id, name, token}
//   POST /api/v1/devices/{id}/revoke              revoke
//   GET  /api/v1/alerts?device_id&state&start_at&end_at    [{id, device_id, kind, severity, state, ...,
//        onset_t_us, end_t_us, duration_s, rhythm, hr_bpm, quality, strip_url}]
//   GET  /api/v1/alerts/{id}/strip               {alert, start_t_us, fs, samples[channel][i], beats, annotations}
//   POST /api/v1/alerts/{id}/ack {user}           acknowledge (the dashboard guard sets user)
//   POST /api/v1/alerts/{id}/snooze {user, minutes}
//   GET  /api/v1/devices/{id}/beats|episodes|summaries|samples?start_us&end_us   (Unix µs)
//   GET  /api/v1/devices/{id}/export?start_us&end_us|episode_id&format=edf|wfdb  a file (download link)
//   WS   /ws/live[?device_id=]                    {type: samples|beats|hr|rhythm|alert|status, ...}
//   GET  /report/{id}?start&end                  dashboard: printable rhythm report (HTML)

let csrfToken = null;
let userName = null;

export class ApiError extends Error {
  constructor(status, detail) {
    super(`${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && !path.startsWith("/login")) {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
    throw new ApiError(401, "login required");
  }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail ?? detail; } catch (_) { /* not JSON */ }
    throw new ApiError(response.status, typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

function query(params) {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

// A time from the server: Unix seconds, milliseconds, or an ISO string -> Unix seconds.
export function toSeconds(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return value > 1e11 ? value / 1000 : value;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed / 1000;
}

const pick = (obj, ...names) => {
  for (const name of names) if (obj[name] !== undefined && obj[name] !== null) return obj[name];
  return null;
};

// --- normalisers -----------------------------------------------------------------------------------
const SEVERITY_NAMES = { 0: null, 1: "technical", 2: "warning", 3: "critical" };

export function severityName(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return SEVERITY_NAMES[value] ?? null;
  const name = String(value).toLowerCase();
  return ["critical", "warning", "technical"].includes(name) ? name : null;
}

export function normDevice(raw) {
  // Either a device row or a device state {device, status, alert_level}: flatten the latter.
  const d = raw.device ? { ...raw.device, ...(raw.status ?? {}), alert_level: raw.alert_level } : raw;
  const battery = pick(d, "battery_pct", "battery");
  const quality = pick(d, "signal_quality", "quality", "sqi");
  return {
    id: String(pick(d, "device_id", "id")),
    name: pick(d, "name", "label") ?? `device ${pick(d, "device_id", "id")}`,
    sensor: pick(d, "sensor") === null ? null : String(d.sensor).toLowerCase(),
    fs: pick(d, "fs", "fs_hz"),
    firmware: pick(d, "fw", "firmware"),
    rssi: pick(d, "rssi_dbm", "rssi"),
    battery: battery,
    lastSeen: toSeconds(pick(d, "last_seen", "last_seen_at", "last_frame_at", "received_at")),
    hr: pick(d, "hr_bpm", "hr", "heart_rate"),
    rhythm: pick(d, "rhythm", "rhythm_code"),
    quality: quality,
    alertLevel: severityName(pick(d, "alert_level", "alert_severity")),
    linkState: pick(d, "link_state", "state"),
    revoked: pick(d, "revoked_at") !== null,
    leadOff: pick(d, "lead_off"),
  };
}

export function normAlert(a) {
  return {
    id: String(pick(a, "alert_id", "id")),
    deviceId: String(pick(a, "device_id")),
    kind: pick(a, "kind", "type") ?? "alert",
    severity: severityName(pick(a, "severity", "level_name")) ?? "warning",
    state: String(pick(a, "state") ?? "active").toLowerCase(),
    raisedAt: toSeconds(pick(a, "raised_at", "created_at", "t")),
    detail: pick(a, "detail", "message") ?? "",
    level: pick(a, "level") ?? 0,
    ackedBy: pick(a, "acknowledged_by", "acked_by"),
    ackedAt: toSeconds(pick(a, "acknowledged_at", "acked_at")),
    snoozedUntil: toSeconds(pick(a, "snoozed_until")),
    resolvedAt: toSeconds(pick(a, "resolved_at")),
    // The evidence: onset and end in data time, the rhythm, rate and signal quality when it was raised.
    onset: pick(a, "onset_t_us") !== null ? a.onset_t_us / 1e6 : null,
    end: pick(a, "end_t_us") !== null ? a.end_t_us / 1e6 : null,
    durationS: pick(a, "duration_s"),
    rhythm: pick(a, "rhythm"),
    hrBpm: pick(a, "hr_bpm"),
    quality: pick(a, "quality"),
    stripUrl: pick(a, "strip_url"),
  };
}

export function normBeat(b) {
  const tUs = pick(b, "t_us");
  return {
    t: tUs !== null ? tUs / 1e6 : toSeconds(pick(b, "t", "time", "t_s")),
    sample: pick(b, "sample"),
    label: pick(b, "label", "aami", "beat_class", "symbol") ?? "N",
    rrMs: pick(b, "rr_ms"),
  };
}

export function normEpisode(e) {
  return {
    id: pick(e, "id"),
    rhythm: pick(e, "rhythm") ?? "Q",
    start: pick(e, "start_t_us") !== null ? e.start_t_us / 1e6 : toSeconds(pick(e, "start")),
    end: pick(e, "end_t_us") !== null ? e.end_t_us / 1e6 : toSeconds(pick(e, "end")),
  };
}

export function normSummary(s) {
  return {
    t: pick(s, "t_us") !== null ? s.t_us / 1e6 : toSeconds(pick(s, "t")),
    hr: pick(s, "hr_bpm", "hr"),
    rhythm: pick(s, "rhythm", "rhythm_code"),
    sdnnMs: pick(s, "sdnn_ms"),
    rmssdMs: pick(s, "rmssd_ms"),
    pnn50: pick(s, "pnn50", "pnn50_pct"),
    afBurden: pick(s, "af_burden", "af_burden_pct"),
    quality: pick(s, "signal_quality", "quality"),
    ectopicPerMin: pick(s, "ectopic_per_min"),
  };
}

const FLAG_LEAD_OFF = 0x01;   // frame flag (docs/protocol.md): an ECG lead was off during the frame

// Stored chunks carry samples as rows of channels: show the last channel (IR of a red/IR PPG).
const flatten = (rows) => (rows.length && Array.isArray(rows[0]) ? rows.map((r) => r[r.length - 1]) : rows);

// Stored or live samples: {t0 (s), fs, samples: number[], sample0?}.
export function normSamples(w) {
  return {
    t0: pick(w, "t0_us", "t_us") !== null ? pick(w, "t0_us", "t_us") / 1e6 : toSeconds(pick(w, "t0", "t_start", "start", "t")),
    fs: Number(pick(w, "fs", "fs_hz")),
    sample0: pick(w, "sample", "sample0", "first_sample"),
    samples: flatten(pick(w, "samples", "values") ?? []),
    leadOff: Boolean(pick(w, "lead_off")) || Boolean((pick(w, "flags") ?? 0) & FLAG_LEAD_OFF),
  };
}

// A status report: only the fields it carries (so it never blanks what the page knows).
export function normStatus(st) {
  const out = {
    battery: pick(st, "battery_pct", "battery"), rssi: pick(st, "rssi_dbm", "rssi"),
    firmware: pick(st, "fw", "firmware"), lastSeen: toSeconds(pick(st, "received_at", "last_seen_at")),
    leadOff: pick(st, "lead_off"),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== null));
}

const list = (payload, key) => (Array.isArray(payload) ? payload : (payload?.[key] ?? payload?.items ?? []));

// --- session ---------------------------------------------------------------------------------------
export async function me() {
  const who = await request("GET", "/api/me");
  csrfToken = who.csrf_token;
  userName = who.name;
  return who;
}
// `next`: where the user was headed; the answer's `next` is that path if the server judged it a path of
// this site, else "/".
export async function login(name, password, next = "/") {
  const who = await request("POST", `/login?next=${encodeURIComponent(next)}`, { name, password });
  csrfToken = who.csrf_token;
  userName = who.name;
  return who;
}
export const logout = () => request("POST", "/logout");
export const listUsers = () => request("GET", "/api/users");
export const addUser = (name, password, role) => request("POST", "/api/users", { name, password, role });

// --- devices ---------------------------------------------------------------------------------------
// Every device with its latest status, alert level and (from the last summary) HR, rhythm and quality.
export async function listDevices({ withState = true } = {}) {
  const rows = list(await request("GET", "/api/v1/devices"), "devices");
  if (!withState) return rows.map(normDevice);
  const nowUs = Math.round(Date.now() * 1000);
  return Promise.all(rows.map(async (row) => {
    const id = encodeURIComponent(row.id);
    const [state, sums] = await Promise.all([
      request("GET", `/api/v1/devices/${id}`).catch(() => row),
      request("GET", `/api/v1/devices/${id}/summaries${query({ start_us: nowUs - 120e6 })}`).catch(() => []),
    ]);
    const device = normDevice(state);
    const last = sums.length ? normSummary(sums[sums.length - 1]) : null;
    if (last) Object.assign(device, { hr: last.hr, rhythm: last.rhythm, quality: last.quality });
    return device;
  }));
}
export async function registerDevice(name) {
  const r = await request("POST", "/api/v1/devices", { name });
  return { device: normDevice(r), token: r.token };
}
export async function rotateToken(id) {
  return (await request("POST", `/api/v1/devices/${encodeURIComponent(id)}/token`)).token;
}
export const revokeDevice = (id) => request("POST", `/api/v1/devices/${encodeURIComponent(id)}/revoke`);

// --- alerts ----------------------------------------------------------------------------------------
const OPEN_STATES = ["active", "snoozed", "acknowledged"];
export async function listAlerts({ deviceId, openOnly = true, start, end } = {}) {
  const get = (state) => request("GET", `/api/v1/alerts${query({ device_id: deviceId, state, start_at: start, end_at: end })}`);
  const pages = openOnly ? await Promise.all(OPEN_STATES.map(get)) : [await get(undefined)];
  return pages.flatMap((p) => list(p, "alerts")).map(normAlert);
}
export const ackAlert = (id) => request("POST", `/api/v1/alerts/${encodeURIComponent(id)}/ack`, { user: userName });
export const snoozeAlert = (id, minutes) =>
  request("POST", `/api/v1/alerts/${encodeURIComponent(id)}/snooze`, { user: userName, minutes });

// --- history (times in Unix seconds here, µs on the wire) ------------------------------------------
const ranged = (id, what, start, end, extra = {}) => `/api/v1/devices/${encodeURIComponent(id)}/${what}${query({
  start_us: start === undefined ? undefined : Math.floor(start * 1e6),
  end_us: end === undefined ? undefined : Math.ceil(end * 1e6), ...extra })}`;

export async function beats(id, start, end) {
  return list(await request("GET", ranged(id, "beats", start, end, { limit: 10000 })), "beats").map(normBeat);
}
export async function episodes(id, start, end) {
  return list(await request("GET", ranged(id, "episodes", start, end)), "episodes").map(normEpisode);
}
export async function summaries(id, start, end) {
  return list(await request("GET", ranged(id, "summaries", start, end, { limit: 10000 })), "summaries").map(normSummary);
}
// Stored waveform chunks whose first sample lies in [start, end); one frame before start is included.
export async function waveform(id, start, end) {
  const payload = await request("GET", ranged(id, "samples", start - 1, end, { limit: 2000 }));
  return list(payload, "chunks").map(normSamples);
}
// An alert's strip: {alert, t0, fs, sensor, samples (last channel; NaN where nothing was stored or a lead
// was off), leadOff (samples), beats, annotations}.
export async function alertStrip(alertId) {
  const s = await request("GET", `/api/v1/alerts/${encodeURIComponent(alertId)}/strip`);
  const channel = s.samples.length ? s.samples[s.samples.length - 1] : [];
  const samples = channel.map((v) => (v === null ? NaN : v));
  // Lead-off samples are not signal: NaN breaks the trace there, as in the stored strips.
  let leadOff = 0;
  for (const n of s.annotations ?? []) {
    if (n.kind !== "lead_off" || n.end_t_us === null || !s.fs) continue;
    const from = Math.max(0, Math.round(((n.t_us - s.start_t_us) / 1e6) * s.fs));
    const to = Math.min(samples.length, Math.round(((n.end_t_us - s.start_t_us) / 1e6) * s.fs));
    for (let i = from; i < to; i += 1) { samples[i] = NaN; leadOff += 1; }
  }
  return {
    alert: normAlert(s.alert), t0: s.start_t_us / 1e6, fs: s.fs ?? 0, sensor: s.sensor, units: s.units,
    samples, leadOff, beats: (s.beats ?? []).map(normBeat),
    annotations: (s.annotations ?? []).map((n) => ({ t: n.t_us / 1e6, kind: n.kind, text: n.text })),
  };
}
// Download links of the stored signal as EDF+ or WFDB (a zip): a time range, or one episode.
export const exportUrl = (id, start, end, format) => ranged(id, "export", start, end, { format });
export const episodeExportUrl = (id, episodeId, format) =>
  `/api/v1/devices/${encodeURIComponent(id)}/export${query({ episode_id: episodeId, format })}`;
// The printable rhythm report (dashboard route, made from the beats and waveform of the range).
export const reportUrl = (id, start, end) => `/report/${encodeURIComponent(id)}${query({ start, end })}`;

// --- live feed -------------------------------------------------------------------------------------
// Calls handlers.samples / beat / alert / status / summary with normalised payloads; reconnects with
// back-off; handlers.connection(true|false) reports the link. Returns a function that closes it.
export function liveFeed(handlers, { deviceId } = {}) {
  let socket = null;
  let closed = false;
  let delayMs = 500;
  const connect = () => {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const q = deviceId ? `?device_id=${encodeURIComponent(deviceId)}` : "";
    socket = new WebSocket(`${scheme}://${window.location.host}/ws/live${q}`);
    socket.onopen = () => { delayMs = 500; handlers.connection?.(true); };
    socket.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (_) { return; }
      for (const m of Array.isArray(message) ? message : [message]) dispatch(handlers, m);
    };
    socket.onclose = () => {
      handlers.connection?.(false);
      if (!closed) { setTimeout(connect, delayMs); delayMs = Math.min(delayMs * 2, 10000); }
    };
  };
  connect();
  return () => { closed = true; socket?.close(); };
}

function dispatch(handlers, m) {
  const type = String(m.type ?? "").toLowerCase();
  const data = m.data ?? m.payload ?? m;
  const deviceId = String(pick(m, "device_id") ?? pick(data, "device_id") ?? m.alert?.device_id);
  switch (type) {
    case "samples":
      handlers.samples?.(deviceId, normSamples(data)); break;
    case "beat":
      handlers.beat?.(deviceId, normBeat(data)); break;
    case "beats":
      for (const b of list(data, "beats")) handlers.beat?.(deviceId, normBeat(b)); break;
    case "alert":
      // An alert transition: {action, at, by, alert: {...}}; `at` is the server's time of the change.
      handlers.alert?.(deviceId, normAlert(data.alert ?? data), { action: m.action ?? null, at: m.at ?? null }); break;
    case "status":
      handlers.status?.(deviceId, normStatus(data)); break;
    case "hr":
      handlers.summary?.(deviceId, { hr: pick(data, "hr_bpm", "hr") }); break;
    case "rhythm":
      handlers.summary?.(deviceId, { rhythm: pick(data, "rhythm") }); break;
    case "summary":
      handlers.summary?.(deviceId, normSummary(data)); break;
    default: break;
  }
}
