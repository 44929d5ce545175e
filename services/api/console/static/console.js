// The console's lists and writes (docs/console.md). Everything shown comes from the public API
// and follows it while the page is open: every few seconds the page asks again with
// If-None-Match (services/api/conditional.py), so a list nobody changed costs a 304 and no
// redrawing. Under `listmgr up`, local.js adds the stack's own views.

import { ApiError, calibrate, path, read, readOk, useKey, write } from "./api.js";
import { CHART_LIMIT, barChart } from "./chart.js";
import { byId, el, keepingFocus, number, show, time } from "./dom.js";
import { startLocal } from "./local.js";

const PAGE = 50;
const POLL_DEPLOYED_MS = 5000;
const POLL_LOCAL_MS = 1500;

const state = {
  title: null,
  user: null,
  titles: { cursors: [null], pages: [] },
  users: { cursors: [null], pages: [] },
  history: { cursors: [null], pages: [] },
  missing: false,
  polling: false,
};

// An event handler whose failure is shown, not left as an unhandled rejection.
function guarded(handler) {
  return async (event) => {
    try {
      await handler(event);
    } catch (error) {
      trouble(error);
    }
  };
}

function trouble(error) {
  if (error instanceof ApiError) connection(`the API refused: ${error.message}`, "bad");
  else connection(`the API did not answer (${error.message}); trying again`, "bad");
}

// -- titles ---------------------------------------------------------------------------------

function pageQuery(base, cursor) {
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (cursor) query.set("cursor", cursor);
  return `${base}?${query}`;
}

// Reads every page the user has opened of a listing; true if any of them changed.
async function refreshPages(listing, base) {
  let changed = false;
  const pages = [];
  for (const cursor of listing.cursors) {
    const answer = await readOk(pageQuery(base, cursor));
    changed = changed || answer.changed;
    pages.push(answer.body);
  }
  listing.pages = pages;
  return changed || pages.length !== listing.cursors.length;
}

// A listing under the open title: none when the title is gone (404).
async function refreshOfTitle(listing, what) {
  try {
    return await refreshPages(listing, `lists/${path(state.title)}/${what}`);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    listing.pages = [];
    return true;
  }
}

function itemsOf(listing) {
  return listing.pages.flatMap((page) => page.items);
}

function nextOf(listing) {
  const last = listing.pages[listing.pages.length - 1];
  return last ? last.next : null;
}

async function refreshTitles(force = false) {
  if ((await refreshPages(state.titles, "lists")) || force) renderTitles();
}

function renderTitles() {
  const wanted = byId("find").value.trim().toLowerCase();
  const items = itemsOf(state.titles).filter((item) => item.title.toLowerCase().includes(wanted));
  const list = byId("titles");
  names(list, items.map((item) => [item.title, ` ${item.type} · ${users(item.users)}`]), state.title, openTitle);
  if (!items.length) list.append(el("li", { class: "meta" }, wanted ? "no loaded title matches" : "no lists yet"));
  byId("more-titles").hidden = !nextOf(state.titles);
}

// A list of names, each a button opening it, the open one marked; `named`: [name, about] pairs.
function names(list, named, current, open) {
  keepingFocus(list, () =>
    show(
      list,
      named.map(([name, about]) =>
        el(
          "li",
          {},
          el(
            "button",
            { type: "button", class: "link", "aria-current": name === current ? "true" : false, click: guarded(() => open(name)) },
            name,
          ),
          el("span", { class: "meta" }, about),
        ),
      ),
    ),
  );
}

function users(count) {
  return `${number(count)} ${count === 1 ? "user" : "users"}`;
}

// -- one list -------------------------------------------------------------------------------

async function openTitle(title) {
  state.title = title;
  state.user = null;
  state.users = { cursors: [null], pages: [] };
  state.history = { cursors: [null], pages: [] };
  byId("list-section").hidden = false;
  show(byId("list-heading"), title);
  byId("user-section").hidden = true;
  fillWriteForms(title, null);
  renderTitles();
  await refreshList(true);
  byId("list-heading").focus();
}

async function refreshList(force = false) {
  const title = state.title;
  if (title === null) return;
  const answer = await read(`lists/${path(title)}`);
  if (title !== state.title) return; // another list was opened meanwhile
  const missing = answer.status === 404;
  if (missing && state.missing && !force) return;
  state.missing = missing;
  if (missing) {
    renderMissing(answer.body);
  } else if (answer.status !== 200) {
    throw new ApiError(answer.status, answer.body);
  } else if (answer.changed || force) {
    renderAggregate(answer.body);
    if (force) byId("submit-type").value = answer.body.type;
  } else {
    return; // unchanged: so are its users and history
  }
  await refreshUsers(true);
  await refreshHistory(true);
  await refreshUser();
}

