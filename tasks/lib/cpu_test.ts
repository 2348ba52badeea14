import assert from "node:assert/strict";
import { busySecondsOfMachine, cpuSecondsOfStat } from "./cpu.ts";

Deno.test("cpuSecondsOfStat() adds user and system time, a command with spaces and parentheses included", () => {
  // A real line's shape: pid (comm) state ppid ... utime=1234 stime=566 ...
  const line = "4242 (deno (worker) 1) S 1 4242 4242 0 -1 4194560 9077 0 0 0 1234 566 0 0 20 0 " +
    "8 0 93841 18701697024 31377 18446744073709551615";
  assert.equal(cpuSecondsOfStat(line), 18);
  assert.throws(() => cpuSecondsOfStat("garbage"), /Not a \/proc/);
});

Deno.test("busySecondsOfMachine() counts all but idle and iowait, over all cores", () => {
  const procStat = "cpu  1000 50 300 9000 200 10 40 0 0 0\ncpu0 500 25 150 4500 100 5 20 0 0 0\n";
  assert.equal(busySecondsOfMachine(procStat), (1000 + 50 + 300 + 10 + 40 + 0) / 100);
  assert.throws(() => busySecondsOfMachine("intr 1 2 3\n"), /No cpu line/);
});
