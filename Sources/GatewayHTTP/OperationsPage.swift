/// The page at `/`: points, devices, associations, recent events and a trend, updated live from
/// `/api/stream`. One document with its style and script inside, so it works with no internet and the
/// binary carries everything it serves.
enum OperationsPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>IEC 61850 gateway</title>
        <style>
        :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2430; --muted:#667085; --line:#e4e7ec; --good:#12805c; --bad:#b42318; --warn:#b54708; --accent:#1f5fbf; }
        * { box-sizing: border-box; }
        body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
        header { display:flex; flex-wrap:wrap; gap:.5rem 1.5rem; align-items:baseline; padding:.8rem 1.2rem; background:#0f2540; color:#fff; }
        header h1 { font-size:1.1rem; margin:0; }
        header .meta { color:#c8d3e0; font-size:.85rem; }
        #live { margin-left:auto; font-size:.85rem; }
        #live.off { color:#ffb4a9; }
        main { display:grid; grid-template-columns: minmax(0,2fr) minmax(0,1fr); gap:1rem; padding:1rem 1.2rem; }
        @media (max-width: 1000px) { main { grid-template-columns: minmax(0,1fr); } }
        section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.8rem 1rem; min-width:0; }
        section h2 { font-size:.95rem; margin:0 0 .6rem; display:flex; gap:.6rem; align-items:center; }
        section h2 .count { color:var(--muted); font-weight:normal; }
        .points { grid-row: span 3; }
        .scroll { overflow:auto; max-height:70vh; }
        table { border-collapse:collapse; width:100%; }
        th, td { text-align:left; padding:.3rem .5rem; border-bottom:1px solid var(--line); white-space:nowrap; }
        th { position:sticky; top:0; background:var(--card); color:var(--muted); font-weight:600; font-size:.8rem; }
        td.value { font-variant-numeric: tabular-nums; text-align:right; font-weight:600; }
        tr.bad td { background:#fef3f2; }
        tr.bad td.quality { color:var(--bad); font-weight:600; }
        tr.questionable td.quality { color:var(--warn); font-weight:600; }
        tr.chosen td { outline: 2px solid var(--accent); outline-offset:-2px; }
        tbody tr { cursor:pointer; }
        input[type=search] { flex:1; min-width:8rem; padding:.35rem .5rem; border:1px solid var(--line); border-radius:6px; font:inherit; }
        .pill { display:inline-block; padding:.05rem .5rem; border-radius:999px; font-size:.8rem; font-weight:600; }
        .pill.up { background:#ecfdf3; color:var(--good); }
        .pill.down { background:#fef3f2; color:var(--bad); }
        .small { color:var(--muted); font-size:.8rem; }
        ul.plain { list-style:none; margin:0; padding:0; }
        ul.plain li { padding:.35rem 0; border-bottom:1px solid var(--line); }
        #events li { font-size:.82rem; }
        #events .kind { display:inline-block; min-width:6.5rem; color:var(--muted); }
        #trend svg { width:100%; height:140px; background:#fbfcfd; border:1px solid var(--line); border-radius:6px; }
        #trend polyline { fill:none; stroke:var(--accent); stroke-width:2; }
        .empty { color:var(--muted); font-style:italic; }
        form.probe { display:flex; flex-wrap:wrap; gap:.4rem; }
        form.probe input, form.probe select, form.probe button { font:inherit; padding:.25rem .4rem; border:1px solid var(--line); border-radius:6px; background:#fff; }
        form.probe input[type=number] { width:6rem; }
        form.probe button { background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; }
        #probe-result { white-space:pre-wrap; margin:.5rem 0 0; }
        </style>
        </head>
        <body>
        <header>
          <h1>IEC 61850 gateway <span id="ied"></span></h1>
          <span class="meta" id="summary">loading…</span>
          <span id="live" class="off">connecting…</span>
        </header>
        <main>
          <section class="points">
            <h2>Points <span class="count" id="point-count"></span>
              <input type="search" id="filter" placeholder="Filter by reference, source or quality" aria-label="Filter points"></h2>
            <div class="scroll">
            <table id="points">
              <thead><tr><th>Reference</th><th>Value</th><th>Quality</th><th>Time</th><th>Source</th><th>Changed</th></tr></thead>
              <tbody></tbody>
            </table>
            </div>
          </section>
          <section id="trend">
            <h2>Trend <span class="count" id="trend-name">click a point</span></h2>
            <svg viewBox="0 0 300 100" preserveAspectRatio="none" role="img" aria-label="trend"><polyline points=""></polyline></svg>
            <div class="small" id="trend-range"></div>
            <form class="probe" id="substitution" onsubmit="return false" hidden>
              <input id="sub-value" placeholder="substitute value" aria-label="substitute value">
              <select id="sub-validity" aria-label="quality"><option>good</option><option>questionable</option><option>invalid</option></select>
              <button id="sub-apply" type="button">Substitute</button>
              <button id="sub-release" type="button">Release</button>
            </form>
            <div class="small" id="sub-result"></div>
          </section>
          <section>
            <h2>Devices <span class="count" id="device-count"></span></h2>
            <ul class="plain" id="devices"></ul>
          </section>
          <section id="register">
            <h2>Test a register</h2>
            <form class="probe" onsubmit="return false">
              <select id="probe-device" aria-label="device"></select>
              <select id="probe-table" aria-label="table"><option>holding</option><option>input</option><option>coil</option><option>discrete-input</option></select>
              <input id="probe-address" type="number" min="0" max="65535" value="0" aria-label="address" title="address">
              <select id="probe-type" aria-label="type"><option>uint16</option><option>int16</option><option>uint32</option><option>int32</option><option>float32</option><option>float64</option><option>int64</option><option>uint64</option><option>bool</option><option>string</option></select>
              <input id="probe-count" type="number" min="1" max="125" value="1" aria-label="count" title="count">
              <button id="probe-read" type="button">Read</button>
              <input id="probe-value" placeholder="value" aria-label="value to write">
              <button id="probe-write" type="button">Write</button>
            </form>
            <pre id="probe-result" class="small"></pre>
          </section>
          <section>
            <h2>Associations <span class="count" id="association-count"></span></h2>
            <ul class="plain" id="associations"></ul>
          </section>
          <section>
            <h2>Recent events</h2>
            <ul class="plain" id="events"></ul>
          </section>
        </main>
        <script>
        "use strict";
        const points = new Map();      // index -> point
        const rows = new Map();        // index -> <tr>
        const trend = { index: null, samples: [] };
        let lastEvent = 0;              // a reconnected stream sends the newest events again
        const $ = (id) => document.getElementById(id);
        const text = (v) => v === null || v === undefined ? "" : String(v);
        const shortTime = (iso) => iso && !iso.startsWith("1970-") ? iso.replace("T", " ").replace("Z", "").slice(5, 23) : "";
        function el(tag, cls, content) { const e = document.createElement(tag); if (cls) e.className = cls; if (content !== undefined) e.textContent = content; return e; }

        function validity(p) { return p.quality ? p.quality.validity : "good"; }
        function renderPoint(p) {
          let tr = rows.get(p.index);
          if (!tr) {
            tr = document.createElement("tr");
            for (const c of ["reference", "value", "quality", "time", "source", "changed"]) tr.appendChild(el("td", c));
            tr.addEventListener("click", () => choose(p.index));
            rows.set(p.index, tr);
            $("points").tBodies[0].appendChild(tr);
          }
          tr.dataset.reference = p.reference;
          const v = validity(p);
          tr.className = (v === "good" ? "" : v === "questionable" ? "questionable" : "bad") + (trend.index === p.index ? " chosen" : "");
          tr.dataset.validity = v;
          const cells = tr.cells;
          cells[0].textContent = p.reference;
          cells[1].textContent = typeof p.value === "number" ? (Number.isInteger(p.value) ? p.value : +p.value.toPrecision(7)) : text(p.value);
          cells[2].textContent = p.quality ? p.quality.text : "";
          cells[3].textContent = shortTime(p.time);
          cells[4].textContent = p.source + (p.address ? " · " + p.address : "");
          cells[5].textContent = shortTime(p.changed);
          tr.hidden = !matches(p);
        }
        function matches(p) {
          const f = $("filter").value.trim().toLowerCase();
          if (!f) return true;
          return [p.reference, p.source, p.address, p.quality && p.quality.text].some((s) => s && s.toLowerCase().includes(f));
        }
        function updatePoints(list) {
          for (const p of list) {
            points.set(p.index, p);
            renderPoint(p);
            if (p.index === trend.index && typeof p.value === "number") addSample(p);
          }
          let bad = 0;
          for (const p of points.values()) if (validity(p) !== "good") bad++;
          $("point-count").textContent = points.size + " points" + (bad ? ", " + bad + " not good" : "");
        }
        function choose(index) {
          trend.index = index; trend.samples = [];
          const p = points.get(index);
          $("trend-name").textContent = p ? p.reference : "";
          $("substitution").hidden = !(p && p.substitutable);
          $("sub-result").textContent = "";
          for (const [i, tr] of rows) tr.classList.toggle("chosen", i === index);
          if (p && typeof p.value === "number") addSample(p);
          drawTrend();
        }
        function addSample(p) {
          trend.samples.push({ t: Date.now(), v: p.value });
          if (trend.samples.length > 300) trend.samples.shift();
          drawTrend();
        }
        function drawTrend() {
          const s = trend.samples, line = document.querySelector("#trend polyline");
          if (!s.length) { line.setAttribute("points", ""); $("trend-range").textContent = ""; return; }
          const t0 = s[0].t, t1 = Math.max(s[s.length - 1].t, t0 + 1);
          let lo = Math.min(...s.map((x) => x.v)), hi = Math.max(...s.map((x) => x.v));
          if (hi === lo) { hi += 1; lo -= 1; }
          line.setAttribute("points", s.map((x) => ((x.t - t0) / (t1 - t0) * 300).toFixed(1) + "," + (95 - (x.v - lo) / (hi - lo) * 90).toFixed(1)).join(" "));
          $("trend-range").textContent = "min " + +lo.toPrecision(6) + " · max " + +hi.toPrecision(6) + " · " + s.length + " samples";
        }
        function updateDevices(list) {
          const ul = $("devices"); ul.replaceChildren();
          if (!list.length) ul.appendChild(el("li", "empty", "no field devices configured"));
          for (const d of list) {
            const li = el("li"); li.dataset.device = d.source; li.dataset.up = d.up;
            li.appendChild(el("span", "pill " + (d.up ? "up" : "down"), d.up ? "up" : "down"));
            li.appendChild(document.createTextNode(" " + d.source + " "));
            li.appendChild(el("span", "small", d.address));
            const facts = [];
            if (d.roundTripMs !== undefined && d.roundTripMs !== null) facts.push("rtt " + d.roundTripMs + " ms");
            facts.push(d.requests + " requests", d.readErrors + " read errors", d.writeErrors + " write errors");
            if (d.messages) facts.push(d.messages + " messages");
            li.appendChild(el("div", "small", facts.join(" · ")));
            if (d.lastError && !d.up) li.appendChild(el("div", "small", "last error: " + d.lastError));
            ul.appendChild(li);
          }
          $("device-count").textContent = list.filter((d) => d.up).length + " of " + list.length + " up";
          const select = $("probe-device"), chosen = select.value;
          select.replaceChildren(...list.filter((d) => d.kind === "modbus").map((d) => el("option", null, d.device)));
          if (chosen) select.value = chosen;
        }
        function updateAssociations(list) {
          const ul = $("associations"); ul.replaceChildren();
          if (!list.length) ul.appendChild(el("li", "empty", "no client associated"));
          for (const a of list) {
            const li = el("li", null, (a.peer || "?") + " · " + a.role);
            li.appendChild(el("div", "small", "since " + shortTime(a.since) + (a.reportControlBlocks.length ? " · reports: " + a.reportControlBlocks.join(", ") : "")));
            ul.appendChild(li);
          }
          $("association-count").textContent = list.length;
        }
        function addEvents(list) {
          const ul = $("events");
          for (const e of list) {
            if (e.id <= lastEvent) continue;
            lastEvent = e.id;
            const li = el("li");
            li.appendChild(el("span", "small", shortTime(e.time) + " "));
            li.appendChild(el("span", "kind", e.kind));
            li.appendChild(document.createTextNode(e.reference + [e.value, e.quality, e.result, e.cause, e.detail].filter(Boolean).map((x) => " · " + x).join("")));
            ul.insertBefore(li, ul.firstChild);
          }
          while (ul.children.length > 100) ul.removeChild(ul.lastChild);
        }
        async function health() {
          try {
            const h = await (await fetch("api/health")).json();
            $("ied").textContent = h.ied;
            $("summary").textContent = h.status + " · up " + h.uptimeSeconds + " s · " + h.associations + " associations · " + h.devicesUp + "/" + h.devices + " devices up";
          } catch (e) { $("summary").textContent = "no answer from the gateway"; }
        }
        $("filter").addEventListener("input", () => { for (const p of points.values()) rows.get(p.index).hidden = !matches(p); });
        const stream = new EventSource("api/stream");
        stream.onopen = () => { $("live").textContent = "live"; $("live").className = ""; };
        stream.onerror = () => { $("live").textContent = "reconnecting…"; $("live").className = "off"; };
        stream.addEventListener("points", (m) => updatePoints(JSON.parse(m.data)));
        stream.addEventListener("devices", (m) => updateDevices(JSON.parse(m.data)));
        stream.addEventListener("associations", (m) => updateAssociations(JSON.parse(m.data)));
        stream.addEventListener("events", (m) => addEvents(JSON.parse(m.data)));
        async function probe(write) {
          const body = { device: $("probe-device").value, table: $("probe-table").value, address: +$("probe-address").value,
                         type: $("probe-type").value, count: +$("probe-count").value };
          if (write) body.value = $("probe-value").value;
          $("probe-result").textContent = "…";
          try {
            const answer = await fetch("api/modbus", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
            const r = await answer.json();
            if (!answer.ok) { $("probe-result").textContent = (r.error && r.error.message) || JSON.stringify(r); return; }
            const raw = r.registers.length ? r.registers.map((x) => "0x" + x.toString(16).toUpperCase().padStart(4, "0")).join(" ") : r.bits.map((b) => b ? 1 : 0).join(" ");
            $("probe-result").textContent = (r.wrote !== null && r.wrote !== undefined ? "wrote " + r.wrote + "; " : "") + r.table + " " + r.address + " (" + r.type + ", bytes " + r.byteOrder + ", words " + r.wordOrder + ")\nraw: " + raw + "\nvalue: " + r.values.join(", ");
          } catch (e) { $("probe-result").textContent = String(e); }
        }
        async function substitute(release) {
          const p = points.get(trend.index);
          if (!p) return;
          const body = release ? { object: p.dataObject, release: true } : { object: p.dataObject, value: $("sub-value").value, validity: $("sub-validity").value };
          try {
            const answer = await fetch("api/substitution", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
            const r = await answer.json();
            $("sub-result").textContent = answer.ok ? p.dataObject + " " + r.result : ((r.error && r.error.message) || JSON.stringify(r));
          } catch (e) { $("sub-result").textContent = String(e); }
        }
        $("sub-apply").addEventListener("click", () => substitute(false));
        $("sub-release").addEventListener("click", () => substitute(true));
        $("probe-read").addEventListener("click", () => probe(false));
        $("probe-write").addEventListener("click", () => probe(true));
        health(); setInterval(health, 5000);
        </script>
        </body>
        </html>
        """#
}
