// The Routes screen: preview how a payment would travel with our own
// router, beside LND's answer, and pay along the chosen route; the node's
// neighbourhood as a picture with the best route drawn on it.

import { api } from "../api";
import type { Neighbourhood } from "../bindings/Neighbourhood";
import type { PreviewRoute } from "../bindings/PreviewRoute";
import type { RoutePreview } from "../bindings/RoutePreview";
import { field, h } from "../dom";
import { msat } from "../format";
import { action, badRequest, num, reloadNodeView, view } from "./screen";

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const name = (alias: string | null, key: string) => alias || `${key.slice(0, 10)}…`;

/** Our node in the middle, peers on the first ring, their best-connected peers outside. */
function picture(hood: Neighbourhood, route: PreviewRoute | null): SVGSVGElement {
  const W = 560, H = 420, cx = W / 2, cy = H / 2;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "hood", role: "img", "aria-label": "Our node's neighbourhood in the channel graph", "data-testid": "hood" });
  const pos: [number, number][] = [];
  const rings: number[][] = [[], [], []];
  hood.nodes.forEach((n, i) => rings[n.ring].push(i));
  rings.forEach((members, ring) => {
    const r = ring === 0 ? 0 : ring === 1 ? 105 : 185;
    members.forEach((i, k) => {
      // Rings start a little off the vertical; with two peers the first ring is
      // spaced as for three, so a channel between them does not run through us.
      const slots = ring === 1 ? Math.max(3, members.length) : Math.max(1, members.length);
      const a = (2 * Math.PI * k) / slots - Math.PI / 2 + (ring === 2 ? 0.45 : 0.25);
      pos[i] = [cx + r * Math.cos(a), cy + r * Math.sin(a)];
    });
  });
  const onRoute = new Set(route?.hops.map((hp) => hp.chan_id) ?? []);
  const routeKeys = new Set(route?.hops.flatMap((hp) => [hp.from, hp.to]) ?? []);
  const maxCap = Math.max(1, ...hood.edges.map((e) => e.capacity_sat));
  for (const e of hood.edges) {
    const [x1, y1] = pos[e.a];
    const [x2, y2] = pos[e.b];
    const hot = onRoute.has(e.chan_id);
    root.append(svg("line", { x1, y1, x2, y2, class: hot ? "edge hot" : "edge", "stroke-width": hot ? 3.5 : 0.6 + 2.4 * Math.sqrt(e.capacity_sat / maxCap) }));
  }
  hood.nodes.forEach((n, i) => {
    const [x, y] = pos[i];
    const rad = n.ring === 0 ? 16 : Math.min(13, 4 + Math.log2(1 + n.channels));
    const g = svg("g", { class: `node ring${n.ring}${routeKeys.has(n.key) ? " hot" : ""}` });
    g.append(svg("title", {}, `${name(n.alias, n.key)} · ${n.channels} channel${n.channels === 1 ? "" : "s"}`));
    g.append(svg("circle", { cx: x, cy: y, r: rad }));
    if (n.ring < 2 || routeKeys.has(n.key)) {
      // Outwards from the centre, so a label sits beside its node, not on its edges.
      const dx = x - cx, dy = y - cy, len = Math.hypot(dx, dy);
      const [ux, uy] = len < 1 ? [0, 1] : [dx / len, dy / len];
      const anchor = ux > 0.35 ? "start" : ux < -0.35 ? "end" : "middle";
      g.append(svg("text", { x: x + ux * (rad + 6), y: y + uy * (rad + 6) + (uy > 0.35 ? 9 : uy < -0.35 ? -3 : 4), "text-anchor": anchor }, name(n.alias, n.key)));
    }
    root.append(g);
  });
  if (hood.more) root.append(svg("text", { x: W - 8, y: H - 8, "text-anchor": "end", class: "more" }, `+${hood.more} more peers' peers`));
  return root;
}

