"use strict";
// delegsim serve: the page keeps the path (the schedule lines taken so
// far) and asks the server for the view of it at every change. Undo and
// redo move steps between the path and a redo stack; the URL always
// names the run and the path, so a link opens the same state.

const $ = id => document.getElementById(id);
const st = {
  run: {scenario: ""},
  steps: [],
  redo: [],
  compare: "",
  tour: null,      // the tour being followed, from the catalog
  catalog: null,
  view: null,
  busy: false,
};

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function banner(text, info) {
  const b = $("banner");
  b.hidden = !text;
  b.className = info ? "info" : "";
  b.textContent = text || "";
}

async function api(path, body) {
  const opts = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  const r = await fetch(path, opts);
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}

// ---- URL ----

function query() {
  const q = new URLSearchParams();
  const r = st.run;
  q.set("scenario", r.scenario);
  for (const k of ["policy", "profile", "seed", "max_delay"]) if (r[k]) q.set(k, r[k]);
  for (const s of r.sets || []) q.append("set", s);
  if (r.zero_min_delay) q.set("zero_min_delay", "1");
  if (st.steps.length) q.set("path", st.steps.join(";"));
  return q;
}

function pageQuery() {
  const q = query();
  if (st.compare) q.set("compare", st.compare);
  if (st.tour) q.set("tour", st.tour.id);
  return q;
}

function fromURL() {
  const q = new URLSearchParams(location.search);
  if (!q.get("scenario")) return false;
  st.run = {scenario: q.get("scenario"), policy: q.get("policy") || "", profile: q.get("profile") || "",
    seed: q.get("seed") || "", sets: q.getAll("set"), max_delay: q.get("max_delay") || "",
    zero_min_delay: q.get("zero_min_delay") === "1"};
  st.steps = q.get("path") ? q.get("path").split(";") : [];
  st.compare = q.get("compare") || "";
  const tour = q.get("tour");
  st.tour = st.catalog.tours.find(t => t.id === tour) || null;
  return true;
}

// ---- talking to the server ----

async function refresh(extra) {
  st.busy = true;
  $("status").textContent = "…";
  const req = Object.assign({run: st.run, steps: st.steps, compare: st.compare}, extra || {});
  try {
    const v = await api("api/path", req);
    st.view = v;
    st.run = v.run;
    st.steps = v.steps.map(s => s.text);
    if (v.diverged) {
      banner("Step " + (v.diverged.at + 1) + " of the path, \u201c" + v.diverged.step + "\u201d, cannot be taken here: " +
        v.diverged.reason + ". The path stops before it.");
    } else if (v.run.zero_min_delay) {
      banner("This path was recorded in the coarser model (its schedule has no min-delay line: delegsim explore --zero-min-delay), " +
        "where any message may arrive as soon as it is sent: it may show interleavings no run with the scenario's delays can have.", true);
    } else {
      banner("");
    }
    render(v);
    history.replaceState(null, "", "?" + pageQuery().toString());
    $("status").textContent = "";
  } catch (e) {
    banner(e.message);
    $("status").textContent = "";
  }
  st.busy = false;
}

function take(text) {
  if (st.busy) return;
  st.steps.push(text);
  st.redo = [];
  refresh();
}

// ---- rendering ----

function render(v) {
  syncControls();
  $("description").textContent = v.description || "";
  $("now").textContent = "at " + v.now;
  renderChoices(v);
  renderChecks($("checks"), v.checks);
  renderPath(v);
  const cmp = !!v.other;
  const main = $("col-main"), other = $("col-other");
  $("statebox").hidden = cmp;
  if (!cmp) renderState($("statebox"), v.state);
  for (const sel of [".colhead", ".verdict", ".state"]) main.querySelector(sel).hidden = !cmp;
  other.hidden = !cmp;
  renderDiagram(main.querySelector(".diagram"), v, v.steps.length - 1, cmp ? v.differs : -1);
  if (cmp) {
    renderColumn(main, v, "policy " + v.run.policy, -1);
    renderColumn(other, v.other, "policy " + v.other.run.policy +
      (v.differs >= 0 ? " — differs from step " + (v.differs + 1) + " on (rows in blue)" : " — the same at every step"), v.differs);
    syncScroll(main.querySelector(".diagram"), other.querySelector(".diagram"));
    main.querySelector(".colhead").title = other.querySelector(".colhead").title = "the two diagrams scroll sideways together";
  }
  renderTour();
}

