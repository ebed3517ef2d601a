// Projects: each inbox URL (copy, and a ready curl line), its jobs with trigger kind and rule, the next cron
// run, the saved state size of cron jobs against the 10,000 / 50,000-byte marks, and "Run now".
import { $, API, UI_API, ApiError, airflowLink, copyButton, dagUrl, get, h, post, replace, runUrl, setNotice, timeNode } from "./common.js";

const REFRESH_MS = 10000;
const notice = $("#notice");
const answers = new Map(); // dag_id -> node
let extra = { jobs: {}, warn_bytes: 10000, max_bytes: 50000 };
let listed = null;

function quote(text) {
  return `'${String(text).replace(/'/g, "'\\''")}'`;
}

function curlLine(project) {
  const message = project.triggers.find((t) => t.kind === "message");
  const body = message ? message.criteria : '{"hello": "world"}';
  const parts = ["curl", "-X POST", "-H 'Content-Type: application/json'"];
  if (project.auth.includes("api_key")) parts.push("-H 'x-api-key: <API key>'");
  else if (project.auth.includes("basic")) parts.push("-u '<user>:<password>'");
  parts.push(`-d ${quote(body)}`, quote(project.inbox_url));
  return parts.join(" ");
}

function rule(trigger) {
  if (!trigger) return "";
  if (trigger.kind === "message") {
    return h("div", { class: "rule" },
      h("div", {}, h("span", { class: "label", text: "criteria " }), trigger.criteria),
      trigger.exclusion ? h("div", {}, h("span", { class: "label", text: "exclusion " }), trigger.exclusion) : null);
  }
  if (trigger.kind === "cron") {
    return h("div", { class: "rule" }, trigger.cron, h("span", { class: "label", text: ` (${trigger.timezone})` }));
  }
  return h("div", { class: "rule" }, h("span", { class: "label", text: trigger.kind === "flow" ? "after success of " : "after failure of " }), trigger.upstream);
}

function sizeNode(bytes) {
  if (bytes === null || bytes === undefined) return h("span", { class: "muted small", text: "nothing saved yet" });
  const scale = extra.max_bytes * 1.2; // the 50,000-byte mark sits at 5/6 of the bar
  const fill = h("div", { class: `fill ${bytes > extra.max_bytes ? "over" : bytes > extra.warn_bytes ? "warn" : ""}` });
  fill.style.width = `${Math.min(100, (bytes / scale) * 100)}%`;
  const note = bytes > extra.max_bytes ? " · over the limit: not saved" : bytes > extra.warn_bytes ? " · over the warning mark" : "";
  return h("div", { class: "size" },
    h("div", { class: "small", text: `${bytes.toLocaleString("en")} bytes${note}` }),
    h("div", { class: "bar", role: "img", "aria-label": `${bytes} of ${extra.max_bytes} bytes` },
      fill, h("span", { class: "mark warn", title: `${extra.warn_bytes.toLocaleString("en")} bytes: warning` }),
      h("span", { class: "mark max", title: `${extra.max_bytes.toLocaleString("en")} bytes: not saved above` })),
    h("div", { class: "scale" }, h("span", { text: "0" }), h("span", { text: "10k warn" }), h("span", { text: "50k max" })));
}

async function runNow(job, button) {
  button.disabled = true;
  const answer = answers.get(job.dag_id);
  try {
    const run = await post(new URL(`jobs/${encodeURIComponent(job.dag_id)}/runs`, UI_API), {});
    replace(answer, "Started ", airflowLink(runUrl(run.dag_id, run.run_id), run.run_id), ".");
    answer.className = "answer started small";
  } catch (error) {
    answer.textContent = error instanceof ApiError ? error.message : String(error);
    answer.className = "answer error small";
  }
  setTimeout(() => { button.disabled = false; }, 2000);
}

function jobRow(project, job) {
  const trigger = project.triggers.find((t) => t.key === job.trigger);
  const info = extra.jobs[job.dag_id] || {};
  const cron = job.kind === "cron";
  if (!answers.has(job.dag_id)) answers.set(job.dag_id, h("div", { class: "answer small" }));
  let action = null;
  if (cron && job.enabled) {
    action = h("button", { type: "button", class: "small", text: "Run now", dataset: { dagId: job.dag_id } });
    action.addEventListener("click", () => runNow(job, action));
  }
  const flags = [!job.enabled ? "disabled" : "", job.kind === "message" && !job.autoprocess ? "autoprocess off" : ""].filter(Boolean);
  return h("tr", { dataset: { dagId: job.dag_id } },
    h("td", { "data-label": "Job" }, airflowLink(dagUrl(job.dag_id), job.key, { class: "name" }),
      h("div", { class: "muted small", text: [job.language === "javascript" ? "JavaScript" : "Python", job.adaptor].join(" · ") }),
      flags.length ? h("div", { class: "muted small", text: flags.join(" · ") }) : null,
      job.problem ? h("div", { class: "problem small", text: `Cannot run: ${job.problem}` }) : null),
    h("td", { "data-label": "Trigger" }, h("span", { class: "chip kind", text: job.kind }), " ", h("span", { class: "muted small", text: job.trigger })),
    h("td", { "data-label": "Rule" }, rule(trigger)),
    h("td", { "data-label": "Next run", class: "nowrap" }, cron
      ? [timeNode(info.next_run), info.paused ? h("div", { class: "muted small", text: "paused in Airflow" }) : null]
      : h("span", { class: "muted small", text: job.kind === "message" ? "on matching messages" : "after its upstream job" })),
    h("td", { "data-label": "Saved state", class: cron ? "" : "na" }, cron ? sizeNode(info.state_bytes) : h("span", { class: "muted small", text: "–" })),
    h("td", { class: cron ? "" : "na" }, action, answers.get(job.dag_id)));
}

