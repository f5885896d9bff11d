// petri play: the page over the workbench's JSON API (docs/cli.md). No libraries, works offline.
"use strict";

const $ = (sel) => document.querySelector(sel);
let state = null;          // the last GET /api/state
let net = null;            // GET /api/net
let zoom = null;           // null: fit to the window on the first drawing
let selectedPlace = null;
let shownEvents = 0;
let shownDecisions = 0;
let reachShown = false;

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const type = response.headers.get("Content-Type") || "";
  const data = type.startsWith("application/json") ? await response.json() : await response.text();
  if (!response.ok) {
    throw new Error(data && data.error ? data.error : `${response.status} ${response.statusText}`);
  }
  return data;
}

function say(text, error) {
  const box = $("#message");
  box.textContent = text;
  box.classList.toggle("error", !!error);
}

function show(value) {
  if (Array.isArray(value)) {
    return value.length === 0 ? "•" : "(" + value.map(show).join(", ") + ")";
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

function bindingText(binding) {
  const parts = Object.entries(binding || {}).map(([k, v]) => `${k}=${show(v)}`);
  return parts.length ? `⟨${parts.join(", ")}⟩` : "";
}

// -- drawing ------------------------------------------------------------------------------
async function drawNet() {
  const text = await api("GET", "api/svg");
  const canvas = $("#canvas");
  canvas.innerHTML = text.replace(/^<\?xml[^>]*>\s*/, "");
  const svg = canvas.querySelector("svg");
  svg.dataset.width = svg.getAttribute("width");
  svg.dataset.height = svg.getAttribute("height");
  if (zoom === null) fit(); else applyZoom();
  if (selectedPlace) {
    const g = placeGroup(selectedPlace);
    if (g) g.classList.add("selected");
  }
}

function placeGroup(name) {
  return [...document.querySelectorAll("#canvas g.place")].find((g) => g.dataset.name === name);
}

function applyZoom() {
  const svg = $("#canvas svg");
  if (!svg) return;
  svg.setAttribute("width", svg.dataset.width * zoom);
  svg.setAttribute("height", svg.dataset.height * zoom);
}

function fit() {
  const svg = $("#canvas svg");
  const box = $("#canvas");
  if (!svg) return;
  // the whole net, but never so small that names cannot be read (then scroll)
  zoom = Math.max(0.45, Math.min(box.clientWidth / svg.dataset.width,
                                 box.clientHeight / svg.dataset.height, 1.5));
  applyZoom();
}

// -- the state ----------------------------------------------------------------------------
async function refresh(message) {
  state = await api("GET", "api/state");
  $("#clock").textContent = state.clock;
  $("#firings").textContent = state.firings;
  $("#undo").disabled = state.undo === 0;
  $("#seed").value = state.seed;
  await drawNet();
  renderEnabled();
  renderTokens();
  await renderEvents();
  await renderDecisions();
  if (reachShown) await renderReach();
  if (message !== undefined) say(message);
}

function renderEnabled() {
  const list = $("#enabled-list");
  list.innerHTML = "";
  if (state.enabled.length === 0) {
    list.innerHTML = "<li class='hint'>Nothing is enabled now: advance the clock or step.</li>";
  }
  for (const b of state.enabled) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.textContent = `${b.transition} ${bindingText(b.binding)}`;
    button.className = "binding";
    button.dataset.transition = b.transition;
    button.addEventListener("click", () => fire(b.transition, b.binding));
    li.appendChild(button);
    list.appendChild(li);
  }
}

function renderTokens() {
  const body = $("#tokens-table tbody");
  body.innerHTML = "";
  if (!selectedPlace) return;
  const tokens = state.marking[selectedPlace] || [];
  const place = net.places.find((p) => p.name === selectedPlace);
  $("#tokens-place").textContent = `${selectedPlace} : ${place ? place.colour : ""}` +
    ` (${tokens.reduce((n, t) => n + t[2], 0)} tokens)`;
  for (const [colour, time, count] of tokens) {
    const tr = document.createElement("tr");
    for (const v of [show(colour), time, count]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

async function renderEvents() {
  const body = $("#events-table tbody");
  if (state.firings < shownEvents) {
    body.innerHTML = "";
    shownEvents = 0;
  }
  if (state.firings === shownEvents) return;
  const events = await api("GET", `api/events?since=${shownEvents}`);
  for (const tr of body.querySelectorAll("tr.latest")) tr.classList.remove("latest");
  for (const e of events) {
    const tr = document.createElement("tr");
    tr.className = "latest";
    for (const v of [e.step, e.time, e.transition, bindingText(e.binding)]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.appendChild(td);
    }
    tr.title = "consumed " + e.consumed.map((c) => `${c[0]}: ${show(c[1])}@${c[2]}`).join(", ") +
      "\nproduced " + e.produced.map((c) => `${c[0]}: ${show(c[1])}@${c[2]}`).join(", ");
    body.appendChild(tr);
  }
  shownEvents += events.length;
  const tab = $("#tab-events");
  tab.scrollTop = tab.scrollHeight;
}

async function renderDecisions() {
  if (!net.controller) return;
  const decisions = await api("GET", "api/decisions");
  const body = $("#decisions-table tbody");
  if (decisions.length === shownDecisions && decisions.length > 0) return;
  body.innerHTML = "";
  for (const d of decisions) {
    const tr = document.createElement("tr");
    const offered = d.offered.length <= 3 ? d.offered.join(", ")
      : `${d.offered.slice(0, 3).join(", ")} and ${d.offered.length - 3} more`;
    for (const v of [d.clock, d.chosen === null ? "wait" : d.chosen, offered]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.appendChild(td);
    }
    tr.title = d.offered.join("\n");
    body.appendChild(tr);
  }
  shownDecisions = decisions.length;
  const tab = $("#tab-decisions");
  tab.scrollTop = tab.scrollHeight;
}

async function renderReach() {
  const box = $("#reach");
  try {
    const graph = await api("GET", "api/reach");
    box.innerHTML = graph.svg.replace(/^<\?xml[^>]*>\s*/, "");
    const svg = box.querySelector("svg");
    svg.setAttribute("width", "100%");
    svg.removeAttribute("height");
    box.dataset.current = graph.current === null ? "" : graph.current;
  } catch (err) {
    box.innerHTML = "";
    const p = document.createElement("p");
    p.className = "hint";
    p.textContent = err.message;
    box.appendChild(p);
  }
}

// -- actions ------------------------------------------------------------------------------
async function act(path, body, describe) {
  try {
    const result = await api("POST", path, body);
    if (/(undo|reset|goto)$/.test(path)) {        // the logs shrink: show them afresh
      $("#events-table tbody").innerHTML = "";
      shownEvents = 0;
      shownDecisions = -1;
    }
    await refresh(describe(result));
  } catch (err) {
    say(err.message, true);
  }
}

function fire(transition, binding) {
  return act("api/fire", { transition, binding },
    (r) => `fired ${r.event.transition} ${bindingText(r.event.binding)} at time ${r.event.time}`);
}

function clickTransition(name) {
  const options = state.enabled.filter((b) => b.transition === name);
  if (options.length === 1) return fire(name, options[0].binding);
  if (options.length === 0) return fire(name, {});     // the server says why not
  const dialog = $("#chooser");
  $("#chooser-title").textContent = `${name}: ${options.length} enabled bindings`;
  const list = $("#chooser-list");
  list.innerHTML = "";
  for (const b of options) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "choice";
    button.textContent = bindingText(b.binding);
    button.addEventListener("click", () => { dialog.close(); fire(name, b.binding); });
    li.appendChild(button);
    list.appendChild(li);
  }
  dialog.showModal();
}

function clickPlace(name) {
  for (const g of document.querySelectorAll("#canvas g.place.selected")) g.classList.remove("selected");
  selectedPlace = name;
  const g = placeGroup(name);
  if (g) g.classList.add("selected");
  showTab("tokens");
  renderTokens();
}

function showTab(name) {
  for (const b of document.querySelectorAll(".tabs button")) {
    b.classList.toggle("active", b.dataset.tab === name);
  }
  for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== `tab-${name}`;
  reachShown = name === "reach";
  if (reachShown) renderReach();
}

function lastDecision(before) {
  return api("GET", `api/decisions?since=${before}`).then((ds) => ds.length
    ? ` (controller: ${ds[ds.length - 1].chosen || "wait"} among ${ds[ds.length - 1].offered.length})`
    : "");
}

function wire() {
  $("#canvas").addEventListener("click", (ev) => {
    const t = ev.target.closest("g.transition");
    if (t) return clickTransition(t.dataset.name);
    const p = ev.target.closest("g.place");
    if (p) return clickPlace(p.dataset.name);
  });
  $("#reach").addEventListener("click", (ev) => {
    const s = ev.target.closest("g.state");
    if (s) act("api/goto", { state: Number(s.dataset.state) },
      (r) => `went to state ${r.reached}` + (r.path.length ? ` by ${r.path.join(" ")}` : ""));
  });
  $("#step").addEventListener("click", async () => {
    const before = shownDecisions;
    try {
      const r = await api("POST", "api/step", {});
      const note = net.controller ? await lastDecision(before) : "";
      await refresh(`step: fired ${r.event.transition} ${bindingText(r.event.binding)} at time ${r.event.time}${note}`);
    } catch (err) { say(err.message, true); }
  });
  $("#advance").addEventListener("click", () => act("api/advance", {}, (r) => `clock advanced to ${r.clock}`));
  $("#run").addEventListener("click", () => {
    const until = $("#run-until").value, firings = $("#run-firings").value;
    const body = {};
    if (until !== "") body.until = Number(until);
    if (firings !== "") body.firings = Number(firings);
    act("api/run", body, (r) => `ran ${r.fired} firings to time ${r.clock} (stopped: ${r.stopped})`);
  });
  $("#undo").addEventListener("click", () => act("api/undo", {}, (r) => `undone: back to time ${r.clock}, ${r.firings} firings`));
  $("#reset").addEventListener("click", () => act("api/reset", { seed: Number($("#seed").value) || 0 },
    (r) => `reset with seed ${r.seed}`));
  $("#zoom-in").addEventListener("click", () => { zoom *= 1.25; applyZoom(); });
  $("#zoom-out").addEventListener("click", () => { zoom /= 1.25; applyZoom(); });
  $("#zoom-fit").addEventListener("click", fit);
  for (const b of document.querySelectorAll(".tabs button")) {
    b.addEventListener("click", () => showTab(b.dataset.tab));
  }
}

async function start() {
  wire();
  try {
    net = await api("GET", "api/net");
    document.title = `${net.name} — petri play`;
    $("#net-name").textContent = net.name;
    if (net.controller) {
      $("#controller-box").hidden = false;
      $("#controller").textContent = net.controller;
    } else {
      $("#decisions-hint").textContent = "No controller: start petri play with --controller NAME.";
    }
    await refresh(`${net.places.length} places, ${net.transitions.length} transitions: ` +
      "click an enabled (green) transition to fire it");
  } catch (err) {
    say(err.message, true);
  }
}

start();
