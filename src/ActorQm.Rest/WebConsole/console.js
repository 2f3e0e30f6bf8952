// The web console (docs/rest.md, "Console"). Polls the JSON under api/ and draws it. Every value from the server is
// written as text (textContent, SVG attributes), never as markup: peer DNs and details come from certificates and peers.
"use strict";

const PollMs = 2000;
const RatePoints = 60;
// Channel instance -> [{ t: ms, msgs }], to turn MSGS into messages per second between polls.
const history = new Map();

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    node.setAttribute(name, String(value));
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  }
  return node;
}

function table(headings, rows) {
  if (rows.length === 0) {
    return el("p", { class: "empty" }, "None.");
  }
  return el("table", {}, el("thead", {}, el("tr", {}, ...headings.map(h => el("th", {}, h)))), el("tbody", {}, ...rows));
}

function rateChart(points) {
  const svgNs = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNs, "svg");
  svg.setAttribute("class", "rate");
  svg.setAttribute("viewBox", "0 0 160 32");
  svg.setAttribute("preserveAspectRatio", "none");
  const max = Math.max(1, ...points);
  const line = document.createElementNS(svgNs, "polyline");
  const step = 160 / Math.max(1, RatePoints - 1);
  const start = RatePoints - points.length;
  line.setAttribute("points", points.map((r, i) => `${((start + i) * step).toFixed(1)},${(31 - (r / max) * 30).toFixed(1)}`).join(" "));
  svg.append(line);
  const title = document.createElementNS(svgNs, "title");
  title.textContent = `messages per second, last ${points.length} polls (peak ${max.toFixed(1)})`;
  svg.append(title);
  return svg;
}

function rates(qmgr, channel, now) {
  const key = `${qmgr}\u0000${channel.name}\u0000${channel.type}\u0000${channel.conName}`;
  const samples = history.get(key) || [];
  samples.push({ t: now, msgs: channel.messages });
  while (samples.length > RatePoints + 1) {
    samples.shift();
  }
  history.set(key, samples);
  const perSecond = [];
  for (let i = 1; i < samples.length; i++) {
    const seconds = (samples[i].t - samples[i - 1].t) / 1000;
    perSecond.push(seconds > 0 ? Math.max(0, samples[i].msgs - samples[i - 1].msgs) / seconds : 0);
  }
  return perSecond;
}

function channelRow(qmgr, c, now) {
  const perSecond = rates(qmgr, c, now);
  const latest = perSecond.length > 0 ? perSecond[perSecond.length - 1] : 0;
  return el("tr", { class: "channel" },
    el("td", {}, c.name), el("td", {}, c.type), el("td", { class: `state state-${c.status}` }, c.status),
    el("td", {}, c.conName), el("td", { class: "peer" }, c.peer), el("td", {}, c.cipherSpec),
    el("td", { class: "num" }, c.messages), el("td", { class: "num" }, latest.toFixed(1)), el("td", {}, rateChart(perSecond)));
}

function handshake(h) {
  const steps = h.steps.map(s => {
    const decided = h.outcome === "Rejected" && s.step === h.decidingStep;
    const span = el("span", { class: decided ? "step decided" : "step", title: `${s.step}: ${s.milliseconds.toFixed(1)} ms` },
      `${s.step} ${s.milliseconds.toFixed(1)} ms`);
    // Widths follow the durations; the style sheet keeps every step readable.
    span.style.flexGrow = String(Math.max(0.05, s.milliseconds));
    return span;
  });
  const item = el("li", { class: "handshake", "data-outcome": h.outcome || "Running" },
    el("div", { class: "head" },
      el("span", { class: "connection" }, h.connectionId),
      el("time", { datetime: h.started }, new Date(h.started).toLocaleTimeString()),
      el("span", { class: "outcome" }, h.outcome || "in progress"),
      h.amqCode ? el("span", { class: "amq" }, h.amqCode) : "",
      h.decidingStep ? el("span", { class: "deciding" }, `refused at ${h.decidingStep}`) : ""),
    el("div", { class: "bar" }, ...steps));
  if (h.peer) {
    item.append(el("div", { class: "peer" }, `Peer: ${h.peer}`));
  }
  if (h.detail) {
    item.append(el("div", { class: "detail" }, h.detail));
  }
  if (h.revocationSource) {
    item.append(el("div", { class: "revocation" }, `Revocation: ${h.revocationStatus} from ${h.revocationSource}`));
  }
  return item;
}

function queueManager(view, now) {
  const listeners = view.listeners.map(l => el("section", { class: "listener" },
    el("h3", {}, `Listener ${l.name} on ${l.address}: last ${l.handshakes.length} handshakes`),
    l.handshakes.length === 0 ? el("p", { class: "empty" }, "No connection yet.") : el("ol", { class: "timeline" }, ...l.handshakes.map(handshake))));
  return el("section", { class: "qmgr", "data-qmgr": view.name },
    el("h2", {}, `Queue manager ${view.name}`),
    el("h3", {}, "Queues"),
    table(["Queue", "Depth", "Max depth"], view.queues.map(q =>
      el("tr", { class: "queue" }, el("td", {}, q.name), el("td", { class: "num" }, q.depth), el("td", { class: "num" }, q.maxDepth)))),
    el("h3", {}, "Channels"),
    table(["Channel", "Type", "Status", "Connection", "Peer", "CipherSpec", "Messages", "Msgs/s", "Rate"], view.channels.map(c => channelRow(view.name, c, now))),
    el("h3", {}, "Handshakes"),
    ...(listeners.length === 0 ? [el("p", { class: "empty" }, "No listener.")] : listeners));
}

async function json(path) {
  const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = body && body.error && body.error[0];
    throw new Error(error ? error.message : `${response.status} ${response.statusText}`);
  }
  return body;
}

async function poll() {
  const status = document.getElementById("status");
  try {
    const names = (await json("api/qmgr")).qmgr;
    const views = await Promise.all(names.map(n => json(`api/qmgr/${encodeURIComponent(n)}`)));
    const now = Date.now();
    document.getElementById("qmgrs").replaceChildren(...views.map(v => queueManager(v, now)));
    status.className = "";
    status.textContent = `Updated ${new Date(now).toLocaleTimeString()}`;
  } catch (e) {
    status.className = "error";
    status.textContent = `Not updated: ${e.message}`;
  } finally {
    setTimeout(poll, PollMs);
  }
}

poll();