// The inbox URL holds the project's secret token: the API sends it only to users who may edit the
// project's DAGs (or its token Variable), and null to the others.
function inboxBlock(project) {
  if (!project.inbox_url) {
    return h("div", { class: "small muted token-hidden",
      text: "Inbox URL hidden: it is shown to users who may edit this project's DAGs or its token Variable." });
  }
  const curl = curlLine(project);
  return [
    h("div", { class: "small muted", text: project.auth.length ? `Inbox URL (senders authenticate with: ${project.auth.join(", ")})` : "Inbox URL" }),
    h("div", { class: "urlbox" }, h("code", { class: "inbox-url", text: project.inbox_url }), copyButton(() => project.inbox_url, "Copy URL")),
    project.token_warning ? h("div", { class: "notice error token-warning",
      text: `${project.token_warning} Set the Airflow Variable to at least 22 random characters, or delete it to have one generated.` }) : null,
    h("div", { class: "small muted", text: "Send a test message" }),
    h("div", { class: "urlbox" }, h("code", { class: "curl", text: curl }), copyButton(() => curl, "Copy")),
  ];
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function workflowTrigger(workflow, trigger) {
  const state = trigger.enabled ? "" : " (disabled)";
  if (trigger.kind === "cron") {
    return h("div", { class: "small" }, h("span", { class: "chip kind", text: "cron" }), ` ${trigger.cron} (${trigger.timezone})${state}`,
      trigger.cursor_step ? h("span", { class: "muted", text: ` · the next run starts from ${trigger.cursor_step}'s last output` }) : null);
  }
  return h("div", { class: "small" }, h("span", { class: "chip kind", text: "webhook" }), ` ${trigger.key}${state}`,
    trigger.reply === "after_completion" ? h("span", { class: "muted", text: " · replies when the run has finished" }) : null,
    trigger.inbox_url ? h("div", { class: "urlbox" }, h("code", { class: "webhook-url", text: trigger.inbox_url }), copyButton(() => trigger.inbox_url, "Copy URL")) : null);
}

function workflowBlock(workflow) {
  return h("div", { class: "workflow", dataset: { workflow: workflow.key } },
    h("h3", {}, airflowLink(dagUrl(workflow.dag_id), workflow.name, { class: "name" }), h("span", { class: "muted small", text: ` workflow · ${plural(workflow.steps.length, "step")}` })),
    workflow.triggers.map((trigger) => workflowTrigger(workflow, trigger)),
    h("ol", { class: "steps" }, workflow.steps.map((step) => h("li", { class: "step", dataset: { step: step.key } },
      h("span", { class: "name", text: step.key }), h("span", { class: "muted small", text: ` ${step.adaptor}` }),
      step.problem ? h("div", { class: "problem small", text: `Cannot run: ${step.problem}` }) : null))));
}

function projectCard(project) {
  const workflows = project.workflows || [];
  const counts = [project.jobs.length ? plural(project.jobs.length, "job") : null, workflows.length ? plural(workflows.length, "workflow") : null];
  return h("section", { class: "card project", dataset: { project: project.name } },
    h("header", {}, h("h2", { text: project.name }), h("span", { class: "muted small", text: counts.filter(Boolean).join(" · ") || "no jobs" })),
    (project.problems || []).map((text) => h("div", { class: "notice error small", text })),
    (project.warnings || []).map((text) => h("div", { class: "notice warning small", text })),
    inboxBlock(project),
    project.jobs.length ? h("div", { class: "table-wrap" }, h("table", { class: "jobs-table" },
      h("thead", {}, h("tr", {}, ["Job", "Trigger", "Rule", "Next run", "Saved state", ""].map((t) => h("th", { text: t })))),
      h("tbody", {}, project.jobs.map((job) => jobRow(project, job))))) : null,
    workflows.map(workflowBlock));
}

function render() {
  if (!listed) return;
  replace($("#errors"), listed.errors.map((text) => h("div", { class: "notice error", text })));
  replace($("#projects"), listed.projects.length
    ? listed.projects.map(projectCard)
    : h("p", { class: "muted", text: "No projects you may see. Add include/jobs/<project>/project.yaml, or ask an Airflow admin for read access to a project's DAGs." }));
}

async function loadExtra() {
  try {
    extra = await get(new URL("projects", UI_API));
  } catch (error) {
    setNotice(notice, "error", error.message);
  }
}

async function init() {
  try {
    [listed] = await Promise.all([get(new URL("projects", API)), loadExtra()]);
  } catch (error) {
    setNotice(notice, "error", error.message);
    return;
  }
  render();
  setInterval(async () => {
    if (document.hidden) return;
    await loadExtra();
    render();
  }, REFRESH_MS);
}

init();
