/**
 * Shared building blocks of the services: configuration, logging, Kafka, topics, HTTP, shutdown.
 * @module
 */
export * from "./config.ts";
export * from "./http.ts";
export * from "./kafka.ts";
export * from "./log.ts";
export * from "./shutdown.ts";
export * from "./topics.ts";
export * from "./service.ts";
export * from "./lag.ts";
