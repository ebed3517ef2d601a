// The receipt inspector: one message's body and headers, its job-states, every run (flow and fail runs
// included) with links into Airflow, a re-run button per job that shows the 10-second rule's answer, and
// "Erase body and headers" for data-protection requests (the server checks the user may edit the DAGs).
// A message a Lightning workflow's webhook received shows each run's steps, each with "Retry from here".
// Under each run (and each step) its result: the error first, then its output and the end of its task log,
// each cut by the server with "Show all" fetching the whole (GET .../runs/<run_id>/result).
import {
  $, API, ApiError, FINISHED_RUN_STATES, airflowLink, chip, copyButton, del, duration, exactText, get, getText, h,
  jsonNode, logUrl, parseExact, post, replace, runUrl, setNotice, timeNode,
} from "./common.js";

const POLL_MS = 2500;
const id = new URLSearchParams(window.location.search).get("id");
const notice = $("#notice");
const answers = new Map(); // job -> {kind, text, until}; also "<run_id>/<step>" -> {kind, text} for retries
let project = null; // this message's project, from GET /openfn/api/projects
let receipt = null;
let timer = null;
const opened = new Set(); // "<run_id>/<step>/<output|log>" of the result sections the user opened
const whole = new Map(); // the same keys -> the whole text, once "Show all" fetched it

function workflowOf(job) {
  return project && (project.workflows || []).find((w) => w.key === job);
}

function kindOf(job) {
  if (workflowOf(job)) return "workflow";
  const found = project && project.jobs.find((j) => j.key === job);
  return found ? found.kind : "";
}

function renderBody(text) {
  const parsed = parseExact(text);
  if (parsed.erased) {
    const erased = parsed.erased;
    const logs = erased.task_logs_cleared ? ` ${erased.task_logs_cleared} task log file${erased.task_logs_cleared === 1 ? "" : "s"} erased.` : "";
    const waiting = erased.waiting_for_runs ? " Runs that were still going are cleared again as they finish." : "";
    replace($("#body"), h("p", { class: "muted erased", text: `Body and headers erased by ${erased.by}` }, " (", timeNode(erased.at), `).${logs}${waiting}`));
    replace($("#body-tools"));
    return;
  }
  replace($("#body"), jsonNode(parsed.body));
  replace($("#body-tools"), copyButton(() => exactText(parsed.body), "Copy body"),
    h("button", { type: "button", class: "danger", id: "erase", text: "Erase body and headers", onclick: erase }));
}

async function erase(event) {
  const button = event.currentTarget;
  if (!window.confirm("Erase this message's body and headers, here and in its Airflow runs? Its id, arrival time and runs are kept. This cannot be undone.")) return;
  button.disabled = true;
  try {
    await del(new URL(`messages/${encodeURIComponent(id)}/content`, API));
    replace($("#body"));
    setNotice(notice, "", "Body and headers erased.");
  } catch (error) {
    setNotice(notice, "error", error.message);
    button.disabled = false;
    return;
  }
  await refresh();
}

function renderHeaders(headers) {
  const entries = Object.entries(headers || {});
  replace($("#headers"), entries.length
    ? entries.map(([name, value]) => h("tr", {}, h("td", { text: name }), h("td", { text: value })))
    : h("tr", {}, h("td", { colspan: 2, class: "muted", text: "No headers kept." })));
}

function rerunnable() {
  if (!project) return [];
  if (receipt && receipt.trigger) { // a webhook's message runs its workflow again, from the same input
    const workflow = workflowOf(receipt.trigger.split("/")[0]);
    return workflow ? [{ key: workflow.key, kind: "workflow", enabled: true }] : [];
  }
  return project.jobs.filter((j) => j.kind === "message" && j.enabled);
}

function renderJobs() {
  const states = new Map(receipt.job_states.map((s) => [s.job, s]));
  const jobs = [...new Set([...rerunnable().map((j) => j.key), ...states.keys()])];
  if (!jobs.length) {
    replace($("#jobs"), h("p", { class: "muted", text: "No job ran for this message, and its project has no message job." }));
    return;
  }
  replace($("#jobs"), jobs.map((job) => {
    const state = states.get(job);
    const canRun = rerunnable().some((j) => j.key === job);
    const answer = answers.get(job);
    const waiting = answer && answer.until && answer.until > Date.now();
    const button = canRun ? h("button", { type: "button", class: "small", disabled: waiting, dataset: { job },
      text: waiting ? `Retry in ${Math.ceil((answer.until - Date.now()) / 1000)} s` : "Re-run", onclick: () => rerun(job) }) : null;
    return h("div", { class: "job-row", dataset: { job } },
      h("div", {}, h("span", { class: "name", text: job }), " ",
        state ? chip(state.state) : h("span", { class: "muted small", text: "no run yet" }),
        kindOf(job) && kindOf(job) !== "message" ? h("span", { class: "muted small", text: ` · ${kindOf(job)} job` }) : null),
      button || h("span"),
      answer ? h("div", { class: `answer ${answer.kind}`, text: answer.text }) : null);
  }));
}