function renderMissing(body) {
  show(byId("list-summary"), new ApiError(404, body).message);
  show(byId("chart-area"));
  show(byId("aggregate-table"));
}

function renderAggregate(aggregate) {
  const rank = aggregate.type === "rank";
  show(
    byId("list-summary"),
    `${aggregate.type} list · ${users(aggregate.users)} · updated ${time(aggregate.updatedAt)}`,
  );
  const keys = rank
    ? aggregate.ranking
    : Object.keys(aggregate.entries).sort((a, b) => aggregate.entries[b] - aggregate.entries[a] || (a < b ? -1 : 1));
  const mean = (key) => aggregate.entries[key] / aggregate.counts[key];
  const bars = keys.map((key) => {
    const value = rank ? mean(key) : aggregate.entries[key];
    return { label: key, value, figure: rank ? meanRank(value) : number(value) };
  });
  const what = rank ? "mean rank of each key, best first (lower is better)" : "total of each key";
  const more = keys.length > CHART_LIMIT ? `; the first ${CHART_LIMIT} of ${keys.length} shown, the table has all` : "";
  show(byId("chart-area"), el("figure", {}, barChart(bars, what), el("figcaption", {}, `${what}${more}`)));
  const head = rank
    ? ["#", "key", "mean rank", "users ranking it", "sum of ranks"]
    : ["key", "total"];
  const rows = keys.map((key, index) =>
    rank
      ? [String(index + 1), key, meanRank(mean(key)), number(aggregate.counts[key]), number(aggregate.entries[key])]
      : [key, number(aggregate.entries[key])],
  );
  show(byId("aggregate-table"), table(rank ? "the ranking" : "the totals", head, rows));
}

function meanRank(value) {
  return value.toLocaleString(undefined, { maximumFractionDigits: 2 });
}

function table(caption, head, rows) {
  return el(
    "table",
    {},
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, head.map((name) => el("th", { scope: "col" }, name)))),
    el("tbody", {}, rows.map((row) => el("tr", {}, row.map((cell) => el("td", {}, cell))))),
  );
}

async function refreshUsers(force = false) {
  const changed = await refreshOfTitle(state.users, "users");
  if (!changed && !force) return;
  const items = itemsOf(state.users);
  const list = byId("users");
  names(list, items.map((item) => [item.user, ` updated ${time(item.updatedAt)}`]), state.user, openUser);
  if (!items.length) list.append(el("li", { class: "meta" }, "nobody has this list now"));
  byId("more-users").hidden = !nextOf(state.users);
}

async function openUser(user) {
  state.user = user;
  fillWriteForms(state.title, user);
  await refreshUsers(true);
  await refreshUser(true);
  byId("user-heading").focus();
}

async function refreshUser(force = false) {
  if (state.user === null) return;
  const { title, user } = state;
  const answer = await read(`lists/${path(title)}/users/${path(user)}`);
  if (title !== state.title || user !== state.user || (!answer.changed && !force)) return;
  byId("user-section").hidden = false;
  show(byId("user-heading"), `${user}'s list`);
  if (answer.status !== 200) {
    show(byId("user-list"), el("p", {}, new ApiError(answer.status, answer.body).message));
    return;
  }
  const list = answer.body;
  const keys = Object.keys(list.entries).sort((a, b) =>
    list.type === "rank" ? list.entries[a] - list.entries[b] : a < b ? -1 : 1,
  );
  show(
    byId("user-list"),
    el("p", { class: "meta" }, `${list.type} list · updated ${time(list.updatedAt)}`),
    table(`${user}'s entries`, ["key", list.type === "rank" ? "rank" : "value"], keys.map((key) => [key, number(list.entries[key])])),
  );
}

async function refreshHistory(force = false) {
  const changed = await refreshOfTitle(state.history, "history");
  if (!changed && !force) return;
  const items = itemsOf(state.history);
  show(
    byId("history"),
    items.map((item) =>
      el(
        "li",
        {},
        el("span", { class: "meta" }, `${time(item.timestamp)} `),
        el("strong", {}, item.user),
        item.event === "list-delete-submitted" ? " deleted their list" : ` submitted ${JSON.stringify(item.entries)}`,
      ),
    ),
  );
  byId("more-history").hidden = !nextOf(state.history);
}

async function more(listing, refresh) {
  const next = nextOf(listing);
  if (!next) return;
  listing.cursors.push(next);
  await refresh(true);
}

// -- writes ---------------------------------------------------------------------------------

function fillWriteForms(title, user) {
  for (const id of ["submit-title", "delete-title"]) byId(id).value = title ?? "";
  if (user !== null) for (const id of ["submit-user", "delete-user"]) byId(id).value = user;
}

