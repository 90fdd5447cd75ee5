// PostGraphile 5 over the bench database: the peer `python -m bench --postgraphile` measures.
//
// Environment: BENCH_PG_URL (connect as OpsGraph's application role, so the same row-level
// security walls every read), BENCH_TENANT_ID (set as `app.tenant_id` in each request's
// transaction, as OpsGraph does); NODE_PATH points at the cached node_modules. Argument:
// `--port N`.
//
// OpsGraph's tables have no foreign keys between domains (nor to identity's tables at all),
// so the relations PostGraphile needs are virtual: `@foreignKey` smart tags given here as a
// preset option; the database is not altered. Team membership (users ↔ teams, by name) is a
// many-to-many, which core PostGraphile does not expose: two fields added with
// `extendSchema`, each still planned into the one SQL statement of the request.
import { createServer } from "node:http";
import { createRequire } from "node:module";

const require = createRequire(process.env.NODE_PATH + "/");
const { postgraphile } = require("postgraphile");
const { PostGraphileAmberPreset } = require("postgraphile/presets/amber");
const { makePgService } = require("postgraphile/adaptors/pg");
const { grafserv } = require("postgraphile/grafserv/node");
const { extendSchema, gql, jsonPgSmartTags } = require("postgraphile/utils");
const { TYPES } = require("postgraphile/@dataplan/pg");
const { sql } = require("postgraphile/pg-sql2");

const USERS = "identity.users (id)";
const tags = {
  version: 1,
  config: {
    class: {
      "incidents.incidents": {
        tags: {
          foreignKey: [
            `(assignee_id) references ${USERS}|@fieldName assignee|@foreignFieldName assignedIncidents`,
            `(reporter_id) references ${USERS}|@fieldName reporter|@foreignFieldName reportedIncidents`,
            "(team_id) references identity.teams (id)|@fieldName team|@foreignFieldName incidents",
          ],
        },
      },
      "incidents.incident_comments": {
        tags: {
          foreignKey: [
            "(incident_id) references incidents.incidents (id)|@fieldName incident|@foreignFieldName comments",
            `(author_id) references ${USERS}|@fieldName author|@foreignFieldName comments`,
          ],
        },
      },
      "incidents.incident_changes": {
        tags: {
          foreignKey: [
            "(incident_id) references incidents.incidents (id)|@fieldName incident|@foreignFieldName history",
            `(actor_id) references ${USERS}|@fieldName actor|@foreignFieldName changes`,
          ],
        },
      },
      "identity.team_members": {
        tags: {
          foreignKey: [
            "(team_id) references identity.teams (id)|@fieldName team|@foreignFieldName memberships",
            `(user_id) references ${USERS}|@fieldName user|@foreignFieldName memberships`,
          ],
        },
      },
    },
  },
};

// `IdentityUser.teams` and `IdentityTeam.members`, by name then id, through identity.team_members.
const membership = extendSchema((build) => {
  const { identity_users: users, identity_teams: teams } = build.input.pgRegistry.pgResources;
  const across = (resource, mine, theirs) => ($parent) => {
    const $rows = resource.find();
    const id = $rows.placeholder($parent.get("id"), TYPES.uuid);
    $rows.where(
      sql`exists (select 1 from identity.team_members m where m.${sql.identifier(theirs)} = ${$rows.alias}.id and m.${sql.identifier(mine)} = ${id})`,
    );
    $rows.orderBy({ fragment: sql`${$rows.alias}.name`, codec: TYPES.text, direction: "ASC" });
    $rows.orderBy({ fragment: sql`${$rows.alias}.id`, codec: TYPES.uuid, direction: "ASC" });
    return $rows;
  };
  return {
    typeDefs: gql`
      extend type IdentityUser {
        teams: [IdentityTeam!]!
      }
      extend type IdentityTeam {
        members: [IdentityUser!]!
      }
    `,
    objects: {
      IdentityUser: { plans: { teams: across(teams, "user_id", "team_id") } },
      IdentityTeam: { plans: { members: across(users, "team_id", "user_id") } },
    },
  };
});

const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [jsonPgSmartTags(tags), membership],
  pgServices: [
    makePgService({
      connectionString: process.env.BENCH_PG_URL,
      schemas: ["incidents", "identity"],
      pgSettings: () => ({ "app.tenant_id": process.env.BENCH_TENANT_ID }),
      pubsub: false,
      poolConfig: { max: 15 }, // OpsGraph's pool: 10 connections and 5 more on demand
    }),
  ],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
await pgl.getSchema(); // built before /ready answers, not on the first request
const graphql = pgl.createServ(grafserv).createHandler();
const ready = (req, res) => {
  res.writeHead(req.url === "/ready" ? 200 : 404, { "Content-Type": "application/json" });
  res.end(req.url === "/ready" ? '{"status":"ready"}' : "{}");
};
const server = createServer((req, res) => graphql(req, res, () => ready(req, res)));
server.keepAliveTimeout = 120_000;
server.listen(Number(process.argv[process.argv.indexOf("--port") + 1]), "127.0.0.1");
process.on("SIGTERM", async () => {
  server.close();
  await pgl.release();
  process.exit(0);
});
