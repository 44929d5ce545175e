// The views only a running `listmgr up` has, from its local endpoints under /local/
// (listmgr/cli/console_server.py): the events on the stream, the mappings, the failure queue.
// Deployed, /local/status does not answer and none of this is shown.

import { request } from "./api.js";
import { byId, el, keepingFocus, number, show, time } from "./dom.js";

const EVENTS_MS = 1000;
const MAPPINGS_MS = 2000;
const FAILURES_MS = 3000;
const EVENTS_SHOWN = 100;

const events = { after: 0, pattern: "*", shown: [] };
const busy = new Set();

// Shows the local views if the stack has them; true if it does.
export async function startLocal() {
  let answer;
  try {
    answer = await request("GET", "local/status");
  } catch {
    return false;
  }
  if (answer.status !== 200 || !answer.body || !("stream" in answer.body)) return false;
  byId("local-section").hidden = false;
  byId("events-form").addEventListener("submit", filterEvents);
  byId("redrive-all").addEventListener("click", () => redrive(null));
  every(EVENTS_MS, "events", refreshEvents);
  every(MAPPINGS_MS, "mappings", refreshMappings);
  every(FAILURES_MS, "failures", refreshFailures);
  return true;
}

// Runs `refresh` now and every `ms`, never two at once, not while the page is hidden.
function every(ms, name, refresh) {
  const run = async () => {
    if (busy.has(name) || document.hidden) return;
    busy.add(name);
    try {
      await refresh();
    } catch (error) {
      show(byId(`${name}-status`), `the stack did not answer (${error.message})`);
    } finally {
      busy.delete(name);
    }
  };
  run();
  setInterval(run, ms);
}