function renderRuns() {
  const errors = new Map((receipt.dispatch_errors || []).map((e) => [e.run_id, e.error]));
  const seen = new Map();
  $("#runs-note").textContent = `${receipt.runs.length} run${receipt.runs.length === 1 ? "" : "s"}, oldest first`;
  if (!receipt.runs.length) {
    replace($("#runs"), h("tr", {}, h("td", { colspan: 8, class: "empty", text: "No runs for this message." })));
    return;
  }
  replace($("#runs"), receipt.runs.flatMap((run) => {
    seen.set(run.job, (seen.get(run.job) || 0) + 1);
    const exists = run.state !== "pending" && !errors.has(run.run_id);
    const links = exists
      ? h("span", { class: "links" }, airflowLink(runUrl(run.dag_id, run.run_id), "Run"), airflowLink(logUrl(run.dag_id, run.run_id), "Task log"))
      : h("span", { class: "muted small", text: errors.get(run.run_id) || "waiting for the dispatcher" });
    const row = h("tr", { dataset: { runId: run.run_id } },
      h("td", { "data-label": "Job" }, h("b", { text: run.job }), h("div", { class: "id", title: run.run_id, text: run.run_id })),
      h("td", { "data-label": "Trigger", class: "nowrap" }, `${kindOf(run.job) || "job"} · run ${seen.get(run.job)}`,
        run.requested_by ? h("div", { class: "muted small requested-by", text: `asked by ${run.requested_by}` }) : null),
      h("td", { "data-label": "State" }, chip(run.state)),
      h("td", { "data-label": "Queued", class: "nowrap" }, timeNode(run.queued_at)),
      h("td", { "data-label": "Started", class: "nowrap" }, timeNode(run.start_date)),
      h("td", { "data-label": "Ended", class: "nowrap" }, timeNode(run.end_date)),
      h("td", { "data-label": "Duration", class: "nowrap", text: duration(run.start_date, run.end_date) }),
      h("td", { "data-label": "Airflow" }, links));
    const result = run.result && (run.result.error || run.result.output || run.result.log) ? resultRow(run) : null;
    return [row, result, run.steps ? stepsRow(run) : null].filter(Boolean);
  }));
}

function resultRow(run) {
  return h("tr", { class: "result-row", dataset: { resultOf: run.run_id } }, h("td", { colspan: 8 }, resultNode(run, null, run.result)));
}

// A run's or a step's result: its error, then its output and its task log as sections the user opens.
function resultNode(run, step, result) {
  const key = `${run.run_id}/${step || ""}`;
  return h("div", { class: "result" },
    result.error ? h("div", { class: "run-error", role: "note" }, h("b", { text: result.error.type }), `: ${result.error.message}`) : null,
    result.output ? section(run, step, "output", `Output · ${bytes(result.output.bytes)}`, result.output.text, result.output.truncated,
      (full) => full.output && full.output.text, `${key}/output`) : null,
    result.log ? section(run, step, "log", `Task log · ${result.log.task_id}, try ${result.log.try_number}${result.log.truncated ? ", last lines" : ""}`,
      result.log.lines.join("\n"), result.log.truncated, (full) => full.log && full.log.lines.join("\n"), `${key}/log`) : null);
}

function section(run, step, kind, label, text, truncated, pick, key) {
  const shown = whole.get(key) ?? text;
  const details = h("details", { class: `result-${kind}`, open: opened.has(key), ontoggle: (event) => {
    if (event.currentTarget.open) opened.add(key); else opened.delete(key);
  } },
  h("summary", { text: label }),
  h("pre", { class: kind === "output" ? "output" : "log", text: shown }), // not "json": that is the message body
  truncated && !whole.has(key) ? h("button", { type: "button", class: "small", text: kind === "output" ? "Show all" : "Show the whole log",
    onclick: (event) => showAll(event.currentTarget, run, step, pick, key) }) : null);
  return details;
}

async function showAll(button, run, step, pick, key) {
  button.disabled = true;
  try {
    const address = new URL(`messages/${encodeURIComponent(id)}/runs/${encodeURIComponent(run.run_id)}/result`, API);
    if (step) address.searchParams.set("step", step);
    whole.set(key, pick(await get(address)) || "");
    opened.add(key);
    renderRuns();
  } catch (error) {
    setNotice(notice, "error", error.message);
    button.disabled = false;
  }
}

function bytes(count) {
  return count < 1024 ? `${count} bytes` : `${(count / 1024).toFixed(1)} KiB`;
}

