// Run one operation through @apollo/gateway loaded with a supergraph SDL (no HTTP server:
// the gateway's executor is called directly, as Apollo Server would).
// stdin: {"supergraphSdl", "query", "routerSecret"}; stdout: {"data", "errors"}.
// The subgraphs answer _entities only to a router holding their secret: every subgraph
// request carries it, as `opsgraph router` sends it.
const { createHash } = require("node:crypto");
const { readFileSync } = require("node:fs");
const { ApolloGateway, RemoteGraphQLDataSource } = require("@apollo/gateway");
const { parse } = require("graphql");

async function main() {
  const { supergraphSdl, query, routerSecret } = JSON.parse(readFileSync(0, "utf8"));
  const quiet = () => {};
  const logger = { debug: quiet, info: quiet, warn: console.error, error: console.error };
  const buildService = ({ url }) =>
    new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request }) {
        request.http.headers.set("x-opsgraph-router-secret", routerSecret);
      },
    });
  const gateway = new ApolloGateway({ supergraphSdl, logger, buildService });
  const { executor } = await gateway.load();
  const request = { query, variables: {}, operationName: null };
  const result = await executor({
    request,
    document: parse(query),
    queryHash: createHash("sha256").update(query).digest("hex"),
    operationName: null,
    context: {},
    metrics: {},
    logger,
  });
  await gateway.stop();
  process.stdout.write(JSON.stringify({ data: result.data, errors: result.errors }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
