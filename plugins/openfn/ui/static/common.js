// Shared by the OpenFn pages: URLs, the API client (with the CSRF token), DOM building (text only: nothing
// from the server is ever parsed as HTML), times in Airflow's chosen timezone, chips, links into Airflow.

export const UI = new URL("../", import.meta.url); // .../openfn/ui/
export const API = new URL("../api/", UI); // .../openfn/api/  (the management API)
export const UI_API = new URL("api/", UI); // .../openfn/ui/api/
export const AIRFLOW = new URL("../../", UI); // Airflow's base URL

// --- DOM --------------------------------------------------------------------------------------------
// h("a", {href, class: "x", text: "label"}, child, "text", ...): every string becomes a text node.
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "href") node.setAttribute("href", safeHref(value));
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

function safeHref(value) {
  const url = new URL(String(value), window.location.href);
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : "#";
}

export const $ = (selector, root = document) => root.querySelector(selector);

// --- API ----------------------------------------------------------------------------------------------
export class ApiError extends Error {
  constructor(status, body, headers) {
    super((body && body.message) || `The server answered ${status}`);
    this.status = status;
    this.code = body && body.error;
    this.body = body;
    this.headers = headers;
  }
}

let session = null;

async function csrfToken(refresh = false) {
  if (!session || refresh) session = await request("GET", new URL("session", UI_API));
  return session.csrf_token;
}

