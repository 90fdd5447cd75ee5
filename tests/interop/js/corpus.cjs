// The federation corpus through Apollo: compose each case with @apollo/composition and, when
// it composes, send its queries through @apollo/gateway (executor called directly, as Apollo
// Server would) against the case's subgraphs served over HTTP.
// stdin: [{"name", "subgraphs": [{"name", "url", "sdl"}], "queries": [{"query", "variables"}]}]
// stdout: {"<case>": {"errors": ["CODE: message"]} | {"results": [{"data", "errors"}], "apiSchema"}}
const { createHash } = require("node:crypto");
const { readFileSync } = require("node:fs");
const { composeServices } = require("@apollo/composition");
const { ApolloGateway } = require("@apollo/gateway");
const { parse, printSchema } = require("graphql");

const quiet = () => {};
const logger = { debug: quiet, info: quiet, warn: quiet, error: quiet };

async function run(executor, { query, variables }) {
  const request = { query, variables, operationName: null };
  const result = await executor({
    request,
    document: parse(query),
    queryHash: createHash("sha256").update(query).digest("hex"),
    operationName: null,
    context: {},
    metrics: {},
    logger,
    overallCachePolicy: { restrict() {}, replace() {} },
  });
  return { data: result.data ?? null, errors: result.errors ?? [] };
}

async function main() {
  const cases = JSON.parse(readFileSync(0, "utf8"));
  const answers = {};
  for (const one of cases) {
    const composed = composeServices(
      one.subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })),
    );
    if (composed.errors) {
      answers[one.name] = {
        errors: composed.errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`),
      };
      continue;
    }
    const gateway = new ApolloGateway({ supergraphSdl: composed.supergraphSdl, logger });
    const { executor } = await gateway.load();
    const results = [];
    for (const operation of one.queries) {
      try {
        results.push(await run(executor, operation));
      } catch (error) {
        results.push({ thrown: String(error) });
      }
    }
    await gateway.stop();
    const apiSchema = printSchema(composed.schema.toAPISchema().toGraphQLJSSchema());
    answers[one.name] = { results, apiSchema, supergraphSdl: composed.supergraphSdl };
  }
  process.stdout.write(JSON.stringify(answers));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
