// The OpsGraph wallboard: open incidents by priority, kept current over GraphQL.
//
// The list comes from one HTTP query (paged); changes come from the `incidentEvents`
// subscription over a hand-written graphql-transport-ws client:
//   connection_init (with the bearer token) -> connection_ack -> subscribe -> next...
// The client answers the server's pings, sends its own to notice a dead socket, and on any
// drop reconnects with back-off, resuming with `after` = the last event id it applied, so
// nothing is missed (SLOW_CONSUMER resumes the same way). When the server answers
// RESYNC_REQUIRED (it no longer holds the events after that id), the page subscribes afresh
// and reloads the list.
"use strict";

(() => {
  const OPEN = new Set(["OPEN", "IN_PROGRESS", "ON_HOLD"]);
  const PRIORITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];
  const FIELDS = "id number title status priority major openedAt assignee { name } team { name }";
  const LIST = `query WallboardIncidents($after: String) {
    incidents(filter: {status: [OPEN, IN_PROGRESS, ON_HOLD]},
              orderBy: {field: PRIORITY, direction: DESC},
              pagination: {first: 100, after: $after}) {
      totalCount
      edges { node { ${FIELDS} } }
      pageInfo { hasNextPage endCursor }
    }
  }`;
  const EVENTS = `subscription WallboardEvents($after: String) {
    incidentEvents(after: $after) { id kind incident { ${FIELDS} } }
  }`;
  const MAX_PAGES = 10; // a wall shows at most 1,000 incidents
  // A new or escalated incident stays highlighted, near the top of its column, this long.
  const HIGHLIGHT_MS = 5 * 60000;
  const PING_EVERY_MS = 15000;
  const SILENCE_LIMIT_MS = 25000; // no message at all for this long: the socket is dead
  const BACKOFF_MS = [500, 1000, 2000, 5000, 10000];
  const FATAL_CLOSE = { 4401: "not authorized", 4403: "forbidden" };

  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  const incidents = new Map(); // id -> incident, only open ones
  let lastEventId = null; // of the last event applied; `after` on reconnect
  let listed = false; // the HTTP list is loaded and current
  let buffered = []; // events that arrived while the list was loading
  let capped = 0; // open incidents beyond MAX_PAGES pages
  let attempt = 0;
  let nextId = 1;

  const $ = (id) => document.getElementById(id);

  function showConnection(state, text) {
    const badge = $("connection");
    badge.dataset.state = state;
    badge.textContent = text;
  }

  function showProblem(text) {
    const problem = $("problem");
    problem.hidden = !text;
    problem.textContent = text || "";
  }

  function authHeaders() {
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  async function graphql(query, variables) {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...authHeaders() },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors && body.errors.length) {
      const first = body.errors[0];
      throw new Error(`${first.extensions?.code || response.status}: ${first.message}`);
    }
    return body.data;
  }

  async function loadList() {
    const loaded = new Map();
    let after = null;
    let total = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { incidents: connection } = await graphql(LIST, { after });
      total = connection.totalCount;
      for (const edge of connection.edges) loaded.set(edge.node.id, edge.node);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    return { loaded, total };
  }

  // New, more urgent than before, or just made major: the room must see it.
  function escalated(event, before) {
    const incident = event.incident;
    if (event.kind === "CREATED" || !before) return true;
    const rank = (p) => PRIORITIES.length - PRIORITIES.indexOf(p);
    return rank(incident.priority) > rank(before.priority) || (incident.major && !before.major);
  }

  function apply(event) {
    const incident = event.incident;
    if (OPEN.has(incident.status)) {
      const before = incidents.get(incident.id);
      incident.highlightedAt = escalated(event, before) ? Date.now() : before?.highlightedAt;
      incidents.set(incident.id, incident);
    } else {
      incidents.delete(incident.id);
    }
    lastEventId = event.id;
  }

  function age(openedAt) {
    const minutes = Math.max(0, Math.round((Date.now() - Date.parse(openedAt)) / 60000));
    if (minutes < 60) return `${minutes} min`;
    if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h`;
    return `${Math.round(minutes / 1440)} d`;
  }

  function highlighted(incident) {
    return Boolean(incident.highlightedAt) && Date.now() - incident.highlightedAt < HIGHLIGHT_MS;
  }

  function row(incident) {
    const item = document.createElement("li");
    item.className = ["incident", incident.major && "major", highlighted(incident) && "fresh"]
      .filter(Boolean).join(" ");
    item.dataset.id = incident.id;
    item.dataset.number = incident.number;
    item.dataset.status = incident.status;
    const number = document.createElement("span");
    number.className = "number";
    number.textContent = incident.number;
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = incident.title;
    const meta = document.createElement("div");
    meta.className = "meta";
    const status = document.createElement("span");
    status.className = "status";
    status.textContent = incident.status.replace("_", " ");
    const who = [incident.team?.name, incident.assignee?.name || "unassigned"].filter(Boolean);
    meta.append(status, ` · ${age(incident.openedAt)} · ${who.join(" · ")}`);
    if (incident.major) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "MAJOR";
      item.append(badge);
    }
    item.append(number, title, meta);
    return item;
  }

  function render() {
    const byPriority = new Map(PRIORITIES.map((p) => [p, []]));
    for (const incident of incidents.values()) byPriority.get(incident.priority)?.push(incident);
    for (const [priority, list] of byPriority) {
      // Major incidents first, then the new or escalated ones (newest first, so they are
      // seen without scrolling), then the longest open: the ones the room should look at.
      list.sort((a, b) =>
        Number(b.major) - Number(a.major) ||
        Number(highlighted(b)) - Number(highlighted(a)) ||
        (highlighted(a) ? b.highlightedAt - a.highlightedAt : 0) ||
        Date.parse(a.openedAt) - Date.parse(b.openedAt));
      const section = document.querySelector(`.priority[data-priority="${priority}"]`);
      section.querySelector("ol").replaceChildren(...list.map(row));
      section.querySelector("h2").dataset.count = String(list.length);
    }
    const more = capped > 0 ? ` (${capped} more not shown)` : "";
    $("count").textContent = `${incidents.size} open${more}`;
  }

  let generation = 0; // of the latest list load: an older one finishing late is dropped

  async function reload() {
    const mine = ++generation;
    listed = false;
    buffered = [];
    const { loaded, total } = await loadList();
    if (mine !== generation) return;
    incidents.clear();
    for (const [id, incident] of loaded) incidents.set(id, incident);
    capped = total - loaded.size;
    for (const event of buffered) apply(event);
    buffered = [];
    listed = true;
    showProblem("");
    render();
  }

  function refresh() {
    reload().catch((error) => {
      showProblem(`Could not load incidents (retrying): ${error.message}`);
      setTimeout(refresh, 5000);
    });
  }

  function connect() {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
    const socket = new WebSocket(url, "graphql-transport-ws");
    let subscription = null;
    let lastHeard = Date.now();
    let timer = null;

    const send = (message) => socket.send(JSON.stringify(message));

    function subscribe() {
      subscription = String(nextId++);
      send({ id: subscription, type: "subscribe", payload: { query: EVENTS, variables: { after: lastEventId } } });
    }

    function restart({ reload }) {
      // Drop this stream (if the server has not already) and start another: resumed after
      // the last applied event, or, when the server can no longer replay from there, from
      // "now" with the list loaded again.
      if (subscription) send({ id: subscription, type: "complete" });
      if (reload) lastEventId = null;
      subscribe();
      if (reload) refresh();
    }

    socket.onopen = () => {
      send({ type: "connection_init", payload: token ? { authorization: `Bearer ${token}` } : {} });
      timer = setInterval(() => {
        if (Date.now() - lastHeard > SILENCE_LIMIT_MS) socket.close(4000, "no answer");
        else send({ type: "ping" });
      }, PING_EVERY_MS);
    };

    socket.onmessage = (raw) => {
      lastHeard = Date.now();
      const message = JSON.parse(raw.data);
      switch (message.type) {
        case "connection_ack":
          attempt = 0;
          showConnection("live", "live");
          subscribe();
          // A stream that starts "now" (not resumed) may have missed changes made before
          // the server registered it: load the list again once subscribed.
          if (lastEventId === null) refresh();
          break;
        case "ping":
          send({ type: "pong" });
          break;
        case "next":
          if (message.id !== subscription) break;
          if (message.payload.errors?.length) {
            handleErrors(message.payload.errors);
          } else if (listed) {
            apply(message.payload.data.incidentEvents);
            render();
          } else {
            buffered.push(message.payload.data.incidentEvents);
          }
          break;
        case "error":
          if (message.id === subscription) {
            subscription = null;
            handleErrors(message.payload);
          }
          break;
        case "complete":
          if (message.id === subscription) {
            // The server ended the stream: start a new one where this one stopped.
            subscribe();
          }
          break;
      }
    };

    function handleErrors(errors) {
      const codes = errors.map((e) => e.extensions?.code);
      if (codes.includes("RESYNC_REQUIRED") || codes.includes("SLOW_CONSUMER")) {
        restart({ reload: codes.includes("RESYNC_REQUIRED") });
        return;
      }
      showProblem(errors.map((e) => `${e.extensions?.code || "ERROR"}: ${e.message}`).join("; "));
      showConnection("error", "error");
      socket.close(1000);
    }

    socket.onclose = (event) => {
      clearInterval(timer);
      const fatal = FATAL_CLOSE[event.code];
      if (fatal) {
        showConnection("error", fatal);
        showProblem(`The server closed the connection: ${fatal} (${event.reason || event.code}). ` +
          "Open the page as /wallboard#token=<bearer token>.");
        return;
      }
      if ($("connection").dataset.state === "error") return;
      const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] * (0.75 + Math.random() / 2);
      attempt += 1;
      showConnection("offline", `reconnecting in ${Math.ceil(delay / 1000)} s`);
      setTimeout(connect, delay);
    };
  }

  refresh(); // show the list at once, even before (or without) a live connection
  connect();
  setInterval(render, 60000); // ages move on
})();
