// The operator's console: login, live incident queue, incident detail, health wall, routes.
// Words are in console_text.js, the map in console_map.js, cameras and live view in console_camera.js.
// Plain JS, no libraries: everything comes from the same app's API with the session cookie.
"use strict";

const SEVERITY_RANK = { Extreme: 0, Severe: 1, Moderate: 2, Minor: 3 };
const CLOSED = new Set(["resolved", "false_alarm"]);
// What each role may ask for, by current status (the server checks again).
const OPERATOR_STEPS = {
  open: ["acknowledged", "dispatched", "false_alarm"],
  acknowledged: ["dispatched", "resolved", "false_alarm"],
  dispatched: ["on_site", "resolved", "false_alarm"],
  on_site: ["resolved", "false_alarm"],
};
const GRID_WORKER_STEPS = {
  open: ["on_site", "resolved"], acknowledged: ["on_site", "resolved"],
  dispatched: ["on_site", "resolved"], on_site: ["resolved"],
};
const FLEET_ROLES = new Set(["admin", "operator", "inventory", "viewer"]);

const state = { lang: localStorage.getItem("tw-lang") || "zh", me: null, incidents: new Map(),
  places: new Map(), sites: new Map(), socket: null, fresh: new Set() };
const $ = (sel) => document.querySelector(sel);

