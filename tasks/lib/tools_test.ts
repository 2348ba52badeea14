import assert from "node:assert/strict";
import { javaCommand, javaMajorVersion } from "./tools.ts";

Deno.test("javaMajorVersion() reads modern and legacy version strings", () => {
  assert.equal(javaMajorVersion('openjdk version "17.0.15" 2025-04-15'), 17);
  assert.equal(javaMajorVersion('openjdk version "25" 2025-09-16'), 25);
  assert.equal(javaMajorVersion('java version "1.8.0_392"'), 8);
  assert.equal(javaMajorVersion("no version here"), undefined);
});

Deno.test("javaCommand() prefers JAVA_HOME over PATH", () => {
  assert.equal(javaCommand("/opt/jdk/"), "/opt/jdk/bin/java");
  assert.equal(javaCommand(undefined), "java");
});
