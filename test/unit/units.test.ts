import test from "ava";
import { formatPromDuration, parseBytes, parseDurationMs } from "../../config/units";

test("durations need a unit and convert to milliseconds", (t) => {
  t.is(parseDurationMs("50ms"), 50);
  t.is(parseDurationMs("4.85ms"), 4.85);
  t.is(parseDurationMs("5m"), 300_000);
  t.is(parseDurationMs("24h"), 86_400_000);
  t.is(parseDurationMs("50"), undefined);
  t.is(parseDurationMs("-5m"), undefined);
  t.is(parseDurationMs("5 minutes"), undefined);
});

test("Prometheus durations use the largest whole unit", (t) => {
  t.is(formatPromDuration(300_000), "5m");
  t.is(formatPromDuration(900_000), "15m");
  t.is(formatPromDuration(90_000), "90s");
  t.is(formatPromDuration(3_600_000), "1h");
});

test("sizes are binary, as redis.conf reads kb/mb/gb", (t) => {
  t.is(parseBytes("1gb"), 1024 ** 3);
  t.is(parseBytes("512MB"), 512 * 1024 ** 2);
  t.is(parseBytes("1g"), undefined);
  t.is(parseBytes("1024"), undefined);
});