function t(key, vars = {}) {
  const text = TEXT[state.lang][key] ?? TEXT.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));
}
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : String(child));
  return node;
}
function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("tw_csrf="));
  return found ? decodeURIComponent(found.slice(8)) : "";
}
async function api(path, options = {}) {
  const headers = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.method && options.method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  const answer = await fetch(path, { ...options, headers, credentials: "same-origin" });
  if (answer.status === 401 && !path.endsWith("/auth/login")) { showLogin(); throw new Error("401"); }
  return answer;
}
function typeName(kind) { const n = TYPES[kind]; return n ? n[state.lang === "zh" ? 0 : 1] : kind; }
function placeName(incident) {
  const grid = state.places.get(incident.grid_id);
  const where = state.sites.get(incident.site_id) || incident.site_id || incident.source_id;
  return grid ? `${grid} · ${where}` : where;
}
function age(iso) {
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d`;
}
function snapshotSrc(url) {  // same origin, so the session cookie goes with it
  const at = url.indexOf("/api/v1/snapshots/");
  return at >= 0 ? url.slice(at) : url;
}
function stepsFor(incident) {
  const role = state.me?.role;
  if (role === "admin" || role === "operator") return OPERATOR_STEPS[incident.status] || [];
  if (role === "grid_worker") return GRID_WORKER_STEPS[incident.status] || [];
  return [];
}

function translatePage() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  $("#lang").textContent = state.lang === "zh" ? "English" : "中文";
  setLive(state.socket?.readyState === WebSocket.OPEN);
}
// Video-wall mode: larger type and controls, readable from a few metres.
function setWall(on) {
  document.body.classList.toggle("wall-mode", on);
  $("#wall").setAttribute("aria-pressed", String(on));
  localStorage.setItem("tw-wall", on ? "1" : "0");
}
function setLive(on) {
  const live = $("#live");
  live.className = `live ${on ? "on" : "off"}`;
  live.textContent = state.me ? t(on ? "live.on" : "live.off") : "";
}
const VIEWS = ["login-view", "queue-view", "detail-view", "health-view", "cameras-view", "camera-view", "map-view"];
function show(view) {
  if (view !== "camera-view") stopLive();
  for (const id of VIEWS) $(`#${id}`).hidden = id !== view;
  for (const a of document.querySelectorAll("#nav a")) {
    if (location.hash.startsWith(a.getAttribute("href"))) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function showLogin() {
  state.me = null;
  if (state.socket) { state.socket.onclose = null; state.socket.close(); state.socket = null; }
  $("#nav").hidden = true; $("#logout").hidden = true; $("#who").textContent = "";
  setLive(false);
  show("login-view");
  $("#login-user").focus();
}
async function login(event) {
  event.preventDefault();
  const body = JSON.stringify({ username: $("#login-user").value, password: $("#login-password").value });
  const answer = await api("/api/v1/auth/login", { method: "POST", body });
  if (!answer.ok) {
    $("#login-error").textContent = t(answer.status === 429 ? "login.throttled" : "login.bad");
    return;
  }
  $("#login-password").value = ""; $("#login-error").textContent = "";
  await start(await answer.json());
}
async function logout() {
  await api("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
  showLogin();
}
async function start(me) {
  state.me = me;
  $("#who").textContent = `${me.display_name} (${me.role})`;
  $("#nav").hidden = false; $("#logout").hidden = false;
  $("#nav-health").hidden = !FLEET_ROLES.has(me.role);
  const places = await (await api("/api/v1/places")).json();
  for (const street of places) for (const community of street.communities || [])
    for (const grid of community.grids || []) {
      state.places.set(grid.code, `${community.name} › ${grid.name}`);
      for (const site of grid.sites || []) state.sites.set(site.id, site.name);
    }
  connectLive();
  if (!location.hash || location.hash === "#") location.hash = "#/queue"; else route();
}

function connectLive() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/v1/live`);
  state.socket = socket;
  socket.onmessage = (message) => {
    const push = JSON.parse(message.data);
    if (push.type === "hello") { setLive(true); loadQueue(); }
    else if (push.type === "incident") onIncident(push.data);
    else if (push.type === "camera") onCamera(push.data);
  };
  socket.onclose = () => {
    setLive(false);
    if (state.me) setTimeout(() => { if (state.me) connectLive(); }, 2000);
  };
}
function onIncident(incident) {
  if (!state.incidents.has(incident.id)) state.fresh.add(incident.id);
  state.incidents.set(incident.id, { ...state.incidents.get(incident.id), ...incident });
  renderQueue();
  if (location.hash === `#/incident/${incident.id}`) showDetail(incident.id);
}
let healthRefresh = null;
function onCamera(camera) {
  // The counts at every level change too: redraw the wall once a burst of changes settles.
  if (location.hash === "#/health") {
    clearTimeout(healthRefresh);
    healthRefresh = setTimeout(() => { if (location.hash === "#/health") showHealth(); }, 800);
  }
  const tile = document.querySelector(`[data-camera="${CSS.escape(camera.id)}"]`);
  if (tile) {
    tile.className = `cam st-${camera.status}`;
    tile.title = `${camera.id}: ${t(`cam.${camera.status}`)}`;
    tile.dataset.status = camera.status;
    tile.textContent = `${tile.dataset.name} · ${t(`cam.${camera.status}`)}`;
  }
}

async function loadQueue() {
  const answer = await api("/api/v1/incidents?limit=500");
  if (!answer.ok) { $("#queue-error").textContent = t("failed", { e: answer.status }); return; }
  state.incidents = new Map((await answer.json()).map((i) => [i.id, i]));
  renderQueue();
}
function renderQueue() {
  const showClosed = $("#show-closed").checked;
  const rows = [...state.incidents.values()]
    .filter((i) => showClosed || !CLOSED.has(i.status))
    .sort((a, b) => (CLOSED.has(a.status) - CLOSED.has(b.status))
      || (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9)
      || Date.parse(b.opened_at) - Date.parse(a.opened_at));
  const body = $("#queue-rows");
  const focused = document.activeElement?.dataset?.key;
  body.replaceChildren(...rows.map(queueRow));
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: "6", class: "muted" }, t("queue.empty"))));
  $("#queue-count").textContent = t("queue.count", { n: rows.length });
  if (focused) document.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  state.fresh.clear();
}
function queueRow(incident) {
  const actions = stepsFor(incident).map((step) => el("button", {
    type: "button", class: step === "false_alarm" ? "danger" : "primary",
    "data-step": step, "data-key": `${incident.id}:${step}`,
    onclick: () => move(incident.id, step),
  }, t(`do.${step}`)));
  return el("tr", {
    "data-incident": incident.id, "data-status": incident.status,
    class: [state.fresh.has(incident.id) ? "fresh" : "", CLOSED.has(incident.status) ? "closed" : ""].join(" "),
  },
  el("td", {}, el("span", { class: `sev sev-${incident.severity}` }, t(`sev.${incident.severity}`))),
  el("td", {}, el("a", { href: `#/incident/${incident.id}`, "data-key": `${incident.id}:open` }, typeName(incident.type))),
  el("td", {}, placeName(incident)),
  el("td", { class: "age", "data-since": incident.opened_at }, age(incident.opened_at)),
  el("td", { class: "status" }, t(`status.${incident.status}`)),
  el("td", { class: "actions" }, actions));
}
async function move(id, step) {
  const answer = await api(`/api/v1/incidents/${encodeURIComponent(id)}/transitions`,
    { method: "POST", body: JSON.stringify({ to: step }) });
  if (!answer.ok) {
    $("#queue-error").textContent = t("failed", { e: answer.status === 403 ? t("forbidden") : answer.status });
    return;
  }
  $("#queue-error").textContent = "";
  onIncident(await answer.json());
}

