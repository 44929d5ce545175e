// Building the page from data without ever parsing data as markup: every name, title, key and
// message becomes a Text node (append), never HTML. No file of the console sets markup from a
// string or evaluates one (tests/unit/test_console.py looks), and the Content-Security-Policy
// forbids inline script and eval besides.

const SVG = "http://www.w3.org/2000/svg";

// An element with attributes and children; strings and numbers among the children are text.
// Attributes come from the console's code: data goes into children, never into a URL.
export function el(tag, attributes = {}, ...children) {
  return fill(document.createElement(tag), attributes, children);
}

export function svg(tag, attributes = {}, ...children) {
  return fill(document.createElementNS(SVG, tag), attributes, children);
}

function fill(node, attributes, children) {
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === "function") {
      node.addEventListener(name, value);
    } else if (value === true) {
      node.setAttribute(name, "");
    } else if (value !== false && value !== null && value !== undefined) {
      node.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// Replaces every child of `node`.
export function show(node, ...children) {
  node.replaceChildren();
  return fill(node, {}, children);
}

// Renders `container` again, keeping the keyboard's focus on the button of the same name.
export function keepingFocus(container, render) {
  const active = document.activeElement;
  const focused = active && container.contains(active) ? active.textContent : null;
  render();
  if (focused === null) return;
  const same = Array.from(container.querySelectorAll("button")).find((button) => button.textContent === focused);
  if (same) same.focus();
}

export function byId(id) {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`the page has no #${id}`);
  return node;
}

export function time(epochMs) {
  if (typeof epochMs !== "number") return "";
  return new Date(epochMs).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

// A number as the API sent it, grouped for reading; one a double cannot hold (api.js's
// ExactNumber) in the API's own digits.
export function number(value) {
  if (typeof value === "number") return value.toLocaleString(undefined, { maximumFractionDigits: 20 });
  return value === null || value === undefined ? "" : String(value);
}
