// Run operations through Hive Gateway (@graphql-hive/gateway's runtime, the handler its
// `hive-gateway supergraph` command serves over HTTP) loaded with a supergraph SDL: each
// request goes through its fetch API as a client's POST /graphql would, without a socket.
// stdin: {"supergraphSdl", "queries": [{"query", "variables"}], "routerSecret"}
// stdout: [{"data", "errors"}, ...], one response per query.
// Every subgraph request carries the router's secret (the subgraphs answer _entities and
// _service only to it), as a transport header for every subgraph ("*").
const { readFileSync } = require("node:fs");
const { createGatewayRuntime } = require("@graphql-hive/gateway");

async function main() {
  const { supergraphSdl, queries, routerSecret } = JSON.parse(readFileSync(0, "utf8"));
  const gateway = createGatewayRuntime({
    supergraph: supergraphSdl,
    transportEntries: { "*": { headers: [["x-opsgraph-router-secret", routerSecret]] } },
    logging: "error",
  });
  const answers = [];
  for (const { query, variables } of queries) {
    const response = await gateway.fetch("http://hive.invalid/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query, variables: variables ?? {} }),
    });
    answers.push(await response.json());
  }
  await gateway[Symbol.asyncDispose]();
  process.stdout.write(JSON.stringify(answers));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
