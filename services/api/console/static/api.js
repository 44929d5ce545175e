// The public API, from the page's own origin: the console is served at /ui/ by the API itself,
// so "../" is the API's root wherever it is mounted (a stage prefix included).

const ROOT = new URL("../", document.baseURI);
const WAIT_SECONDS = 10;
const HELD_LIMIT = 200;

// Names in paths are percent-encoded once, or twice behind an API Gateway HTTP API, which
// decodes the path once before the function sees it (services/api/raw_path.py). The API's
// path probe says which (services/api/console/__init__.py).
let encodings = 1;

// The key the user pasted, asked for at each request: reads send it too, for an API whose
// reads need one (LISTMGR_API_READS_NEED_KEY).
let currentKey = () => "";

export function useKey(key) {
  currentKey = key;
}

// Answers already read, by URL: the ETag to send as If-None-Match and the body it names. The
// API sends Cache-Control: no-store, so the page is the one that keeps them.
const held = new Map();

// A JSON number a double cannot hold exactly (the API's numbers have up to 38 digits): its
// arithmetic uses the nearest double, its display and JSON the digits the API sent.
export class ExactNumber {
  constructor(value, text) {
    this.value = value;
    this.text = text;
  }

  valueOf() {
    return this.value;
  }

  toString() {
    return this.text;
  }

  toJSON() {
    return JSON.rawJSON(this.text);
  }
}

function exactNumbers(_key, value, context) {
  if (typeof value !== "number" || !context || context.source === undefined) return value;
  return String(value) === context.source ? value : new ExactNumber(value, context.source);
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = body && typeof body === "object" && body.error ? body.error : {};
    super(error.message || `the API answered ${status}`);
    this.status = status;
    this.code = error.code || String(status);
  }
}

export async function calibrate() {
  const answer = await request("GET", "ui/path-probe/%2541");
  encodings = answer.body && answer.body.name === "A" ? 2 : 1;
}

// A path from names: each one percent-encoded as the API in front of us needs.
export function path(...names) {
  return names
    .map((name) => {
      let encoded = String(name);
      for (let i = 0; i < encodings; i += 1) encoded = encodeURIComponent(encoded);
      return encoded;
    })
    .join("/");
}

// A read. `changed` is false when the API answered 304: the body is the one held.
export async function read(relative) {
  const url = new URL(relative, ROOT).href;
  const known = held.get(url);
  const headers = known ? { "If-None-Match": known.etag } : {};
  const key = currentKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  const answer = await request("GET", url, { headers });
  if (answer.status === 304 && known) return { status: 200, body: known.body, changed: false };
  const etag = answer.headers.get("ETag");
  if (answer.status === 200 && etag) {
    if (held.size >= HELD_LIMIT) held.clear();
    held.set(url, { etag, body: answer.body });
  } else {
    held.delete(url);
  }
  return { status: answer.status, body: answer.body, changed: true };
}

// A read that must succeed: its body, or an ApiError.
export async function readOk(relative) {
  const answer = await read(relative);
  if (answer.status !== 200) throw new ApiError(answer.status, answer.body);
  return answer;
}

// A write with the key the user gave, waiting for its outcome (Prefer: wait): 200 with the
// lists as they are now, 422 with the listener's reason, or 202 if the wait ran out first.
// `body` is the request's JSON text, sent as written (numbers keep every digit typed).
export async function write(method, relative, key, body) {
  const headers = {
    Authorization: `Bearer ${key}`,
    Prefer: `wait=${WAIT_SECONDS}`,
    "Idempotency-Key": crypto.randomUUID(),
  };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return request(method, new URL(relative, ROOT).href, { headers, body });
}

// Any request to this origin: the status, headers and JSON body (null if there is none).
export async function request(method, relative, { headers = {}, body } = {}) {
  const response = await fetch(new URL(relative, ROOT), {
    method,
    headers: { Accept: "application/json", ...headers },
    body,
    cache: "no-store",
    credentials: "omit",
  });
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text, exactNumbers);
    } catch {
      parsed = { error: { code: "not_json", message: `the answer (${response.status}) is not JSON` } };
    }
  }
  return { status: response.status, headers: response.headers, body: parsed };
}
