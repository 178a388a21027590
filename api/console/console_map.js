// The offline map: an SVG drawn here from /api/v1/map — grid outlines, cameras, incidents.
// No tiles, no network beyond our own API. Grid outlines are the server's rounded hulls of
// the register's points: an approximation of each 网格, and the caption says so.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const child of children.flat()) node.append(child instanceof Node ? child : String(child));
  return node;
}

// Equirectangular projection around the middle latitude (good enough over a county), fitted
// into a width × height box and centred in it.
function projection(points, width, height) {
  const lats = points.map((p) => p[0]), lons = points.map((p) => p[1]);
  let [south, north, west, east] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
  const padLat = Math.max((north - south) * 0.06, 0.0005), padLon = Math.max((east - west) * 0.06, 0.0005);
  south -= padLat; north += padLat; west -= padLon; east += padLon;
  const squeeze = Math.cos(((south + north) / 2) * Math.PI / 180);
  const scale = Math.min(width / ((east - west) * squeeze), height / (north - south));
  const dx = (width - (east - west) * squeeze * scale) / 2, dy = (height - (north - south) * scale) / 2;
  return { width, height,
    at: ([lat, lon]) => [(dx + (lon - west) * squeeze * scale).toFixed(1), (dy + (north - lat) * scale).toFixed(1)] };
}

async function loadMap(incidentId) {
  const query = incidentId ? `?incident=${encodeURIComponent(incidentId)}` : "";
  const answer = await api(`/api/v1/map${query}`);
  if (!answer.ok) throw new Error(String(answer.status));
  return answer.json();
}

const NEIGHBOURHOOD = [0.0045, 0.007];  // degrees of lat, lon: ~500 × 700 m around an incident

// The map as an SVG element; ``focus`` is the incident to ring and centre (the detail page's).
function drawMap(data, focus, width = 900, height = 560) {
  const target = data.incidents.find((i) => i.id === focus);
  const points = target
    ? [[target.lat - NEIGHBOURHOOD[0], target.lon - NEIGHBOURHOOD[1]], [target.lat + NEIGHBOURHOOD[0], target.lon + NEIGHBOURHOOD[1]]]
    : [...data.grids.flatMap((g) => g.outline), ...data.cameras.map((c) => [c.lat, c.lon]),
      ...data.incidents.map((i) => [i.lat, i.lon])];
  const title = t("map.title");
  if (!points.length) return el("p", { class: "muted" }, t("map.empty"));
  const map = projection(points, width, height);
  const fontSize = Math.max(16, Math.round(width / 60));
  const grids = data.grids.map((g, n) => {
    const xy = g.outline.map(map.at);
    const cx = xy.reduce((s, p) => s + Number(p[0]), 0) / xy.length;
    const top = Math.min(...xy.map((p) => Number(p[1])));  // the name above the area, off its points
    return svg("g", { class: `grid-area hue-${n % 6}`, "data-grid": g.id },
      svg("title", {}, `${g.street} › ${g.community} › ${g.name}`),
      svg("polygon", { points: xy.map((p) => p.join(",")).join(" ") }),
      svg("text", { x: cx.toFixed(1), y: (top - fontSize / 3).toFixed(1), "text-anchor": "middle", "font-size": fontSize }, g.name));
  });
  const cams = data.cameras.map((c) => {
    const [x, y] = map.at([c.lat, c.lon]);
    return svg("a", { href: `#/camera/${encodeURIComponent(c.id)}`, "data-camera-dot": c.id,
      "aria-label": `${c.name}: ${t(`cam.${c.status}`)}` },
    svg("title", {}, `${c.name} · ${t(`cam.${c.status}`)}`),
    svg("circle", { cx: x, cy: y, r: fontSize / 2, class: `dot st-${c.status}` }));
  });
  const found = data.incidents.map((i) => {
    const [x, y] = map.at([i.lat, i.lon]);
    const mine = i.id === focus;
    const size = (mine ? 0.7 : 0.5) * fontSize;
    return svg("a", { href: `#/incident/${encodeURIComponent(i.id)}`, "data-incident-dot": i.id,
      "aria-label": `${typeName(i.type)} · ${t(`sev.${i.severity}`)}`, class: mine ? "focus" : "" },
    svg("title", {}, `${typeName(i.type)} · ${t(`sev.${i.severity}`)} · ${t(`status.${i.status}`)}`),
    mine ? svg("circle", { cx: x, cy: y, r: 1.6 * fontSize, class: "ring" }) : [],
    svg("rect", { x: Number(x) - size, y: Number(y) - size, width: size * 2, height: size * 2,
      transform: `rotate(45 ${x} ${y})`, class: `mark sev-${i.severity}` }));
  });
  const figure = el("figure", { class: "map" });
  figure.append(svg("svg", { viewBox: `0 0 ${map.width} ${map.height}`, role: "group",
    "aria-label": title, class: "map-svg", preserveAspectRatio: "xMidYMid meet" },
  svg("title", {}, title), grids, cams, found));
  figure.append(el("figcaption", { class: "muted" },
    el("span", { class: "key" }, el("span", { class: "swatch dot st-online" }), t("map.camera")),
    el("span", { class: "key" }, el("span", { class: "swatch mark sev-Severe" }), t("map.incident")),
    el("span", {}, t("map.note"))));
  return figure;
}

async function showMap() {
  const view = $("#map-view");
  try {
    const data = await loadMap();
    view.replaceChildren(el("h2", {}, t("map.title")), drawMap(data, null, 1200, 640));
  } catch (e) {
    view.replaceChildren(el("p", { class: "error" }, t("failed", { e: e.message })));
  }
  show("map-view");
}
