// Subscribe through Hive Gateway (@graphql-hive/gateway's runtime, loaded with a supergraph
// SDL; no HTTP server: its fetch handler is called directly, the client side over SSE), cause
// an event with a mutation posted to `mutationUrl` once subscribed, and report the first event
// about the incident that mutation made.
// Towards the subgraphs every request carries the router's secret; entity fields go over
// HTTP, the subscription to its subgraph by `subgraphProtocol`: "http" (Hive's default for
// HTTP subgraphs: server-sent events) or "ws" (graphql-transport-ws).
// stdin: {"supergraphSdl", "routerSecret", "subgraphProtocol", "subscription", "mutationUrl",
//         "mutation", "variables"}; stdout: {"created": <mutation data>, "event": <its event>}.
const { readFileSync } = require("node:fs");
const { createGatewayRuntime } = require("@graphql-hive/gateway");

const SETTLE_MS = 1000; // for the gateway to open the subscription on the subgraph
const TIMEOUT_MS = 20000;

// The `data:` of each complete `event: next` in an SSE text buffer; the rest of the buffer.
function nextEvents(buffer) {
  const events = [];
  let end;
  while ((end = buffer.indexOf("\n\n")) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const lines = block.split("\n");
    const kind = lines.find((line) => line.startsWith("event:"))?.slice(6).trim();
    const data = lines.find((line) => line.startsWith("data:"))?.slice(5).trim();
    if (kind === "next" && data) events.push(JSON.parse(data));
  }
  return { events, buffer };
}

async function main() {
  const input = JSON.parse(readFileSync(0, "utf8"));
  const { supergraphSdl, routerSecret, subgraphProtocol, subscription } = input;
  const { mutationUrl, mutation, variables } = input;
  const secret = [["x-opsgraph-router-secret", routerSecret]];
  const options =
    subgraphProtocol === "ws"
      ? { subscriptions: { kind: "ws", location: "/graphql", headers: secret } }
      : {};
  const gateway = createGatewayRuntime({
    supergraph: supergraphSdl,
    logging: "error",
    transportEntries: { "*": { headers: secret, options } },
  });
  const controller = new AbortController();
  const response = await gateway.fetch("http://gateway.local/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ query: subscription }),
    signal: controller.signal,
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const mutated = new Promise((resolve) => setTimeout(resolve, SETTLE_MS)).then(async () => {
    const answer = await fetch(mutationUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: mutation, variables }),
    });
    const body = await answer.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  });
  const received = (async () => {
    const seen = [];
    let buffer = "";
    const created = await mutated;
    const id = created.createIncident.id;
    for (;;) {
      const match = seen.find((e) => e.data?.incidentEvents?.incident?.id === id);
      if (match) return { created, event: match };
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before the event: ${JSON.stringify(seen)}`);
      const parsed = nextEvents(buffer + decoder.decode(value, { stream: true }));
      buffer = parsed.buffer;
      for (const event of parsed.events) {
        if (event.errors) throw new Error(JSON.stringify(event.errors));
        seen.push(event);
      }
    }
  })();
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`no event within ${TIMEOUT_MS} ms`)), TIMEOUT_MS),
  );
  const result = await Promise.race([received, timeout]);
  controller.abort();
  await gateway.dispose();
  process.stdout.write(JSON.stringify({ created: result.created, event: result.event.data }));
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
