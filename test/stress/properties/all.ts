import { configFiles } from "./config-files.ts";
import { mcpBodies } from "./mcp-bodies.ts";
import { authorizeQueries, clientMetadataDocuments, registrationBodies, tokenAndRevokeForms } from "./oauth-endpoints.ts";
import type { FuzzProperty } from "./property.ts";

/**
 * Every fuzz property of the suite. Upstream PRM / AS metadata are not here: the gateway reads none yet
 * (per-user upstream OAuth is its own issue); CIMD documents are the only documents it fetches today.
 */
export const FUZZ_PROPERTIES: readonly FuzzProperty[] = [mcpBodies, tokenAndRevokeForms, authorizeQueries, registrationBodies, clientMetadataDocuments, configFiles];
