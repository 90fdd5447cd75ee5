// Subscribe with the `graphql-ws` client (over `ws`), cause an event with a mutation over
// HTTP once connected, and report the first event about the incident that mutation made.
// stdin: {"url", "token", "subscription", "mutation", "variables"}; without a token, the
// server's anonymous (development) caller.
// stdout: {"created": <mutation data>, "event": <its event>, "events": [<every event seen>]}
const { readFileSync } = require("node:fs");
const { createClient } = require("graphql-ws");
const WebSocket = require("ws");

const SETTLE_MS = 300; // after connection_ack, for the server to start the subscription
const TIMEOUT_MS = 20000;

// graphql-ws reports a closed socket with its close event, GraphQL errors as an array.
function describe(error) {
  if (error instanceof Error) return error;
  if (error && error.code) return new Error(`socket closed: ${error.code} ${error.reason}`);
  return new Error(JSON.stringify(error));
}

async function main() {
  const { url, token, subscription, mutation, variables } = JSON.parse(readFileSync(0, "utf8"));
  const credentials = token ? { authorization: `Bearer ${token}` } : {};
  let connected;
  const ready = new Promise((resolve) => (connected = resolve));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: credentials,
    retryAttempts: 0,
    on: { connected: () => connected() },
  });
  const events = [];
  let created = null;
  let found;
  // The event may arrive before the mutation's HTTP response: match on both occasions.
  const check = () => {
    const id = created?.createIncident.id;
    const event = events.find((e) => e.incidentEvents.incident.id === id);
    if (event) found(event);
  };
  const received = new Promise((resolve, reject) => {
    found = resolve;
    client.subscribe(
      { query: subscription },
      {
        next: (result) => {
          if (result.errors) return reject(new Error(JSON.stringify(result.errors)));
          events.push(result.data);
          check();
        },
        error: (error) => reject(describe(error)),
        complete: () => reject(new Error("subscription completed before the event")),
      },
    );
  });
  await ready;
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const response = await fetch(url.replace(/^ws/, "http"), {
    method: "POST",
    headers: { "content-type": "application/json", ...credentials },
    body: JSON.stringify({ query: mutation, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  created = body.data;
  check();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no event within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  const event = await Promise.race([received, timeout]);
  clearTimeout(timer); // a pending timer would keep node running until it fires
  await client.dispose();
  process.stdout.write(JSON.stringify({ created, event, events }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