// renderColumn fills one column of the side-by-side view.
function renderColumn(col, v, head, differs) {
  col.querySelector(".colhead").textContent = head;
  const verdict = col.querySelector(".verdict");
  verdict.replaceChildren();
  if (v.diverged) {
    verdict.appendChild(el("div", "Stops before step " + (v.diverged.at + 1) + ": " + v.diverged.reason, "bad"));
  }
  const ul = el("ul");
  renderChecks(ul, v.checks);
  verdict.appendChild(ul);
  renderState(col.querySelector(".state"), v.state);
  if (differs >= 0 || col.id === "col-other") renderDiagram(col.querySelector(".diagram"), v, v.steps.length - 1, differs);
}

// syncScroll keeps two diagrams scrolled alike.
function syncScroll(a, b) {
  a.onscroll = () => { b.scrollLeft = a.scrollLeft; };
  b.onscroll = () => { a.scrollLeft = b.scrollLeft; };
}

function syncControls() {
  const r = st.run;
  $("scenario").value = r.scenario;
  $("policy").value = r.policy;
  $("profile").value = r.profile;
  $("seed").value = r.seed;
  $("compare").value = st.compare;
  $("tour").value = st.tour ? st.tour.id : "";
  $("undo").disabled = st.steps.length === 0;
  $("redo").disabled = st.redo.length === 0;
  $("restart").disabled = st.steps.length === 0;
  $("walk").disabled = !st.view || st.view.ended;
  $("download").href = "api/schedule?" + query().toString();
  $("download").setAttribute("download", r.scenario + ".sched");
}

function tourNext() {
  const t = st.tour;
  if (!t || st.steps.length >= t.steps.length) return "";
  for (let i = 0; i < st.steps.length; i++) if (st.steps[i] !== t.steps[i]) return "";
  return t.steps[st.steps.length];
}

function onTourPath() {
  const t = st.tour;
  if (!t || st.steps.length > t.steps.length) return false;
  for (let i = 0; i < st.steps.length; i++) if (st.steps[i] !== t.steps[i]) return false;
  return true;
}

function renderChoices(v) {
  const ol = $("choices");
  ol.replaceChildren();
  const next = tourNext();
  for (const c of v.choices) {
    const li = el("li");
    const b = el("button", null, "kind-" + c.kind + (c.text === next ? " tournext" : ""));
    b.dataset.text = c.text;
    b.appendChild(el("span", c.label, "label"));
    b.appendChild(el("span", c.why, "why"));
    b.title = c.text + " (at " + c.at + ")";
    b.addEventListener("click", () => take(c.text));
    li.appendChild(b);
    ol.appendChild(li);
  }
  if (v.ended) {
    let msg = "The run has ended: nothing is in flight and no timer is due.";
    if (v.unfinished.length) msg = "The run has ended with scripts unfinished: " + v.unfinished.join(", ") + ".";
    ol.appendChild(el("li", msg, "ended"));
  }
}

function renderChecks(ul, ch) {
  ul.replaceChildren();
  for (const i of ch.invariants) {
    const li = el("li", null, i.ok ? "ok" : (i.finding ? "finding" : "bad"));
    li.appendChild(document.createTextNode(i.name + (i.ok ? "" : (i.finding ? ": finding (a known kernel behaviour)" : ": VIOLATED") +
      (i.step >= 0 ? " after step " + (i.step + 1) : " at the start"))));
    if (i.detail) li.appendChild(el("span", i.detail, "detail"));
    ul.appendChild(li);
  }
  for (const c of ch.consistency) {
    const bad = c.verdict === "violation";
    const li = el("li", null, bad ? (c.promised ? "bad" : "finding") : "ok");
    li.appendChild(document.createTextNode(c.model + ": " + c.verdict + (c.promised ? " (the policy promises it)" : " (not promised)") +
      " on the operations completed so far"));
    for (const d of c.detail || []) li.appendChild(el("span", d, "detail"));
    ul.appendChild(li);
  }
}

function badSteps(v) {
  const bad = new Set();
  for (const i of v.checks.invariants) if (!i.ok && !i.finding) bad.add(i.step);
  return bad;
}

function renderPath(v) {
  const ol = $("path");
  ol.replaceChildren();
  $("depth").textContent = v.steps.length + (v.steps.length === 1 ? " step" : " steps");
  const bad = badSteps(v);
  v.steps.forEach((s, i) => {
    const li = el("li", null, bad.has(i) ? "bad" : "");
    li.appendChild(el("span", s.text + " "));
    li.appendChild(el("span", s.note, "note"));
    li.title = "go back to just after this step";
    li.addEventListener("click", () => {
      const cut = st.steps.splice(i + 1);
      st.redo = cut.reverse().concat(st.redo);
      refresh();
    });
    ol.appendChild(li);
  });
}