function routeCard(title: string, r: PreviewRoute, testid: string, pay: HTMLElement | null, differs: boolean): HTMLElement {
  const rows = r.hops.map((hp, i) => h("tr", {},
    h("td", {}, String(i + 1)),
    h("td", {}, `${name(hp.from_alias, hp.from)} → ${name(hp.to_alias, hp.to)}`),
    h("td", {}, h("code", { title: `chan_id ${hp.chan_id}` }, hp.scid)),
    h("td", { class: "amount" }, msat(hp.amount_msat)),
    h("td", {}, i === 0 ? "— (ours)" : msat(hp.fee_msat)),
    h("td", {}, i === 0 ? "—" : `+${hp.cltv_delta}`),
    h("td", {}, hp.probability > 0 ? `${Math.round(hp.probability * 100)}%` : "—")));
  return h("div", { class: `card route${differs ? " differs" : ""}`, "data-testid": testid },
    h("div", { class: "card-head" }, h("h3", {}, title),
      h("span", { class: "hint" }, `${r.hops.length} hop${r.hops.length === 1 ? "" : "s"} · time lock ${r.total_cltv || "?"} blocks · success ${r.probability > 0 ? `~${Math.round(r.probability * 100)}%` : "unknown"}`)),
    h("div", { class: "route-fee" }, h("span", { class: "stat-label" }, "Fee "), h("strong", { "data-testid": `${testid}-fee` }, msat(r.fee_msat)),
      h("span", { class: "hint" }, ` · sends ${msat(r.total_amount_msat)}`)),
    h("table", { class: "grid compact" }, h("thead", {}, h("tr", {}, ...["", "Hop", "Channel", "Amount", "Fee", "CLTV", "Success"].map((t) => h("th", {}, t)))), h("tbody", {}, ...rows)),
    pay);
}

function rebalanceCard(): HTMLElement {
  const out = h("select", { "data-testid": "rebal-out" });
  const inn = h("select", { "data-testid": "rebal-in" });
  const amount = h("input", { type: "text", inputmode: "numeric", placeholder: "e.g. 100000", "data-testid": "rebal-amount" });
  const maxFee = h("input", { type: "text", inputmode: "numeric", value: "10", "data-testid": "rebal-fee" });
  const plan = h("div", { "data-testid": "rebal-plan" });
  const result = h("p", { class: "hint", "data-testid": "rebal-result" });
  const fill = async () => {
    const list = await api.listChannels();
    const opts = list.channels.filter((c) => c.state === "active" && c.scid).map((c) =>
      h("option", { value: c.scid ?? "" }, `${c.peer_alias ?? c.peer_pubkey.slice(0, 10)} · ${c.scid} · ours ${c.local_sat.toLocaleString("en-US")} / theirs ${c.remote_sat.toLocaleString("en-US")} sats`));
    out.replaceChildren(...opts.map((o) => o.cloneNode(true)));
    inn.replaceChildren(...opts);
    if (inn.options.length > 1) inn.selectedIndex = 1;
  };
  const read = () => {
    const a = num(amount);
    const f = num(maxFee);
    if (a === null || Number.isNaN(a) || a <= 0) throw badRequest("Enter the amount to move, in sats.");
    if (f === null || Number.isNaN(f)) throw badRequest("Enter the most you will pay in fees, in sats.");
    return { out_channel: out.value, in_channel: inn.value, amount_sat: a, max_fee_sat: f };
  };
  const previewBtn = h("button", { class: "secondary", "data-testid": "rebal-preview" }, "Preview");
  const goBtn = h("button", { class: "primary", "data-testid": "rebal-go" }, "Rebalance");
  action(previewBtn, "Finding a route…", async () => {
    const r = await api.rebalance(read(), true);
    plan.replaceChildren(routeCard("Circular route", r.route, "rebal-route", null, false));
  });
  action(goBtn, "Moving…", async () => {
    const r = await api.rebalance(read(), false);
    plan.replaceChildren(routeCard("Circular route", r.route, "rebal-route", null, false));
    const p = r.payment;
    result.textContent = p?.succeeded ? `Moved ${Number(amount.value.replace(/\D/g, "")).toLocaleString("en-US")} sats for a fee of ${msat(p.fee_msat)}.` : (p?.failure ?? "The rebalance failed.");
    result.className = p?.succeeded ? "hint good" : "hint bad";
    await fill();
    reloadNodeView();
  });
  const card = h("details", { class: "card", "data-testid": "rebal-form" }, h("summary", {}, h("strong", {}, "Rebalance between your channels")),
    h("p", { class: "hint" }, "Pay yourself: out through one channel, round the network, back in through another. Your total stays the same minus the fee; the liquidity moves."),
    h("div", { class: "form-row halves" }, field("Out through", out), field("Back in through", inn)),
    h("div", { class: "form-row halves" }, field("Amount (sats)", amount), field("Most fee (sats)", maxFee)),
    h("div", { class: "inline" }, previewBtn, goBtn), plan, result);
  card.addEventListener("toggle", () => { if (card.open) void fill(); });
  return card;
}

