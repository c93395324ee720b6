// Replay recorded HTTP exchanges through the official openai-node SDK (npm `openai`).
// stdin: JSON list of {id, how, url, hold_ms}
//   how: "create" | "stream" | "models"; url: the base URL (…/v1) under which the Python
//   side (conformance/oracles_node.py) serves the recorded answer over a local socket,
//   framed as the target framed it; hold_ms: how long a silent response is waited for.
// stdout: one JSON line per item: {id, ok, error_type, message, chunks}
// The SDK uses Node's own fetch, so its HTTP stack judges the recorded framing.
import { createRequire } from "node:module";
import path from "node:path";

const dir = process.argv[2];
const require = createRequire(path.join(dir, "package.json"));
const { default: OpenAI } = await import(require.resolve("openai"));

const input = JSON.parse(await new Promise((resolve) => {
  let data = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (c) => (data += c));
  process.stdin.on("end", () => resolve(data));
}));

for (const item of input) {
  const client = new OpenAI({ apiKey: "sk-replay", baseURL: item.url, maxRetries: 0 });
  const out = { id: item.id, ok: true, error_type: null, message: null, chunks: 0 };
  const abort = new AbortController();
  let timer;
  const hung = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`no byte and no end of the response for ${item.hold_ms} ms`);
      err.name = "Timeout";
      abort.abort();
      reject(err);
    }, item.hold_ms);
  });
  try {
    await Promise.race([replay(client, item, out, { signal: abort.signal }), hung]);
  } catch (err) {
    out.ok = false;
    out.error_type = err?.name === "Timeout" ? "Timeout" : (err?.constructor?.name ?? typeof err);
    const cause = err?.cause ? ` (${err.cause?.message ?? err.cause})` : "";
    out.message = (String(err?.message ?? err).split("\n")[0] + cause).slice(0, 300);
  } finally {
    clearTimeout(timer);
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

async function replay(client, item, out, options) {
  const messages = [{ role: "user", content: "replay" }];
  if (item.how === "stream") {
    const body = { model: "replay", messages, stream: true };
    const stream = await client.chat.completions.create(body, options);
    for await (const _chunk of stream) out.chunks += 1;
  } else if (item.how === "models") {
    for await (const _m of client.models.list(options)) out.chunks += 1;
  } else {
    const completion = await client.chat.completions.create({ model: "replay", messages }, options);
    if (typeof completion?.choices?.[0]?.message?.content !== "string"
        && !completion?.choices?.[0]?.message?.tool_calls) {
      throw new TypeError("choices[0].message has neither content nor tool_calls");
    }
  }
}
