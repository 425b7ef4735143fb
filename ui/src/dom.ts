// A tiny element builder: text always goes in as text, never as markup.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      el.className = String(value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** A labelled form field. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, label), control, hint ? h("span", { class: "hint" }, hint) : null);
}

/** A list row that can be updated in place. */
export interface Row<T> {
  el: HTMLElement;
  update: (item: T) => void;
}

const rowsOf = new WeakMap<Element, Map<string, Row<unknown>>>();

/**
 * Keeps `parent`'s rows in the order of `items`, one row per key. A row whose
 * key is still there is updated in place, so its buttons and inputs are the
 * same elements before and after a live update (a click the user is making
 * is never lost to a re-render); new keys get a new row, gone keys are
 * removed. Elements of `parent` that are not rows (a dialog row opened under
 * one) are left where they are.
 */
export function keyedRows<T>(parent: Element, items: T[], key: (item: T) => string, create: (item: T) => Row<T>): void {
  let rows = rowsOf.get(parent) as Map<string, Row<T>> | undefined;
  if (!rows) {
    rows = new Map();
    rowsOf.set(parent, rows as Map<string, Row<unknown>>);
  }
  const seen = new Set<string>();
  const tracked = new Set<Element>([...rows.values()].map((r) => r.el));
  let anchor: Element | null = null;
  for (const item of items) {
    const k = key(item);
    seen.add(k);
    let row = rows.get(k);
    if (row) {
      row.update(item);
    } else {
      row = create(item);
      row.update(item);
      rows.set(k, row);
      tracked.add(row.el);
    }
    let pos: Element | null = anchor ? anchor.nextElementSibling : parent.firstElementChild;
    while (pos && !tracked.has(pos)) pos = pos.nextElementSibling;
    if (pos !== row.el) parent.insertBefore(row.el, pos);
    anchor = row.el;
  }
  for (const [k, row] of rows) {
    if (!seen.has(k)) {
      row.el.remove();
      rows.delete(k);
    }
  }
}

/** Sets the children of `el` only when its text would change (keeps the DOM still). */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** A bar `pct` percent full. The width goes through the CSSOM: the CSP
 * (style-src 'self') blocks style attributes, so `style="width:…"` never applied. */
export function setWidth(el: HTMLElement, pct: number): void {
  el.style.width = `${Math.max(0, Math.min(100, pct))}%`;
}