function stepsRow(run) {
  const finished = FINISHED_RUN_STATES.has(run.state);
  const steps = run.steps.filter((step) => step.step !== "openfn_result");
  return h("tr", { class: "steps-row", dataset: { stepsOf: run.run_id } }, h("td", { colspan: 8 },
    h("ol", { class: "steps" }, steps.map((step) => {
      const key = `${run.run_id}/${step.step}`;
      const answer = answers.get(key);
      const button = finished && step.state ? h("button", { type: "button", class: "small", dataset: { step: step.step },
        text: "Retry from here", title: "Run this step again from the input it had, and every step after it", onclick: () => retry(run, step.step) }) : null;
      return h("li", { class: "step", dataset: { step: step.step } },
        chip(step.state || "not started"), " ", airflowLink(logUrl(run.dag_id, run.run_id, step.step), step.step, { class: "name" }),
        h("span", { class: "muted small", text: step.start_date ? ` ${duration(step.start_date, step.end_date)}${step.try_number > 1 ? ` · try ${step.try_number}` : ""}` : "" }),
        " ", button, answer ? h("div", { class: `answer small ${answer.kind}`, text: answer.text }) : null,
        step.result && (step.result.error || step.result.output || step.result.log) ? resultNode(run, step.step, step.result) : null);
    }))));
}

async function retry(run, step) {
  const key = `${run.run_id}/${step}`;
  answers.set(key, { kind: "", text: "Clearing…" });
  renderRuns();
  try {
    const cleared = await post(new URL(`messages/${encodeURIComponent(id)}/runs/${encodeURIComponent(run.run_id)}/retry`, API), { step });
    answers.set(key, { kind: "started", text: `Runs again: ${cleared.cleared.filter((t) => t !== "openfn_result").join(", ")}.` });
  } catch (error) {
    answers.set(key, { kind: "error", text: error.message });
  }
  await refresh();
}

function render(text) {
  receipt = JSON.parse(text);
  document.title = `OpenFn Inbox · ${receipt.id}`;
  $("#title").textContent = `Message ${receipt.id}`;
  replace($("#meta"),
    h("span", {}, "Project ", h("b", { text: receipt.project })),
    h("span", {}, "Received ", h("b", {}, timeNode(receipt.received_at))),
    h("span", {}, copyButton(() => receipt.id, "Copy id")));
  if (!$("#body pre") && !$("#body .erased")) renderBody(text); // the body never changes but by erasure: keep the scroll position
  renderHeaders(receipt.headers);
  renderJobs();
  renderRuns();
}

function busy() {
  const now = Date.now();
  return receipt.runs.some((run) => !FINISHED_RUN_STATES.has(run.state)) || [...answers.values()].some((a) => a.until && a.until > now);
}

async function refresh() {
  clearTimeout(timer);
  try {
    render(await getText(new URL(`messages/${encodeURIComponent(id)}`, API)));
  } catch (error) {
    setNotice(notice, "error", error.message);
    return;
  }
  if (busy()) timer = setTimeout(() => { if (!document.hidden) refresh(); else timer = setTimeout(refresh, POLL_MS); }, POLL_MS);
}

async function rerun(job) {
  answers.set(job, { kind: "", text: "Starting…" });
  renderJobs();
  try {
    const run = await post(new URL(`messages/${encodeURIComponent(id)}/runs`, API), { job });
    answers.set(job, { kind: "started", text: `Started run ${run.run_id}. Its job-state is "in progress" until it finishes.` });
  } catch (error) {
    if (error instanceof ApiError && error.status === 429) {
      const seconds = Number(error.headers.get("Retry-After")) || 10;
      answers.set(job, { kind: "refused", until: Date.now() + seconds * 1000,
        text: `Not started: the 10-second rule allows one run of ${job} per message every 10 seconds. Retry in ${seconds} s.` });
      countdown(job);
    } else {
      answers.set(job, { kind: "error", text: error.message });
    }
  }
  await refresh();
}

function countdown(job) {
  const tick = () => {
    const answer = answers.get(job);
    if (!answer || !answer.until) return;
    renderJobs();
    if (answer.until > Date.now()) {
      setTimeout(tick, 1000);
    } else {
      answers.set(job, { kind: "", text: "You can run it again now." });
      renderJobs();
    }
  };
  setTimeout(tick, 1000);
}

async function init() {
  if (!id) {
    setNotice(notice, "error", "No message id in the address. Open a message from the inbox.");
    return;
  }
  try {
    const text = await getText(new URL(`messages/${encodeURIComponent(id)}`, API));
    receipt = JSON.parse(text);
    const projects = (await get(new URL("projects", API))).projects;
    project = projects.find((p) => p.name === receipt.project) || null;
  } catch (error) {
    setNotice(notice, "error", error.message);
    replace($("#body"), h("p", { class: "muted", text: "Nothing to show." }));
    return;
  }
  await refresh();
}

init();
