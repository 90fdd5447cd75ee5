// Compose subgraph SDLs with Apollo's own composition library.
// stdin: [{"name", "sdl"}]; stdout: {"errors": [...]} or {"apiSchema", "supergraphSdl"}.
const { readFileSync } = require("node:fs");
const { composeServices } = require("@apollo/composition");
const { parse, printSchema } = require("graphql");

const services = JSON.parse(readFileSync(0, "utf8")).map((service) => ({
  name: service.name,
  typeDefs: parse(service.sdl),
}));
const result = composeServices(services);
if (result.errors) {
  const errors = result.errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`);
  process.stdout.write(JSON.stringify({ errors }));
} else {
  process.stdout.write(
    JSON.stringify({
      apiSchema: printSchema(result.schema.toAPISchema().toGraphQLJSSchema()),
      supergraphSdl: result.supergraphSdl,
    }),
  );
}
