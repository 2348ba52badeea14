import assert from "node:assert/strict";
import { composeMajor, debianMirror, missingForCompose, type Runner } from "./engine.ts";

Deno.test("composeMajor reads the short version with or without a v", () => {
  assert.equal(composeMajor("2.40.3"), 2);
  assert.equal(composeMajor("v5.1.0\n"), 5);
  assert.equal(composeMajor("1.29.2"), 1);
  assert.equal(composeMajor("unknown"), undefined);
});

function runner(answers: Record<string, { ok: boolean; stdout: string } | undefined>): Runner {
  return (command, args) => Promise.resolve(answers[`${command} ${args.slice(0, 1).join(" ")}`]);
}

Deno.test("missingForCompose is empty with a client, an engine and Compose v2", async () => {
  const missing = await missingForCompose(runner({
    "docker version": { ok: true, stdout: "28.2.2" },
    "docker info": { ok: true, stdout: "20.10.24" },
    "docker compose": { ok: true, stdout: "2.40.3" },
  }));
  assert.deepEqual(missing, []);
});

Deno.test("missingForCompose names the engine and Compose when only the client is there", async () => {
  const missing = await missingForCompose(runner({
    "docker version": { ok: true, stdout: "28.2.2" },
    "docker info": { ok: false, stdout: "" },
    "docker compose": { ok: false, stdout: "" },
  }));
  assert.equal(missing.length, 2);
  assert.match(missing[0]!, /running Docker engine/);
  assert.match(missing[1]!, /Compose v2/);
});

Deno.test("missingForCompose names the client alone when docker is not installed", async () => {
  const missing = await missingForCompose(runner({}));
  assert.equal(missing.length, 1);
  assert.match(missing[0]!, /docker command/);
});

Deno.test("missingForCompose refuses Compose 1.x", async () => {
  const missing = await missingForCompose(runner({
    "docker version": { ok: true, stdout: "28.2.2" },
    "docker info": { ok: true, stdout: "28.2.2" },
    "docker compose": { ok: true, stdout: "1.29.2" },
  }));
  assert.deepEqual(missing, ["Docker Compose v2 or later (found 1.29.2)"]);
});

Deno.test("debianMirror reads deb822 sources and one-line sources for a suite", () => {
  const deb822 = [
    "Types: deb",
    "URIs: http://mirror.example/debian",
    "Suites: bookworm bookworm-updates",
    "Components: main",
    "",
    "Types: deb",
    "URIs: http://mirror.example/debian-security",
    "Suites: bookworm-security",
  ].join("\n");
  assert.equal(debianMirror(deb822, "bookworm"), "http://mirror.example/debian");
  assert.equal(debianMirror(deb822, "trixie"), undefined);
  const oneLine = [
    "# a comment",
    "deb-src http://src.example/debian bookworm main",
    "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main contrib",
  ].join("\n");
  assert.equal(debianMirror(oneLine, "bookworm"), "http://one.example/debian");
});
