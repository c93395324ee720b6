// Replay recorded HTTP exchanges through the official openai-node SDK (npm `openai`).
// stdin: JSON list of {id, how, status, headers: [[k, v]], pieces: [base64]}
//   how: "create" | "stream" | "models"
// stdout: one JSON line per item: {id, ok, error_type, message, chunks}
// The SDK's fetch is replaced by one that answers from the recording: no socket is opened.
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

function fetchFor(item) {
  return async () => {
    const pieces = item.pieces.map((p) => Buffer.from(p, "base64"));
    const body = new ReadableStream({
      start(controller) {
        for (const p of pieces) controller.enqueue(new Uint8Array(p));
        controller.close();
      },
    });
    const status = item.status;
    const nullBody = status === 204 || status === 304;
    return new Response(nullBody ? null : body, { status, headers: item.headers });
  };
}

for (const item of input) {
  const client = new OpenAI({
    apiKey: "sk-replay",
    baseURL: "http://127.0.0.1:9/v1",
    maxRetries: 0,
    fetch: fetchFor(item),
  });
  const out = { id: item.id, ok: true, error_type: null, message: null, chunks: 0 };
  try {
    const messages = [{ role: "user", content: "replay" }];
    if (item.how === "stream") {
      const stream = await client.chat.completions.create({ model: "replay", messages, stream: true });
      for await (const _chunk of stream) out.chunks += 1;
    } else if (item.how === "models") {
      for await (const _m of client.models.list()) out.chunks += 1;
    } else {
      const completion = await client.chat.completions.create({ model: "replay", messages });
      if (typeof completion?.choices?.[0]?.message?.content !== "string"
          && !completion?.choices?.[0]?.message?.tool_calls) {
        throw new TypeError("choices[0].message has neither content nor tool_calls");
      }
    }
  } catch (err) {
    out.ok = false;
    out.error_type = err?.constructor?.name ?? typeof err;
    out.message = String(err?.message ?? err).split("\n")[0].slice(0, 300);
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}