async function local(method, path, body) {
  const headers = body === undefined ? {} : { "Content-Type": "application/json" };
  const answer = await request(method, `local/${path}`, {
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (answer.status !== 200) {
    const error = answer.body && answer.body.error ? answer.body.error.message : `answered ${answer.status}`;
    throw new Error(error);
  }
  return answer.body;
}

// -- events ---------------------------------------------------------------------------------

function filterEvents(event) {
  event.preventDefault();
  events.pattern = byId("event-type").value.trim() || "*";
  events.after = 0;
  events.shown = [];
  show(byId("events"));
}

async function refreshEvents() {
  const pattern = events.pattern;
  const query = new URLSearchParams({ after: String(events.after), type: pattern });
  const page = await local("GET", `events?${query}`);
  if (pattern !== events.pattern) return; // the filter changed meanwhile
  if (page.last < events.after) {
    // The stack restarted and numbers its events from 1 again: start over.
    events.after = 0;
    events.shown = [];
    return;
  }
  events.after = page.last;
  show(byId("events-status"), page.error || `${number(page.last)} events read from the stream; showing ${pattern}`);
  if (!page.events.length) return;
  events.shown = [...page.events.reverse(), ...events.shown].slice(0, EVENTS_SHOWN);
  show(byId("events"), events.shown.map(eventItem));
}

function eventItem({ n, event }) {
  const entity = event.list || event.update || event.fault || {};
  const names = [entity.title, entity.user].filter((name) => typeof name === "string").join(" / ");
  const reason = event.fault && event.fault.reason ? ` ${event.fault.reason}` : "";
  return el(
    "li",
    { class: event.type === "fault" ? "fault" : "" },
    el(
      "details",
      {},
      el(
        "summary",
        {},
        el("span", { class: "meta" }, `#${n} ${time(event.timestamp)} `),
        el("strong", {}, event.type),
        names ? ` ${names}` : "",
        reason,
      ),
      el("pre", {}, JSON.stringify(event, null, 2)),
    ),
  );
}

// -- mappings -------------------------------------------------------------------------------

async function refreshMappings() {
  const { mappings } = await local("GET", "mappings");
  show(byId("mappings-status"), `${mappings.length} event source mappings`);
  show(byId("mappings"), mappings.map(mappingView));
}

function mappingView(mapping) {
  const figures = [
    ["records", mapping.delivered],
    ["batches", mapping.batches],
    ["failed batches", mapping.failedBatches],
    ["retries", mapping.retries],
    ["faults", mapping.faults ?? "–"],
    ["discarded", mapping.discarded],
    ["filtered out", mapping.filteredOut],
    ["in flight", mapping.inFlight],
    ["iterator age", mapping.iteratorAgeMs === null ? "–" : `${number(mapping.iteratorAgeMs)} ms`],
  ];
  return el(
    "article",
    { class: "mapping" },
    el("h4", {}, mapping.label, mapping.enabled ? "" : " (disabled)"),
    el("dl", { class: "figures" }, figures.map(([name, value]) => el("div", {}, el("dt", {}, name), el("dd", {}, typeof value === "number" ? number(value) : value)))),
    el(
      "div",
      { class: "scroll" },
      el(
        "table",
        {},
        el("caption", {}, "shards and their lanes"),
        el("thead", {}, el("tr", {}, ["shard", "read to", "checkpoint", "in flight", "waiting per lane"].map((name) => el("th", { scope: "col" }, name)))),
        el(
          "tbody",
          {},
          mapping.shards.map((shard) =>
            el(
              "tr",
              {},
              el("td", {}, shard.shardId),
              el("td", { class: "sequence" }, shard.readTo ?? "–"),
              el("td", { class: "sequence" }, shard.checkpoint ?? "–"),
              el("td", {}, number(shard.inFlight)),
              el("td", {}, shard.lanes.map((lane) => number(lane.waiting)).join(" · ")),
            ),
          ),
        ),
      ),
    ),
  );
}

// -- the failure queue ----------------------------------------------------------------------

async function refreshFailures() {
  let page;
  try {
    page = await local("GET", "failures");
  } catch (error) {
    show(byId("failures-status"), error.message);
    byId("redrive-all").hidden = true;
    return;
  }
  const count = page.messages.length;
  const unreadable = page.unreadable.length ? `; ${page.unreadable.length} messages are no failure records` : "";
  show(byId("failures-status"), `${count ? `${count} failed ${count === 1 ? "batch" : "batches"}` : "the failure queue is empty"}${unreadable}`);
  byId("redrive-all").hidden = count === 0;
  const list = byId("failures");
  keepingFocus(list, () => show(list, page.messages.map(failureItem)));
}

function failureItem(message) {
  const short = message.id.slice(0, 8);
  return el(
    "li",
    {},
    el("strong", {}, short),
    ` ${message.function} · ${message.source} ${message.shardId} ${message.startSequenceNumber}..${message.endSequenceNumber} · ${number(message.batchSize)} records · ${message.condition} · ${message.timestamp} `,
    el("button", { type: "button", "aria-label": `show ${short}`, click: () => showFailure(message.id) }, "Show"),
    " ",
    el("button", { type: "button", "aria-label": `re-drive ${short}`, click: () => redrive(message.id) }, "Re-drive"),
  );
}

async function showFailure(id) {
  const detail = byId("failure-detail");
  try {
    const shown = await local("GET", `failures/${encodeURIComponent(id)}`);
    const missing = shown.missing ? `\nnote: ${shown.missing}` : "";
    show(
      detail,
      el("h4", { tabindex: "-1" }, `failed batch ${id}`),
      el("pre", {}, JSON.stringify(shown.document, null, 2)),
      el("p", {}, `records (${shown.records.length} of ${shown.message.batchSize} on the stream):${missing}`),
      el("pre", { class: "records" }, shown.records.map((record) => JSON.stringify(record)).join("\n")),
    );
  } catch (error) {
    show(detail, el("p", {}, error.message));
  }
  detail.hidden = false;
}

async function redrive(id) {
  const outcome = byId("redrive-outcome");
  show(outcome, "re-driving…");
  try {
    const { results } = await local("POST", "failures/redrive", id === null ? {} : { id });
    show(
      outcome,
      results.length
        ? results.map((result) => el("span", { class: result.deleted ? "ok" : "bad" }, `${result.id.slice(0, 8)}: ${result.detail}`, el("br")))
        : "the failure queue is empty",
    );
  } catch (error) {
    show(outcome, `re-drive failed: ${error.message}`);
  }
  await refreshFailures();
}
