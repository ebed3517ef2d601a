// Collections: each project's key-value stores with their item counts and sizes; browse and search keys (a
// page at a time), view a value whole, delete an item, the items a pattern matches, or a whole collection.
// The page's URL keeps the open collection and pattern (?project=&name=&key=), so it can be bookmarked.
import { $, API, ApiError, del, get, h, jsonNode, parseExact, replace, setNotice, timeNode } from "./common.js";

const notice = $("#notice");
const state = { open: null, cursor: null };

function bytes(n) {
  if (n < 1024) return `${n.toLocaleString("en")} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function path(collection, ...rest) {
  return new URL(["collections", collection.project, collection.name, ...rest].map(encodeURIComponent).join("/"), API);
}

function fail(error) {
  setNotice(notice, "error", error instanceof ApiError ? error.message : String(error));
}

async function confirmAndDelete(question, url, done) {
  if (!window.confirm(question)) return;
  try {
    const answer = await del(url);
    const count = answer.deleted_items ?? answer.deleted;
    setNotice(notice, "ok", `Deleted ${count.toLocaleString("en")} item${count === 1 ? "" : "s"}.`);
    await done();
  } catch (error) {
    fail(error);
  }
}

function row(collection) {
  const open = h("button", { type: "button", class: "small", text: "Browse" });
  open.addEventListener("click", () => browse(collection));
  const remove = collection.may_delete ? h("button", { type: "button", class: "small danger", text: "Delete" }) : null;
  remove?.addEventListener("click", () => confirmAndDelete(
    `Delete the collection ${collection.name} of ${collection.project} and its ${collection.items} items? This cannot be undone.`
      + (collection.declared ? " The project file declares it, so it comes back empty." : ""),
    path(collection), async () => { closeBrowser(); await load(); }));
  return h("tr", { dataset: { project: collection.project, name: collection.name } },
    h("td", { "data-label": "Project", text: collection.project }),
    h("td", { "data-label": "Collection" }, h("b", { text: collection.name }),
      collection.declared ? h("div", { class: "muted small", text: "declared in the project file" }) : null),
    h("td", { "data-label": "Items", class: "items", text: collection.items.toLocaleString("en") }),
    h("td", { "data-label": "Size", class: "size", text: bytes(collection.bytes) }),
    h("td", { "data-label": "Created" }, timeNode(collection.created_at)),
    h("td", { "data-label": "" }, open, remove));
}

async function load() {
  try {
    const { collections } = await get(new URL("collections", API));
    const target = $("#collections");
    if (!collections.length) {
      replace(target, h("p", { class: "empty", text: "No collections yet. Declare them under collections: in a project file." }));
      return collections;
    }
    replace(target, h("div", { class: "table-wrap" }, h("table", { class: "collections" },
      h("thead", {}, h("tr", {}, ...["Project", "Collection", "Items", "Size", "Created", ""].map((t) => h("th", { text: t })))),
      h("tbody", {}, collections.map(row)))));
    return collections;
  } catch (error) {
    fail(error);
    return [];
  }
}

function closeBrowser() {
  state.open = null;
  $("#browser").hidden = true;
  history.replaceState(null, "", "collections");
}

async function showValue(collection, key) {
  try {
    const item = await get(path(collection, "items", key));
    let shown;
    try { shown = jsonNode(parseExact(item.value)); } catch { shown = h("pre", { class: "json", text: item.value }); }
    const remove = collection.may_delete ? h("button", { type: "button", class: "small danger", text: "Delete this item" }) : null;
    remove?.addEventListener("click", () => confirmAndDelete(`Delete ${key}?`, path(collection, "items", key), () => search(collection)));
    replace($("#value"), h("div", { class: "card value" },
      h("header", {}, h("h2", { text: key }), remove),
      h("div", { class: "meta small" }, h("span", {}, "created ", timeNode(item.created)), h("span", {}, "updated ", timeNode(item.updated))),
      shown));
  } catch (error) {
    fail(error);
  }
}

function itemRow(collection, item) {
  const open = h("a", { href: "#", class: "open", text: item.key });
  open.addEventListener("click", (event) => { event.preventDefault(); showValue(collection, item.key); });
  return h("tr", { dataset: { key: item.key } },
    h("td", { "data-label": "Key" }, open),
    h("td", { "data-label": "Value" }, h("span", { class: "preview", text: item.preview + (item.chars > item.preview.length ? "…" : "") })),
    h("td", { "data-label": "Length", class: "small", text: `${item.chars.toLocaleString("en")} chars` }),
    h("td", { "data-label": "Updated" }, timeNode(item.updated)));
}

async function page(collection, append) {
  const url = path(collection, "items");
  const pattern = $("#pattern").value.trim();
  if (pattern) url.searchParams.set("key", pattern);
  if (append && state.cursor) url.searchParams.set("cursor", state.cursor);
  try {
    const { items, cursor } = await get(url);
    state.cursor = cursor;
    let body = $("#items tbody");
    if (!append || !body) {
      body = h("tbody");
      replace($("#items"), items.length
        ? h("div", { class: "table-wrap" }, h("table", { class: "messages items" },
          h("thead", {}, h("tr", {}, ...["Key", "Value", "Length", "Updated"].map((t) => h("th", { text: t })))), body))
        : h("p", { class: "empty", text: pattern ? `No key matches ${pattern}.` : "This collection is empty." }));
    }
    body.append(...items.map((item) => itemRow(collection, item)));
    $("#more").hidden = !cursor;
  } catch (error) {
    fail(error);
  }
}

function search(collection) {
  const pattern = $("#pattern").value.trim();
  const query = new URLSearchParams({ project: collection.project, name: collection.name, ...(pattern ? { key: pattern } : {}) });
  history.replaceState(null, "", `collections?${query}`);
  $("#delete-matching").hidden = !(collection.may_delete && pattern);
  replace($("#value"));
  return page(collection, false);
}

function browse(collection, pattern = "") {
  state.open = collection;
  state.cursor = null;
  $("#browser").hidden = false;
  replace($("#browse-title"), `${collection.project} / ${collection.name}`);
  $("#pattern").value = pattern;
  return search(collection);
}

$("#search").addEventListener("submit", (event) => { event.preventDefault(); if (state.open) search(state.open); });
$("#more").addEventListener("click", () => state.open && page(state.open, true));
$("#delete-matching").addEventListener("click", () => {
  const collection = state.open;
  const pattern = $("#pattern").value.trim();
  const url = path(collection, "items");
  url.searchParams.set("key", pattern);
  confirmAndDelete(`Delete every item of ${collection.name} whose key matches ${pattern}?`, url, async () => { await search(collection); await load(); });
});

const collections = await load();
const wanted = new URLSearchParams(window.location.search);
const chosen = collections.find((c) => c.project === wanted.get("project") && c.name === wanted.get("name"));
if (chosen) browse(chosen, wanted.get("key") || "");
