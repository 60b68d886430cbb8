import { afterAll, afterEach } from "bun:test";
import { takeLogLineProblems } from "./helpers/log-lines.ts";

// Preloaded by bunfig.toml for every test file: after each test (and once after the whole run, for the
// lines written while gateways stop in afterAll hooks), fail if a gateway under test wrote a log line
// that is not one JSON object with unique keys (test/helpers/log-lines.ts). A problem found in a file's
// afterAll is reported by the next test to finish, with the line and the gateway that wrote it.

function failOnLogLineProblems(): void {
  const problems = takeLogLineProblems();
  if (problems.length > 0) throw new Error(`log lines with problems (one key per line, always):\n${problems.join("\n")}`);
}

afterEach(failOnLogLineProblems);
afterAll(failOnLogLineProblems);
