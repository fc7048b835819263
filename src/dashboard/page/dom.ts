// Builds DOM nodes from text only (never innerHTML), so target names, reasons and error messages from
// the API cannot inject markup into the page.

type Child = Node | string | number | null | undefined | false;

/** Creates an element with attributes and children; `class` sets className, `on*` are not accepted. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Readonly<Record<string, string>> | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (name.startsWith('on')) throw new Error(`event handler attribute ${name} is not allowed; use addEventListener`);
    if (name === 'class') element.className = value;
    else element.setAttribute(name, value);
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A compact table in a box that scrolls sideways, so a wide table stays readable on a phone. */
export function scrollingTable(attributes: Readonly<Record<string, string>> | null, headerRow: HTMLTableRowElement, rows: readonly HTMLTableRowElement[]): HTMLDivElement {
  return el('div', { class: 'table-scroll' }, el('table', { ...attributes, class: 'compact' }, el('thead', null, headerRow), el('tbody', null, ...rows)));
}