async function showDetail(id) {
  const view = $("#detail-view");
  const answer = await api(`/api/v1/incidents/${encodeURIComponent(id)}`);
  if (!answer.ok) { view.replaceChildren(el("p", { class: "error" }, t("failed", { e: answer.status }))); show("detail-view"); return; }
  const incident = await answer.json();
  const snapshots = (incident.evidence.snapshots || []).slice().reverse();
  const readings = incident.evidence.readings || [];
  const actions = stepsFor(incident).map((step) => el("button", {
    type: "button", class: step === "false_alarm" ? "danger" : "primary", "data-step": step,
    onclick: async () => { await move(id, step); showDetail(id); },
  }, t(`do.${step}`)));
  view.replaceChildren(
    el("p", {}, el("a", { href: "#/queue" }, t("back"))),
    el("h2", {}, `${typeName(incident.type)} · `, el("span", { class: `sev sev-${incident.severity}` }, t(`sev.${incident.severity}`)),
      ` · ${t(`status.${incident.status}`)}`),
    el("div", { class: "actions" }, actions),
    el("div", { class: "detail" },
      el("div", { class: "panel" }, el("h3", {}, t("evidence")),
        snapshots.length ? snapshots.map((s) => el("figure", {},
          el("img", { src: snapshotSrc(s.url), alt: `${s.camera} ${s.at}` }),
          el("figcaption", { class: "muted" }, `${s.camera} · ${new Date(s.at).toLocaleString()}`)))
          : el("p", { class: "muted" }, t("no.snapshot")),
        readings.length ? [el("h4", {}, t("readings")), el("ul", {}, readings.map((r) =>
          el("li", {}, `${r.sensor}: ${r.kind} ${r.value ?? ""} ${r.unit ?? ""} · ${new Date(r.at).toLocaleString()}`)))] : []),
      el("div", { class: "panel" },
        el("div", { id: "incident-map" }, el("h3", {}, t("map"))),
        el("h3", {}, t("facts")),
        el("dl", { class: "facts" },
          el("dt", {}, t("col.place")), el("dd", {}, placeName(incident)),
          el("dt", {}, t("source")), el("dd", {}, `${incident.source_kind} ${incident.source_id}`),
          el("dt", {}, t("opened")), el("dd", {}, new Date(incident.opened_at).toLocaleString()),
          el("dt", {}, t("version")), el("dd", {}, String(incident.version))),
        incident.source_kind === "camera"
          ? el("p", {}, el("a", { href: `#/camera/${encodeURIComponent(incident.source_id)}`, "data-live-link": "" }, t("camera.open")))
          : [],
        el("h3", {}, t("timeline")),
        el("ol", { class: "timeline" }, incident.transitions.map((s) => el("li", {},
          el("strong", {}, t(`status.${s.to_status}`)), ` · ${s.actor} · ${new Date(s.at).toLocaleString()}`,
          s.note ? el("div", { class: "muted" }, s.note) : ""))),
        el("h3", {}, t("deliveries")),
        el("ul", {}, incident.deliveries.map((d) => el("li", {},
          `v${d.version} → ${d.destination}: ${t(d.delivered_at ? "delivered" : d.dead_at ? "dead" : "pending")}`
          + (d.attempts ? ` (${d.attempts})` : "")))))));
  show("detail-view");
  const box = view.querySelector("#incident-map");  // this rendering's; a newer one replaces it
  loadMap(id).then((data) => box.append(drawMap(data, id, 520, 380)))
    .catch((e) => box.append(el("p", { class: "error" }, t("failed", { e: e.message }))));
}

