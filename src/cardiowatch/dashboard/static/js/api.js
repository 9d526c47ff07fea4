// The one module that knows the server's REST API and live feed. Every other module sees only the
// normalised objects made here, so a change of the server's JSON shape is a fix in this file alone.
//
// Times are Unix seconds (float) everywhere in the dashboard.
//
// Endpoints relied on (server: src/cardiowatch/server/routes/*.py; dashboard: dashboard/routes.py):
//   GET  /api/me                                   dashboard: user, role, CSRF token
//   POST /login, POST /logout                      dashboard
//   GET  /api/users, POST /api/users               dashboard (admin)
//   GET  /api/v1/devices                              list with live status
//   POST /api/v1/devices                              register -> token shown once
//   POST /api/v1/devices/{id}/token                   rotate -> new token shown once
//   POST /api/v1/devices/{id}/revoke                  revoke the token
//   GET  /api/v1/alerts?device_id=&open=              alerts
//   POST /api/v1/alerts/{id}/ack                      acknowledge
//   POST /api/v1/alerts/{id}/snooze  {minutes}        snooze
//   GET  /api/v1/devices/{id}/beats?start=&end=       beats (time, label)
//   GET  /api/v1/devices/{id}/episodes?start=&end=    rhythm episodes
//   GET  /api/v1/devices/{id}/summaries?start=&end=   HR / HRV / AF burden summaries
//   GET  /api/v1/devices/{id}/waveform?start=&end=    stored samples
//   GET  /api/v1/devices/{id}/report?start=&end=      printable report (HTML)
//   WS   /ws/live                                  live feed: samples, beats, alerts, status, summaries

let csrfToken = null;

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

export function normDevice(d) {
  const battery = pick(d, "battery_pct", "battery");
  const quality = pick(d, "signal_quality", "quality", "sqi");
  return {
    id: String(pick(d, "device_id", "id")),
    name: pick(d, "name", "label") ?? `device ${pick(d, "device_id", "id")}`,
    sensor: String(pick(d, "sensor", "sensor_kind", "modality") ?? "ecg").toLowerCase(),
    fs: pick(d, "fs", "fs_hz"),
    firmware: pick(d, "firmware", "firmware_version", "fw"),
    rssi: pick(d, "rssi_dbm", "rssi"),
    battery: battery,
    lastSeen: toSeconds(pick(d, "last_seen", "last_seen_at", "last_frame_at")),
    hr: pick(d, "hr_bpm", "hr", "heart_rate"),
    rhythm: pick(d, "rhythm", "rhythm_code"),
    quality: quality,
    alertLevel: severityName(pick(d, "alert_level", "alert_severity")),
    linkState: pick(d, "link_state", "state"),
    revoked: Boolean(pick(d, "revoked", "token_revoked")),
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
  };
}

export function normBeat(b) {
  return {
    t: toSeconds(pick(b, "t", "time", "t_s")),
    sample: pick(b, "sample"),
    label: pick(b, "label", "aami", "beat_class", "symbol") ?? "N",
    rrMs: pick(b, "rr_ms"),
  };
}

export function normEpisode(e) {
  return {
    rhythm: pick(e, "rhythm", "rhythm_code", "code") ?? "Q",
    start: toSeconds(pick(e, "start", "start_t", "started_at", "t_start")),
    end: toSeconds(pick(e, "end", "end_t", "ended_at", "t_end")),
  };
}

export function normSummary(s) {
  return {
    t: toSeconds(pick(s, "t", "time", "window_end", "end")),
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

// Stored or live samples: {t0 (s), fs, samples: number[], sample0?}.
export function normSamples(w) {
  return {
    t0: toSeconds(pick(w, "t0", "t_start", "start", "t")) ?? (pick(w, "t_us") ?? 0) / 1e6,
    fs: Number(pick(w, "fs", "fs_hz")),
    sample0: pick(w, "sample", "sample0", "first_sample"),
    samples: pick(w, "samples", "values", "data") ?? [],
    leadOff: Boolean(pick(w, "lead_off")),
  };
}

const list = (payload, key) => (Array.isArray(payload) ? payload : (payload?.[key] ?? payload?.items ?? []));

// --- session ---------------------------------------------------------------------------------------
export async function me() {
  const who = await request("GET", "/api/me");
  csrfToken = who.csrf_token;
  return who;
}
export async function login(name, password) {
  const who = await request("POST", "/login", { name, password });
  csrfToken = who.csrf_token;
  return who;
}
export const logout = () => request("POST", "/logout");
export const listUsers = () => request("GET", "/api/users");
export const addUser = (name, password, role) => request("POST", "/api/users", { name, password, role });

// --- devices ---------------------------------------------------------------------------------------
export async function listDevices() {
  return list(await request("GET", "/api/v1/devices"), "devices").map(normDevice);
}
export async function registerDevice(name, sensor) {
  const r = await request("POST", "/api/v1/devices", { name, sensor });
  return { device: normDevice(r.device ?? r), token: r.token };
}
export async function rotateToken(id) {
  const r = await request("POST", `/api/v1/devices/${encodeURIComponent(id)}/token`);
  return r.token;
}
export const revokeDevice = (id) => request("POST", `/api/v1/devices/${encodeURIComponent(id)}/revoke`);

// --- alerts ----------------------------------------------------------------------------------------
export async function listAlerts({ deviceId, openOnly = true, start, end } = {}) {
  const q = query({ device_id: deviceId, open: openOnly ? "true" : undefined, start, end });
  return list(await request("GET", `/api/v1/alerts${q}`), "alerts").map(normAlert);
}
export const ackAlert = (id) => request("POST", `/api/v1/alerts/${encodeURIComponent(id)}/ack`);
export const snoozeAlert = (id, minutes) =>
  request("POST", `/api/v1/alerts/${encodeURIComponent(id)}/snooze`, { minutes });

// --- history ---------------------------------------------------------------------------------------
const ranged = (id, what, start, end) =>
  `/api/v1/devices/${encodeURIComponent(id)}/${what}${query({ start, end })}`;

export async function beats(id, start, end) {
  return list(await request("GET", ranged(id, "beats", start, end)), "beats").map(normBeat);
}
export async function episodes(id, start, end) {
  return list(await request("GET", ranged(id, "episodes", start, end)), "episodes").map(normEpisode);
}
export async function summaries(id, start, end) {
  return list(await request("GET", ranged(id, "summaries", start, end)), "summaries").map(normSummary);
}
export async function waveform(id, start, end) {
  const payload = await request("GET", ranged(id, "waveform", start, end));
  return list(payload, "chunks").map(normSamples);
}
export const reportUrl = (id, start, end) => ranged(id, "report", start, end);

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
  const type = String(m.type ?? m.kind ?? "").toLowerCase();
  const data = m.data ?? m.payload ?? m;
  const deviceId = String(pick(m, "device_id") ?? pick(data, "device_id"));
  switch (type) {
    case "samples": case "waveform": case "chunk":
      handlers.samples?.(deviceId, normSamples(data)); break;
    case "beat":
      handlers.beat?.(deviceId, normBeat(data)); break;
    case "beats":
      for (const b of list(data, "beats")) handlers.beat?.(deviceId, normBeat(b)); break;
    case "alert":
      handlers.alert?.(deviceId, normAlert(data.alert ?? data), m.received_at ?? null); break;
    case "status": case "device":
      handlers.status?.(deviceId, normDevice({ device_id: deviceId, ...data })); break;
    case "summary": case "rhythm":
      handlers.summary?.(deviceId, normSummary(data)); break;
    default: break;
  }
}
