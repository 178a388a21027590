// Cameras: the list, and one camera's page with its live view over WebRTC.
// The browser gathers its ICE candidates, posts one offer, gets one answer (no trickle);
// leaving the page closes the peer connection and tells the server, so the camera's
// upstream closes with its last viewer.
"use strict";

const LIVE_ROLES = new Set(["admin", "operator", "inventory", "grid_worker"]);
let viewing = null;  // { pc, cameraId, session }

async function showCameras() {
  const view = $("#cameras-view");
  const answer = await api("/api/v1/cameras?limit=1000");
  if (!answer.ok) { view.replaceChildren(el("p", { class: "error" }, t("failed", { e: answer.status }))); show("cameras-view"); return; }
  const cameras = await answer.json();
  view.replaceChildren(el("h2", {}, t("cameras.title")),
    el("table", { class: "queue" },
      el("thead", {}, el("tr", {}, el("th", {}, t("cameras.name")), el("th", {}, t("grid")),
        el("th", {}, t("col.status")))),
      el("tbody", {}, cameras.map((c) => el("tr", { "data-camera-row": c.id },
        el("td", {}, el("a", { href: `#/camera/${encodeURIComponent(c.id)}` }, c.name)),
        el("td", {}, `${c.community} › ${c.grid_name}`),
        el("td", {}, el("span", { class: `cam st-${c.status}` }, t(`cam.${c.status}`))))))));
  show("cameras-view");
}

async function showCamera(id) {
  const view = $("#camera-view");
  const answer = await api(`/api/v1/cameras/${encodeURIComponent(id)}`);
  if (!answer.ok) { view.replaceChildren(el("p", { class: "error" }, t("failed", { e: answer.status }))); show("camera-view"); return; }
  const camera = await answer.json();
  const video = el("video", { id: "live-video", autoplay: "", muted: "", playsinline: "",
    "aria-label": `${t("camera.live")}: ${camera.name}` });
  video.muted = true;
  const status = el("p", { id: "live-status", role: "status", "aria-live": "polite", class: "muted" });
  const canWatch = LIVE_ROLES.has(state.me?.role);
  const button = el("button", { type: "button", id: "live-toggle", class: "primary",
    onclick: () => (viewing ? stopLive() : startLive(camera.id, video, status, button)) }, t("camera.start"));
  view.replaceChildren(
    el("p", {}, el("a", { href: "#/cameras" }, t("cameras.back"))),
    el("h2", {}, camera.name, " · ", el("span", { class: `cam st-${camera.status}`, "data-status": camera.status }, t(`cam.${camera.status}`))),
    el("div", { class: "detail" },
      el("div", { class: "panel" }, el("h3", {}, t("camera.live")),
        el("div", { class: "video-box" }, video),
        canWatch ? [el("div", { class: "actions" }, button), status] : el("p", { class: "muted" }, t("forbidden"))),
      el("div", { class: "panel" }, el("h3", {}, t("facts")),
        el("dl", { class: "facts" },
          el("dt", {}, t("grid")), el("dd", {}, `${camera.street} › ${camera.community} › ${camera.grid_name}`),
          el("dt", {}, "GB/T 28181"), el("dd", {}, camera.gb_id),
          el("dt", {}, t("camera.since")), el("dd", {}, camera.status_since ? new Date(camera.status_since).toLocaleString() : "—"),
          camera.status_reason ? [el("dt", {}, t("camera.reason")), el("dd", {}, camera.status_reason)] : []))));
  show("camera-view");
  if (canWatch) startLive(camera.id, video, status, button);
}

function iceGathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") { pc.removeEventListener("icegatheringstatechange", done); resolve(); } };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 3000);  // host candidates are enough on a LAN
  });
}

async function startLive(cameraId, video, status, button) {
  await stopLive();
  status.textContent = t("camera.connecting");
  const pc = new RTCPeerConnection();
  viewing = { pc, cameraId, session: null };
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.ontrack = (event) => { video.srcObject = event.streams[0] || new MediaStream([event.track]); };
  pc.onconnectionstatechange = () => {
    if (viewing?.pc !== pc) return;
    if (pc.connectionState === "connected") status.textContent = t("camera.playing");
    if (pc.connectionState === "failed") status.textContent = t("camera.failed");
  };
  await pc.setLocalDescription(await pc.createOffer());
  await iceGathered(pc);
  const answer = await api(`/api/v1/cameras/${encodeURIComponent(cameraId)}/webrtc`, {
    method: "POST", body: JSON.stringify({ sdp: pc.localDescription.sdp, type: "offer" }) });
  if (viewing?.pc !== pc) { pc.close(); return; }
  if (!answer.ok) {
    const detail = answer.status === 502 ? t("camera.unavailable") : t("failed", { e: answer.status });
    status.textContent = detail; pc.close(); viewing = null; return;
  }
  const body = await answer.json();
  viewing.session = body.session;
  await pc.setRemoteDescription({ type: "answer", sdp: body.sdp });
  button.textContent = t("camera.stop");
}

async function stopLive() {
  const was = viewing;
  viewing = null;
  if (!was) return;
  was.pc.close();
  for (const button of document.querySelectorAll("#live-toggle")) button.textContent = t("camera.start");
  const status = $("#live-status");
  if (status) status.textContent = t("camera.stopped");
  if (was.session) {
    await fetch(`/api/v1/cameras/${encodeURIComponent(was.cameraId)}/webrtc/${encodeURIComponent(was.session)}`, {
      method: "DELETE", keepalive: true, credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken() },
    }).catch(() => {});
  }
}
window.addEventListener("pagehide", () => { stopLive(); });