async function showHealth() {
  const view = $("#health-view");
  const answer = await api("/api/v1/fleet/health");
  if (!answer.ok) { view.replaceChildren(el("p", { class: "error" }, t("failed", { e: answer.status }))); show("health-view"); return; }
  const fleet = await answer.json();
  const counts = (c) => el("div", { class: "counts" }, Object.entries(c).map(([status, n]) =>
    el("span", { class: `st-${status}` }, `${t(`cam.${status}`)} ${n}`)));
  view.replaceChildren(el("div", { class: "wall" },
    el("h2", {}, t("health.title")), counts(fleet.counts),
    fleet.streets.map((street) => el("section", { "aria-label": street.name },
      el("h3", {}, street.name), counts(street.counts),
      street.communities.map((community) => el("div", {},
        el("h4", {}, `${street.name} › ${community.name}`),
        community.grids.map((grid) => el("div", { class: "grid-box" },
          el("div", { class: "name" }, grid.name),
          el("div", { class: "cams" }, grid.cameras.map((c) => el("a", {
            class: `cam st-${c.status}`, "data-camera": c.id, "data-name": c.name,
            href: `#/camera/${encodeURIComponent(c.id)}`,
            title: `${c.id}: ${t(`cam.${c.status}`)}${c.status_reason ? ` (${c.status_reason})` : ""}`,
          }, `${c.name} · ${t(`cam.${c.status}`)}`)))))))))));
  show("health-view");
}

function route() {
  if (!state.me) return;
  const hash = location.hash;
  if (hash.startsWith("#/incident/")) showDetail(decodeURIComponent(hash.slice(11)));
  else if (hash === "#/health") showHealth();
  else if (hash === "#/cameras") showCameras();
  else if (hash.startsWith("#/camera/")) showCamera(decodeURIComponent(hash.slice(9)));
  else if (hash === "#/map") showMap();
  else { show("queue-view"); renderQueue(); }
}

document.addEventListener("DOMContentLoaded", async () => {
  setWall(localStorage.getItem("tw-wall") === "1" || new URLSearchParams(location.search).has("wall"));
  $("#wall").addEventListener("click", () => setWall(!document.body.classList.contains("wall-mode")));
  translatePage();
  $("#login-form").addEventListener("submit", login);
  $("#logout").addEventListener("click", logout);
  $("#show-closed").addEventListener("change", renderQueue);
  $("#lang").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem("tw-lang", state.lang);
    translatePage(); route();
  });
  window.addEventListener("hashchange", route);
  setInterval(() => {
    for (const cell of document.querySelectorAll("td.age")) cell.textContent = age(cell.dataset.since);
  }, 1000);
  const answer = await fetch("/api/v1/auth/me", { credentials: "same-origin" });
  if (answer.ok) await start(await answer.json()); else showLogin();
});
