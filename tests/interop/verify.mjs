// The README's verification lines (an Edge Function's), in Node: reads {secret, body, headers}
// as JSON on stdin, prints {ok, payload} or {ok: false, error}.
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";

const { secret, body, headers } = JSON.parse(readFileSync(0, "utf8"));
const wh = new Webhook(secret); // "whsec_…"
try {
  const call = wh.verify(body, headers); // refuses stale (>5 min) and forged
  console.log(JSON.stringify({ ok: true, payload: call }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error) }));
}
