/**
 * `deno task asyncapi`: writes the AsyncAPI 3.0 document of the event topics, generated from the
 * zod schemas (shared/events/asyncapi.ts), to docs/asyncapi.json. The unit tests fail when the
 * committed file differs from what the schemas generate.
 */
import { buildAsyncApi } from "@campus/shared/events/asyncapi";

const PATH = "docs/asyncapi.json";
await Deno.writeTextFile(PATH, JSON.stringify(buildAsyncApi(), null, 2) + "\n");
console.log(`wrote ${PATH}`);