async function request(method, url, body, extraHeaders = {}) {
  const headers = { Accept: "application/json", ...extraHeaders };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const reply = await fetch(url, { method, headers, credentials: "same-origin", cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await reply.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = { message: text }; }
  if (!reply.ok) {
    if (reply.status === 401) showSessionExpired();
    throw new ApiError(reply.status, parsed, reply.headers);
  }
  return parsed;
}

export function get(url) {
  return request("GET", url);
}

export async function getText(url) {
  const reply = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" });
  const text = await reply.text();
  if (!reply.ok) {
    let body = null;
    try { body = JSON.parse(text); } catch { body = { message: text }; }
    if (reply.status === 401) showSessionExpired();
    throw new ApiError(reply.status, body, reply.headers);
  }
  return text;
}

// POSTs carry the session's CSRF token; when Airflow has refreshed its cookie, the token is fetched again once.
async function change(method, url, body) {
  try {
    return await request(method, url, body, { "X-OpenFn-CSRF": await csrfToken() });
  } catch (error) {
    if (error instanceof ApiError && error.status === 403 && error.code === "csrf") {
      return request(method, url, body, { "X-OpenFn-CSRF": await csrfToken(true) });
    }
    throw error;
  }
}

export function post(url, body) {
  return change("POST", url, body);
}

export function del(url) {
  return change("DELETE", url);
}

function showSessionExpired() {
  const notice = document.getElementById("notice");
  if (notice) setNotice(notice, "error", "Your Airflow session has ended. Reload the page to log in again.");
}

export function setNotice(node, kind, text) {
  node.className = `notice ${kind || ""}`;
  node.textContent = text || "";
}

// --- Times ----------------------------------------------------------------------------------------------
// Airflow's UI keeps the user's timezone in localStorage "timezone" (JSON string); UTC otherwise.
function airflowTimezone() {
  try {
    const raw = window.localStorage.getItem("timezone");
    const zone = raw ? JSON.parse(raw) : "UTC";
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch {
    return "UTC";
  }
}

const zone = airflowTimezone();
const formatter = new Intl.DateTimeFormat("sv-SE", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });

export function formatTime(iso) {
  if (!iso) return "";
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? String(iso) : formatter.format(moment);
}

export function timeNode(iso) {
  if (!iso) return h("span", { class: "muted", text: "–" });
  return h("time", { datetime: iso, title: `${iso} (shown in ${zone})`, text: formatTime(iso) });
}

export function duration(start, end) {
  if (!start) return "";
  const seconds = Math.max(0, ((end ? new Date(end) : new Date()) - new Date(start)) / 1000);
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function timezoneName() {
  return zone;
}

// --- Chips ----------------------------------------------------------------------------------------------
export function stateClass(state) {
  return String(state || "").replace(/[^a-z]+/gi, "-").toLowerCase();
}

export function chip(state, label) {
  return h("span", { class: `chip ${stateClass(state)}`, title: label ? `${label}: ${state}` : state },
    label ? h("span", { class: "job", text: label }) : null, String(state));
}

export const FINISHED_RUN_STATES = new Set(["success", "failed"]);

// --- Links into Airflow -----------------------------------------------------------------------------------
export function runUrl(dagId, runId) {
  return new URL(`dags/${encodeURIComponent(dagId)}/runs/${encodeURIComponent(runId)}`, AIRFLOW);
}

export function logUrl(dagId, runId, taskId = "run") {
  return new URL(`dags/${encodeURIComponent(dagId)}/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(taskId)}`, AIRFLOW);
}

export function dagUrl(dagId) {
  return new URL(`dags/${encodeURIComponent(dagId)}`, AIRFLOW);
}

// Inside Airflow's UI the page is an iframe that may not navigate the top window itself (sandbox), so an
// Airflow link moves the parent's router instead (same origin); opened on its own, it is a plain link.
export function airflowLink(url, text, props = {}) {
  return h("a", { ...props, href: url, text, onclick: (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    if (openInParent(url)) event.preventDefault();
  } });
}

function openInParent(url) {
  try {
    const top = window.parent;
    if (top === window || top.location.origin !== window.location.origin) return false;
    const previous = top.history.state || {};
    const index = typeof previous.idx === "number" ? previous.idx + 1 : 0;
    top.history.pushState({ usr: null, key: Math.random().toString(36).slice(2, 10), idx: index }, "", String(url));
    top.dispatchEvent(new PopStateEvent("popstate", { state: top.history.state }));
    return true;
  } catch {
    return false;
  }
}

// --- Clipboard ------------------------------------------------------------------------------------------
export function copyButton(getText, label = "Copy") {
  const button = h("button", { type: "button", class: "small", text: label });
  button.addEventListener("click", async () => {
    const text = getText();
    let done = false;
    try {
      await navigator.clipboard.writeText(text);
      done = true;
    } catch {
      const area = h("textarea", { class: "offscreen", readonly: true });
      area.value = text;
      document.body.append(area);
      area.select();
      try { done = document.execCommand("copy"); } catch { done = false; }
      area.remove();
    }
    button.textContent = done ? "Copied" : "Select and copy";
    setTimeout(() => { button.textContent = label; }, 1500);
  });
  return button;
}

// --- JSON, formatted with the numbers exactly as sent --------------------------------------------------
// JSON.parse's reviver gets each number's source text (where the browser supports it), so 1.10 or
// 12345678901234567890 are shown as received, not as JavaScript rounds them.
class ExactNumber {
  constructor(source) { this.source = source; }
}

export function parseExact(text) {
  return JSON.parse(text, function (key, value, context) {
    if (typeof value === "number" && context && typeof context.source === "string") return new ExactNumber(context.source);
    return value;
  });
}

// JSON text of a parseExact value, indented by two spaces (for the copy button).
export function exactText(value, indent = "") {
  const parts = [];
  render(value, indent, parts);
  return parts.map((part) => (typeof part === "string" ? part : part.textContent)).join("");
}

export function jsonNode(value) {
  const parts = [];
  render(value, "", parts);
  return h("pre", { class: "json" }, parts);
}

function render(value, indent, out) {
  if (value === null) out.push(h("span", { class: "l", text: "null" }));
  else if (typeof value === "boolean") out.push(h("span", { class: "l", text: String(value) }));
  else if (typeof value === "number") out.push(h("span", { class: "n", text: String(value) }));
  else if (value instanceof ExactNumber) out.push(h("span", { class: "n", text: value.source }));
  else if (typeof value === "string") out.push(h("span", { class: "s", text: JSON.stringify(value) }));
  else if (Array.isArray(value)) {
    if (!value.length) { out.push("[]"); return; }
    out.push("[\n");
    value.forEach((item, index) => {
      out.push(indent + "  ");
      render(item, indent + "  ", out);
      out.push(index < value.length - 1 ? ",\n" : "\n");
    });
    out.push(indent + "]");
  } else {
    const entries = Object.entries(value);
    if (!entries.length) { out.push("{}"); return; }
    out.push("{\n");
    entries.forEach(([key, item], index) => {
      out.push(indent + "  ", h("span", { class: "k", text: JSON.stringify(key) }), ": ");
      render(item, indent + "  ", out);
      out.push(index < entries.length - 1 ? ",\n" : "\n");
    });
    out.push(indent + "}");
  }
}
