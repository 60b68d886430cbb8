import * as v from "valibot";
import { bareHost, federatedServer, firstFailing, idpWrapper, isUuid, wrapperDocs, wrapperEntries } from "./common.ts";

// mcp-ping-oauth-inbound (spec §2.6): a PingOne environment in one of its regions, or behind a custom
// domain (which then carries no environment segment).

export const PING_REGION_HOSTS = {
  "north-america": "auth.pingone.com",
  canada: "auth.pingone.ca",
  europe: "auth.pingone.eu",
  singapore: "auth.pingone.sg",
  australia: "auth.pingone.com.au",
  "asia-pacific": "auth.pingone.asia",
} as const;

const REGIONS = Object.keys(PING_REGION_HOSTS) as (keyof typeof PING_REGION_HOSTS)[];

const Options = v.pipe(
  v.strictObject({
    ...wrapperEntries(),
    environmentId: v.optional(firstFailing([[isUuid, "Invalid PingOne environment id (environmentId): expected the environment's ID, a UUID such as 00000000-0000-0000-0000-000000000000"]])),
    region: v.optional(v.picklist(REGIONS, `Invalid PingOne region (region): expected one of ${REGIONS.join(", ")}`), "north-america"),
    customDomain: v.optional(bareHost("PingOne", "custom domain (customDomain)", "auth.example.com")),
  }),
  v.check((o) => o.environmentId !== undefined || o.customDomain !== undefined, "PingOne needs environmentId (or customDomain when the environment has a custom domain)"),
);

export const ping = idpWrapper({
  policyType: "mcp-ping-oauth-inbound",
  exportName: "McpPingOAuthInboundPolicy",
  idpName: "PingOne",
  optionsSchema: Options,
  docs: wrapperDocs(
    { idpName: "PingOne", page: "ping.md", derivedFrom: "`environmentId` and `region`, or `customDomain`" },
    {
      environmentId: "The PingOne environment's ID, a UUID. Required unless `customDomain` is given. The issuer is `https://{region host}/{environmentId}/as`.",
      region: "Where the environment lives, which picks the host: `north-america` auth.pingone.com, `canada` auth.pingone.ca, `europe` auth.pingone.eu, `singapore` auth.pingone.sg, `australia` auth.pingone.com.au, `asia-pacific` auth.pingone.asia. Not used with `customDomain`.",
      customDomain: "The environment's custom domain, host only, e.g. `auth.example.com`. When given it wins over `region` and `environmentId`: the issuer is `https://{customDomain}/as`.",
    },
  ),
  derive: (o) => {
    const as = o.customDomain !== undefined ? `https://${o.customDomain}/as` : `https://${PING_REGION_HOSTS[o.region]}/${o.environmentId!.toLowerCase()}/as`;
    return federatedServer(o, { issuer: as, jwksUrl: `${as}/jwks`, authorizationUrl: `${as}/authorize`, tokenUrl: `${as}/token` });
  },
});
