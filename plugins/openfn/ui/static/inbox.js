// The inbox: messages newest first, one job-state chip per job, filters, search, keyset pages, and
// reprocessing a selection. Filters live in the URL (so Airflow keeps them in its own address bar).
import { $, API, UI_API, ApiError, chip, get, h, post, replace, setNotice, timeNode } from "./common.js";

const FILTERS = ["q", "project", "job", "state", "since", "until"];
const PAGE_SIZE = 50;
const REFRESH_MS = 5000;

const params = new URLSearchParams(window.location.search);
const form = $("#filters");
const notice = $("#notice");
const rows = $("#rows");
const reprocessButton = $("#reprocess");
const pickAll = $("#pick-all");

let projects = [];
const selected = new Map(); // message id -> project
let shown = ""; // the last page rendered, to skip identical refreshes
let confirming = false;

function receiptUrl(id) {
  return `receipt?id=${encodeURIComponent(id)}`;
}

function pageUrl(changes) {
  const next = new URLSearchParams();
  for (const name of [...FILTERS, "before"]) {
    const value = name in changes ? changes[name] : params.get(name);
    if (value) next.set(name, value);
  }
  const query = next.toString();
  return query ? `./?${query}` : "./";
}

function fillJobs() {
  const project = form.elements.project.value;
  const chosen = params.get("job") || form.elements.job.value;
  const keys = new Set();
  for (const p of projects) {
    if (project && p.name !== project) continue;
    for (const job of p.jobs) keys.add(job.key);
  }
  if (chosen) keys.add(chosen);
  replace(form.elements.job, h("option", { value: "", text: "All jobs" }),
    [...keys].sort().map((key) => h("option", { value: key, text: key, selected: key === chosen })));
}

async function loadProjects() {
  try {
    projects = (await get(new URL("projects", API))).projects;
  } catch (error) {
    projects = [];
  }
  const chosen = params.get("project") || "";
  const names = new Set(projects.map((p) => p.name));
  if (chosen) names.add(chosen);
  replace(form.elements.project, h("option", { value: "", text: "All projects" }),
    [...names].sort().map((name) => h("option", { value: name, text: name, selected: name === chosen })));
  fillJobs();
}

function statesCell(message) {
  if (!message.job_states.length) return h("span", { class: "muted small", text: "no job matched" });
  return h("div", { class: "chips" }, message.job_states.map((s) => chip(s.state, s.job)));
}

function row(message) {
  const box = h("input", { type: "checkbox", "aria-label": `Select message ${message.id}`, checked: selected.has(message.id) });
  box.addEventListener("change", () => {
    if (box.checked) selected.set(message.id, message.project);
    else selected.delete(message.id);
    updateSelection();
  });
  const link = receiptUrl(message.id);
  return h("tr", { dataset: { id: message.id } },
    h("td", { class: "pick" }, box),
    h("td", { class: "time" }, h("a", { class: "open", href: link }, timeNode(message.received_at))),
    h("td", { class: "project", text: message.project }),
    h("td", { class: "body" },
      h("a", { class: "preview", href: link, title: message.preview, text: message.preview || "(empty)" }),
      h("div", { class: "id", text: message.id })),
    h("td", { class: "states" }, statesCell(message)));
}

function render(page) {
  const key = JSON.stringify(page);
  if (key === shown) return;
  shown = key;
  const messages = page.messages;
  const filtered = FILTERS.some((name) => params.get(name));
  $("#count").textContent = `${messages.length}${page.next_before ? "+" : ""} message${messages.length === 1 ? "" : "s"}`;
  $("#scope").textContent = [
    params.get("before") ? "older page" : "newest first",
    filtered ? "filtered" : "",
    page.next_before && messages.length < PAGE_SIZE ? `searched ${page.scanned.toLocaleString("en")} messages so far` : "",
  ].filter(Boolean).join(" · ");
  if (!messages.length) {
    replace(rows, h("tr", {}, h("td", { colspan: 5, class: "empty",
      text: filtered ? "No message matches these filters." : "No messages yet. POST JSON to a project's inbox URL (see Projects)." })));
  } else {
    replace(rows, messages.map(row));
  }
  const older = $("#older");
  older.hidden = !page.next_before;
  if (page.next_before) older.setAttribute("href", pageUrl({ before: page.next_before }));
  const newest = $("#newest");
  newest.hidden = !params.get("before");
  newest.setAttribute("href", pageUrl({ before: "" }));
  pickAll.checked = messages.length > 0 && messages.every((m) => selected.has(m.id));
}

async function load() {
  const url = new URL("messages", UI_API);
  for (const name of [...FILTERS, "before"]) if (params.get(name)) url.searchParams.set(name, params.get(name));
  url.searchParams.set("limit", String(PAGE_SIZE));
  try {
    render(await get(url));
    if (notice.classList.contains("error") && notice.dataset.source === "load") setNotice(notice, "", "");
  } catch (error) {
    setNotice(notice, "error", error.message);
    notice.dataset.source = "load";
  }
}

function updateSelection() {
  confirming = false;
  reprocessButton.disabled = selected.size === 0;
  reprocessButton.textContent = selected.size ? `Reprocess selected (${selected.size})` : "Reprocess selected";
}

async function reprocess() {
  if (!confirming) {
    confirming = true;
    reprocessButton.textContent = `Confirm: run matching jobs again for ${selected.size} message${selected.size === 1 ? "" : "s"}`;
    return;
  }
  reprocessButton.disabled = true;
  const byProject = new Map();
  for (const [id, project] of selected) byProject.set(project, [...(byProject.get(project) || []), id]);
  let started = 0;
  const refused = [];
  for (const [project, ids] of byProject) {
    try {
      const reply = await post(new URL(`projects/${encodeURIComponent(project)}/reprocess`, API), { ids });
      started += reply.data.length;
      refused.push(...reply.errors.map((e) => e.message));
    } catch (error) {
      refused.push(error instanceof ApiError ? error.message : String(error));
    }
  }
  const summary = `Started ${started} run${started === 1 ? "" : "s"}.`;
  setNotice(notice, refused.length ? "error" : "ok", refused.length ? `${summary} ${refused.length} not started: ${refused.slice(0, 3).join(" ")}` : summary);
  notice.dataset.source = "reprocess";
  selected.clear();
  updateSelection();
  shown = "";
  await load();
}

function init() {
  for (const name of FILTERS) if (form.elements[name]) form.elements[name].value = params.get(name) || "";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const changes = { before: "" };
    for (const name of FILTERS) changes[name] = form.elements[name].value.trim();
    window.location.assign(pageUrl(changes));
  });
  form.elements.project.addEventListener("change", fillJobs);
  pickAll.addEventListener("change", () => {
    for (const box of rows.querySelectorAll("td.pick input")) {
      box.checked = pickAll.checked;
      box.dispatchEvent(new Event("change"));
    }
  });
  reprocessButton.addEventListener("click", reprocess);
  loadProjects();
  load();
  if (!params.get("before")) setInterval(() => { if (!document.hidden) load(); }, REFRESH_MS);
}

init();