export function routesView(): HTMLElement {
  const to = h("textarea", { rows: 2, placeholder: "lnbcrt… invoice, or a node key (02…/03…)", "data-testid": "route-to" });
  const amount = h("input", { type: "text", inputmode: "numeric", placeholder: "from the invoice", "data-testid": "route-amount" });
  const count = h("select", { "data-testid": "route-count" }, ...[1, 2, 3, 5].map((n) => h("option", { value: String(n), selected: n === 3 }, String(n))));
  const results = h("div", { "data-testid": "route-results" });
  const hoodBox = h("div", { class: "card" }, h("h3", {}, "Neighbourhood"), h("p", { class: "hint" }, "Loading the channel graph…"));
  let hood: Neighbourhood | null = null;
  let last: PreviewRoute | null = null;
  const drawHood = (route: PreviewRoute | null) => {
    if (!hood) return;
    hoodBox.replaceChildren(h("div", { class: "card-head" }, h("h3", {}, "Neighbourhood"),
      h("span", { class: "hint" }, `${hood.nodes.filter((n) => n.ring === 1).length} peers · best route in green`)), picture(hood, route));
  };
  const go = h("button", { class: "primary", "data-testid": "route-preview" }, "Preview routes");
  action(go, "Finding routes…", async () => {
    const a = num(amount);
    if (Number.isNaN(a)) throw badRequest("The amount must be a whole number of sats.");
    const p: RoutePreview = await api.previewRoute({ to: to.value.trim(), amount_sat: a, routes: Number(count.value), fee_limit_sat: null });
    show(p);
  });
  const show = (p: RoutePreview) => {
    const isInvoice = p.payment_hash !== null;
    const cards: HTMLElement[] = p.routes.map((r, i) => {
      const payOut = h("p", { class: "hint", "data-testid": `pay-route-${i + 1}-result` });
      const btn = h("button", { class: i === 0 ? "primary" : "secondary", "data-testid": `pay-route-${i + 1}`, disabled: !isInvoice,
        title: isInvoice ? "" : "Paying needs an invoice (a node key has no payment hash)." }, "Pay along this route");
      action(btn, "Paying…", async () => {
        // The fee shown on this card is the most we pay: if the graph changed
        // and the route now costs more, the core refuses and nothing is sent.
        const res = await api.payRoute(to.value.trim(), num(amount), r.hops.map((hp) => hp.chan_id), r.fee_msat);
        payOut.textContent = res.succeeded ? `Paid. Fee ${msat(res.fee_msat)}; proof of payment ${res.preimage?.slice(0, 16)}…` : (res.failure ?? "The payment failed.");
        payOut.className = res.succeeded ? "hint good" : "hint bad";
        reloadNodeView();
      });
      const lndPath = p.lnd?.hops.map((hp) => hp.chan_id).join(",");
      const differs = i === 0 && lndPath !== undefined && lndPath !== r.hops.map((hp) => hp.chan_id).join(",");
      return routeCard(i === 0 ? "Ours: best" : `Ours: alternative ${i}`, r, `route-${i + 1}`, h("div", { class: "inline" }, btn, payOut), differs);
    });
    const lnd = p.lnd ? routeCard("LND's QueryRoutes", p.lnd, "route-lnd", null, false)
      : h("div", { class: "card" }, h("h3", {}, "LND's QueryRoutes"), h("p", { class: "hint bad" }, p.lnd_error ?? "No answer."));
    results.replaceChildren(
      h("div", { class: "card" }, h("div", { class: "card-head" },
        h("h3", {}, `To ${p.destination_alias ?? `${p.destination.slice(0, 16)}…`} · ${msat(p.amount_msat)}`),
        h("span", { class: "hint", "data-testid": "route-graph" }, `graph: ${p.graph_nodes.toLocaleString()} nodes, ${p.graph_channels.toLocaleString()} channels`
          + (p.hint_channels ? ` · ${p.hint_channels} private from the invoice` : ""))),
        p.error ? h("p", { class: "hint bad", "data-testid": "route-error" }, `Our router: ${p.error}`) : null,
        p.differences.length ? h("ul", { class: "differences", "data-testid": "route-differences" }, ...p.differences.map((d) => h("li", {}, d))) : null),
      h("div", { class: "columns even" }, h("div", {}, ...cards.slice(0, 1)), lnd),
      ...cards.slice(1));
    last = p.routes[0] ?? null;
    drawHood(last);
  };
  const form = h("div", { class: "card" }, field("Pay to", to, "An invoice (its amount, payment hash and final time lock are used), or a node key with an amount."),
    h("div", { class: "form-row" }, field("Amount (sats)", amount), field("Routes", count)), h("div", { class: "inline" }, go));
  return view("routes", "Routes", "See which way a payment would go and what it costs, with our router beside LND's; pay along the route you choose.", [h("div", { class: "columns" }, form, hoodBox), results, rebalanceCard()], async () => {
    hood = await api.graphNeighbourhood();
    drawHood(last);
  });
}