// table builds a captioned table; the columns named in times hold times.
function table(title, cols, rows, times) {
  const t = el("table");
  t.appendChild(el("caption", title));
  const head = el("tr");
  for (const c of cols) head.appendChild(el("th", c));
  t.appendChild(head);
  for (const r of rows) {
    const tr = el("tr");
    r.forEach((x, i) => tr.appendChild(el("td", x, times && times.includes(i) ? "t" : "")));
    t.appendChild(tr);
  }
  if (rows.length === 0) {
    const tr = el("tr");
    const td = el("td", "none", "none");
    td.colSpan = cols.length;
    tr.appendChild(td);
    t.appendChild(tr);
  }
  return t;
}

function renderState(div, s) {
  div.replaceChildren();
  const deleg = table("nfsd delegations", ["stateid", "file", "holder", "type", "VFS lease", "state"],
    s.delegations.map(r => [r.stateid, r.file, r.holder, r.type, r.lease, r.state]));
  deleg.className = "delegations";
  div.appendChild(deleg);
  div.appendChild(table("VFS leases", ["file", "lease", "owner", "state"], s.leases.map(r => [r.file, r.type, r.owner, r.state])));
  div.appendChild(table("server files", ["file", "exists", "size", "change", "data"],
    s.files.map(r => [r.name, r.exists ? "yes" : "no", r.size, r.change, r.data])));
  div.appendChild(table("client caches", ["client", "file", "delegation", "dirty"],
    s.clients.map(r => [r.client, r.file, r.deleg, r.dirty ? "yes" : "no"])));
  const inflight = [];
  for (const c of s.channels) for (const m of c.msgs) inflight.push([c.name, m.label, m.ready, m.due]);
  const msgs = table("messages in flight", ["connection", "message", "arrives from", "arrives by"], inflight, [2, 3]);
  msgs.className = "inflight";
  div.appendChild(msgs);
  div.appendChild(table("armed timers", ["actor", "timer", "deadline", "what it does"], s.timers.map(t => [t.actor, t.timer, t.at, t.what]), [2]));
  if (s.waiters.length) div.appendChild(table("blocked on a lease break", ["waiter"], s.waiters.map(w => [w])));
  div.appendChild(table("actors", ["actor", "state"], s.actors.map(a => [a.name, a.state])));
  div.appendChild(table("operations completed", ["operation"], s.history.map(h => [h])));
}

function renderDiagram(div, v, last, differs) {
  div.innerHTML = v.svg; // built by the server's html/template: every text escaped
  // explain draws a message still in flight at the end of a story as
  // such; on a path that goes on, it is only on its way.
  for (const title of div.querySelectorAll("g.arrow.inflight title")) {
    title.textContent = title.textContent.replace(" (in flight at the end)", " (in flight)");
  }
  const bad = badSteps(v);
  const rows = new Set();
  for (const c of v.checks.consistency) if (c.verdict === "violation") for (const r of c.rows || []) rows.add(r);
  v.rows.forEach((r, i) => {
    const rect = div.querySelector('rect.row[data-i="' + i + '"]');
    if (!rect) return;
    if (r.step === last && last >= 0) rect.classList.add("last");
    if (differs >= 0 && r.step >= differs) rect.classList.add("differs");
    if (bad.has(r.step) || rows.has(i)) rect.classList.add("bad");
    rect.addEventListener("mouseenter", () => detail(r));
    rect.addEventListener("mouseleave", () => { $("detail").hidden = true; });
  });
}

function detail(r) {
  const d = $("detail");
  d.replaceChildren();
  d.appendChild(el("b", r.time + " · " + r.actor + (r.step >= 0 ? " · path step " + (r.step + 1) : " · start")));
  d.appendChild(el("div", r.what));
  if (r.why) d.appendChild(el("div", "why: " + r.why, "why"));
  const t = r.table;
  const s = el("div", null, "state");
  s.appendChild(table("nfsd delegations after it", ["stateid", "file", "holder", "type", "state"],
    (t.delegations || []).map(x => [x.stateid, x.file, x.holder, x.type, x.state])));
  d.appendChild(s);
  d.hidden = false;
}

