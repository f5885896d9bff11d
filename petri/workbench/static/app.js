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
// One action at a time: a click waits until the one before it has been answered and shown,
// so that an older answer never draws over a newer one (nor the event log twice).
let queue = Promise.resolve();

function serially(task) {
  const run = queue.then(task);
  queue = run.catch(() => {});
  return run;
}

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
function drawNet(text) {
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
// Asks the server for everything first, then shows it all at once: the page never shows the
// new clock beside the old drawing, log or message. ``fresh``: the logs shrank (undo, reset,
// goto), show them anew.
async function refresh(message, fresh) {
  const next = await api("GET", "api/state");
  const svg = await api("GET", "api/svg");
  const since = fresh || next.firings < shownEvents ? 0 : shownEvents;
  const events = next.firings === since ? [] : await api("GET", `api/events?since=${since}`);
  const decisions = net.controller ? await api("GET", "api/decisions") : null;
  const reach = reachShown ? await fetchReach() : null;
  state = next;
  $("#clock").textContent = state.clock;
  $("#firings").textContent = state.firings;
  $("#undo").disabled = state.undo === 0;
  $("#seed").value = state.seed;
  drawNet(svg);
  renderEnabled();
  renderTokens();
  renderEvents(events, since);
  if (decisions) renderDecisions(decisions, fresh);
  if (reach) renderReach(reach);
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
    button.addEventListener("click", () => serially(() => fire(b.transition, b.binding)));
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

function renderEvents(events, since) {
  const body = $("#events-table tbody");
  if (since < shownEvents) {
    body.innerHTML = "";
    shownEvents = 0;
  }
  if (events.length === 0) return;
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

function renderDecisions(decisions, fresh) {
  const body = $("#decisions-table tbody");
  if (!fresh && decisions.length === shownDecisions && decisions.length > 0) return;
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

// the reachability graph, or {error} when the server refuses it (say, too many states)
async function fetchReach() {
  try {
    return await api("GET", "api/reach");
  } catch (err) {
    return { error: err.message };
  }
}

function renderReach(graph) {
  const box = $("#reach");
  if (graph.error !== undefined) {
    box.innerHTML = "";
    const p = document.createElement("p");
    p.className = "hint";
    p.textContent = graph.error;
    box.appendChild(p);
    return;
  }
  box.innerHTML = graph.svg.replace(/^<\?xml[^>]*>\s*/, "");
  const svg = box.querySelector("svg");
  svg.setAttribute("width", "100%");
  svg.removeAttribute("height");
  box.dataset.current = graph.current === null ? "" : graph.current;
}

// -- actions ------------------------------------------------------------------------------
async function act(path, body, describe) {
  try {
    const result = await api("POST", path, body);
    // after undo, reset and goto the logs shrink: show them afresh
    await refresh(describe(result), /(undo|reset|goto)$/.test(path));
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
    button.addEventListener("click", () => { dialog.close(); serially(() => fire(name, b.binding)); });
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
  if (reachShown) serially(async () => renderReach(await fetchReach()));
}

function lastDecision(before) {
  return api("GET", `api/decisions?since=${before}`).then((ds) => ds.length
    ? ` (controller: ${ds[ds.length - 1].chosen || "wait"} among ${ds[ds.length - 1].offered.length})`
    : "");
}

function wire() {
  $("#canvas").addEventListener("click", (ev) => {
    const t = ev.target.closest("g.transition");
    if (t) return serially(() => clickTransition(t.dataset.name));
    const p = ev.target.closest("g.place");
    if (p) return clickPlace(p.dataset.name);
  });
  $("#reach").addEventListener("click", (ev) => {
    const s = ev.target.closest("g.state");
    if (s) serially(() => act("api/goto", { state: Number(s.dataset.state) },
      (r) => `went to state ${r.reached}` + (r.path.length ? ` by ${r.path.join(" ")}` : "")));
  });
  $("#step").addEventListener("click", () => serially(async () => {
    const before = shownDecisions;
    try {
      const r = await api("POST", "api/step", {});
      const note = net.controller ? await lastDecision(before) : "";
      await refresh(`step: fired ${r.event.transition} ${bindingText(r.event.binding)} at time ${r.event.time}${note}`);
    } catch (err) { say(err.message, true); }
  }));
  $("#advance").addEventListener("click", () => serially(() => act("api/advance", {}, (r) => `clock advanced to ${r.clock}`)));
  $("#run").addEventListener("click", () => {
    // the fields as they are when clicked
    const until = $("#run-until").value, firings = $("#run-firings").value;
    const body = {};
    if (until !== "") body.until = Number(until);
    if (firings !== "") body.firings = Number(firings);
    serially(() => act("api/run", body, (r) => `ran ${r.fired} firings to time ${r.clock} (stopped: ${r.stopped})`));
  });
  $("#undo").addEventListener("click", () => serially(() => act("api/undo", {}, (r) => `undone: back to time ${r.clock}, ${r.firings} firings`)));
  $("#reset").addEventListener("click", () => {
    const seed = Number($("#seed").value) || 0;
    serially(() => act("api/reset", { seed }, (r) => `reset with seed ${r.seed}`));
  });
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
    await serially(() => refresh(`${net.places.length} places, ${net.transitions.length} transitions: ` +
      "click an enabled (green) transition to fire it"));
  } catch (err) {
    say(err.message, true);
  }
}

start();
