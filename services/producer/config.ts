/** The producer service's environment. */
import { commonEnv, port } from "@campus/shared/config";

/** Keys read by the producer service, with defaults. */
export const producerEnv = { ...commonEnv, PRODUCER_PORT: port(5001) };