function apiKey() {
  // Held by the input alone, in this page's memory: never stored, never in the URL.
  const key = byId("api-key").value.trim();
  if (!key) {
    say("paste an API key first (listmgr up prints one)", "bad");
    byId("api-key").focus();
  }
  return key;
}

function say(message, tone) {
  const outcome = byId("write-outcome");
  outcome.className = tone;
  show(outcome, message);
}

async function submitList(event) {
  event.preventDefault();
  const title = byId("submit-title").value;
  const user = byId("submit-user").value;
  const entries = byId("submit-entries").value.trim();
  let parsed;
  try {
    parsed = JSON.parse(entries);
  } catch {
    parsed = null;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    say('entries are a JSON object, such as {"xp": 25} or {"alien": 1, "blade runner": 2}', "bad");
    byId("submit-entries").focus();
    return;
  }
  const key = apiKey();
  if (!key) return;
  // The entries go as typed: JSON.parse would round a number with more digits than a double.
  const body = `{"title": ${JSON.stringify(title)}, "user": ${JSON.stringify(user)}, "type": ${JSON.stringify(byId("submit-type").value)}, "entries": ${entries}}`;
  await sendWrite(byId("submit-button"), title, user, () => write("POST", "lists", key, body));
}

async function deleteList(event) {
  event.preventDefault();
  const title = byId("delete-title").value;
  const user = byId("delete-user").value;
  const key = apiKey();
  if (!key) return;
  await sendWrite(byId("delete-button"), title, user, () =>
    write("DELETE", `lists/${path(title)}/users/${path(user)}`, key),
  );
}

async function sendWrite(button, title, user, send) {
  button.disabled = true;
  say(`sending; waiting for the listener's outcome…`, "");
  try {
    const answer = await send();
    describeWrite(answer, title, user);
    if (answer.status === 200) {
      if (state.title !== title) await openTitle(title);
      else await refreshList(true);
      await refreshTitles(true);
    }
  } catch (error) {
    say(`the API did not answer (${error.message})`, "bad");
  } finally {
    button.disabled = false;
  }
}

function describeWrite(answer, title, user) {
  const which = `${title} / ${user}`;
  const body = answer.body || {};
  if (answer.status === 200) {
    const verbs = { applied: "applied", deleted: "deleted", superseded: "superseded: a newer change already holds" };
    say(`${verbs[body.status] || body.status}: ${which}`, "ok");
  } else if (answer.status === 422 && body.error && body.error.code === "rejected") {
    say(`rejected by the listener: ${body.error.message}`, "bad");
  } else if (answer.status === 202) {
    say(`accepted (${body.id}); the listener has not decided yet: the lists will show it once it has`, "");
  } else {
    const error = new ApiError(answer.status, answer.body);
    say(`refused (${answer.status} ${error.code}): ${error.message}`, "bad");
  }
}

// -- polling --------------------------------------------------------------------------------

function connection(message, tone) {
  const status = byId("connection");
  status.className = tone;
  show(status, message);
}

async function tick() {
  if (state.polling || document.hidden) return;
  state.polling = true;
  try {
    await refreshTitles();
    await refreshList();
    connection(`following the API · checked ${new Date().toLocaleTimeString()}`, "ok");
  } catch (error) {
    trouble(error);
  } finally {
    state.polling = false;
  }
}

async function findTitle(event) {
  event.preventDefault();
  const wanted = byId("find").value;
  const exact = itemsOf(state.titles).find((item) => item.title === wanted);
  const only = itemsOf(state.titles).filter((item) => item.title.toLowerCase().includes(wanted.trim().toLowerCase()));
  if (exact || only.length === 1) {
    await openTitle((exact || only[0]).title);
  } else if (wanted) {
    await openTitle(wanted); // not loaded yet, or not there: the API says which
  }
}

async function start() {
  useKey(() => byId("api-key").value.trim());
  byId("find-form").addEventListener("submit", guarded(findTitle));
  byId("find").addEventListener("input", renderTitles);
  byId("more-titles").addEventListener("click", guarded(() => more(state.titles, refreshTitles)));
  byId("more-users").addEventListener("click", guarded(() => more(state.users, refreshUsers)));
  byId("more-history").addEventListener("click", guarded(() => more(state.history, refreshHistory)));
  byId("submit-form").addEventListener("submit", guarded(submitList));
  byId("delete-form").addEventListener("submit", guarded(deleteList));
  try {
    await calibrate();
  } catch (error) {
    connection(`the API did not answer (${error.message})`, "bad");
  }
  const local = await startLocal();
  await tick();
  setInterval(tick, local ? POLL_LOCAL_MS : POLL_DEPLOYED_MS);
  document.addEventListener("visibilitychange", tick);
}

start();