function renderTour() {
  const bar = $("tourbar");
  const t = st.tour;
  bar.hidden = !t;
  if (!t) return;
  const on = onTourPath();
  $("tourtitle").textContent = "Tour: " + t.title;
  $("tourpos").textContent = on ? "step " + st.steps.length + " of " + t.steps.length : "(off the tour's path)";
  const n = st.steps.length;
  $("caption").textContent = !on ? "You have left the tour's path: explore freely, or go back to it." :
    (n === 0 ? t.about : (t.captions[n - 1] || "")) + (on && n === t.steps.length ? " — End of the tour." : "");
  $("tourback").disabled = !on || n === 0;
  $("tournext").disabled = !on || n === t.steps.length;
  $("tourrejoin").hidden = on;
}

// ---- controls ----

function setRun(run) {
  st.run = run;
  st.steps = [];
  st.redo = [];
  refresh();
}

function fill(select, names) {
  for (const n of names) {
    const o = el("option", n);
    o.value = n;
    select.appendChild(o);
  }
}

function wire() {
  $("scenario").addEventListener("change", e => { st.tour = null; setRun({scenario: e.target.value}); });
  $("policy").addEventListener("change", e => { st.run.policy = e.target.value; refresh(); });
  $("profile").addEventListener("change", e => { st.run.profile = e.target.value; refresh(); });
  $("seed").addEventListener("change", e => { st.run.seed = e.target.value.trim(); st.steps = []; st.redo = []; refresh(); });
  $("compare").addEventListener("change", e => { st.compare = e.target.value; refresh(); });
  $("tour").addEventListener("change", e => {
    st.tour = st.catalog.tours.find(t => t.id === e.target.value) || null;
    if (st.tour) setRun(Object.assign({}, st.tour.run)); else render(st.view);
  });
  $("undo").addEventListener("click", () => { if (st.steps.length) { st.redo.unshift(st.steps.pop()); refresh(); } });
  $("redo").addEventListener("click", () => { if (st.redo.length) { st.steps.push(st.redo.shift()); refresh(); } });
  $("restart").addEventListener("click", () => { st.redo = st.steps.concat(st.redo); st.steps = []; refresh(); });
  $("walk").addEventListener("click", () => {
    st.redo = [];
    refresh({walk: 50, walk_seed: Math.floor(Math.random() * 2 ** 31)});
  });
  $("link").addEventListener("click", async () => {
    const url = location.href;
    try {
      await navigator.clipboard.writeText(url);
      banner("Link copied: " + url, true);
    } catch (e) {
      banner("The link to this state: " + url, true);
    }
  });
  $("open").addEventListener("change", e => {
    const f = e.target.files[0];
    if (!f) return;
    const reader = new FileReader();
    reader.onload = async () => {
      try {
        const start = await api("api/open", {name: f.name, text: String(reader.result)});
        st.tour = null;
        st.run = start.run;
        st.steps = start.steps;
        st.redo = [];
        await refresh();
      } catch (err) {
        banner(err.message);
      }
      e.target.value = "";
    };
    reader.readAsText(f);
  });
  $("tournext").addEventListener("click", () => { const n = tourNext(); if (n) take(n); });
  $("tourback").addEventListener("click", () => { if (st.steps.length) { st.steps.pop(); st.redo = []; refresh(); } });
  $("tourrejoin").addEventListener("click", () => {
    let k = 0;
    while (k < st.steps.length && k < st.tour.steps.length && st.steps[k] === st.tour.steps[k]) k++;
    st.steps = st.steps.slice(0, k);
    st.redo = [];
    refresh();
  });
  $("tourleave").addEventListener("click", () => { st.tour = null; render(st.view); history.replaceState(null, "", "?" + pageQuery().toString()); });
  document.addEventListener("keydown", e => {
    if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
    if (e.key === "u") $("undo").click();
    if (e.key === "r") $("redo").click();
  });
}

async function main() {
  wire();
  try {
    st.catalog = await api("api/catalog");
  } catch (e) {
    banner("The server did not answer: " + e.message);
    return;
  }
  const c = st.catalog;
  $("version").textContent = "delegsim " + c.delegsim_version;
  for (const s of c.scenarios) {
    const o = el("option", s.file ? s.name + " (" + s.file + ")" : s.name);
    o.value = s.name;
    o.title = s.description;
    $("scenario").appendChild(o);
  }
  fill($("policy"), c.policies);
  fill($("profile"), c.profiles);
  fill($("compare"), c.policies);
  for (const t of c.tours) {
    const o = el("option", t.title);
    o.value = t.id;
    $("tour").appendChild(o);
  }
  if (!fromURL()) {
    st.run = c.start.run;
    st.steps = c.start.steps;
  }
  await refresh();
}

main();
